// Pushing to a registry (the distribution spec's push): blobs checked with HEAD, mounted
// from another repository of the same registry, or uploaded — in one PUT when small, in
// PATCH chunks with Content-Range when not, a session continued from where the registry
// says it stands after a failure (in this process or, through UploadSession, the next) —
// then the manifest PUT under its own media type.
import * as fs from 'node:fs';
import { GockerError } from '../errors';
import { referenceString, type Reference } from '../name';
import { RegistryError } from './errors';
import { Transport, type UploadBody } from './transport';
import type { Descriptor } from './client';

/** Where an upload stands: the URL the registry gave for its next request, and the bytes it holds. */
export interface UploadSession {
  location: string;
  offset: number;
}

export interface UploadOptions {
  /** a session of an earlier attempt (maybe another process's): continued if the registry still has it */
  resume?: UploadSession;
  /** the session a mount the registry could not do opened instead */
  location?: string;
  /** after every step the registry accepted, where the upload stands; undefined once it is gone */
  onSession?: (s: UploadSession | undefined) => void;
  /** how far into the blob the bytes sent reach (a resumed upload starts past 0) */
  onProgress?: (bytes: number) => void;
  /** PATCH size; a blob no larger goes in one PUT, as does the last chunk of a larger one */
  chunkSize?: number;
}

/**
 * 16 MiB: a chunk is what an interrupted upload can lose (a registry drops a session it got
 * part of a chunk for), and a round trip per 16 MiB costs nothing next to the bytes.
 */
export const DEFAULT_CHUNK_SIZE = 16 << 20;
const OCTETS = 'application/octet-stream';

/** The end of 'Range: 0-<last>' (distribution writes it without the 'bytes=' of RFC 9110). */
function rangeEnd(header: string | null): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(header?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * The blob's bytes [start, end) from its file, read as the request sends them: progress is
 * what left, and a file that turned short fails the request instead of sending less.
 */
function fileBody(file: string, start: number, end: number, onBytes?: (sent: number) => void): UploadBody {
  return (touch) => {
    let fh: fs.promises.FileHandle | undefined;
    let pos = start;
    const close = (): Promise<void> | undefined => fh?.close().catch(() => undefined);
    return new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          fh ??= await fs.promises.open(file, 'r');
          const want = Math.min(256 << 10, end - pos);
          if (want <= 0) {
            await close();
            ctrl.close();
            return;
          }
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await fh.read(buf, 0, want, pos);
          if (bytesRead === 0) throw new GockerError(`${file}: ends at ${pos} bytes, before ${end}`, { code: 'EIO' });
          pos += bytesRead;
          touch();
          onBytes?.(pos);
          ctrl.enqueue(buf.subarray(0, bytesRead));
        } catch (e) {
          await close();
          // Our disk's failure, told apart from the network's when the request fails with it.
          throw e instanceof GockerError ? e : new GockerError(`read ${file}: ${(e as Error).message}`, { code: (e as NodeJS.ErrnoException).code ?? 'EIO', cause: e });
        }
      },
      cancel: () => close(),
    }, { highWaterMark: 0 });
  };
}

/** The error reading the blob failed with (fileBody's), itself or under fetch's TypeError. */
function readFailure(e: unknown): GockerError | undefined {
  for (const x of [e, (e as { cause?: unknown })?.cause]) if (x instanceof GockerError && !(x instanceof RegistryError)) return x;
  return undefined;
}

export class PushClient extends Transport {
  private scope(ref: Reference): string {
    return `repository:${ref.repository}:pull,push`;
  }

  private url(ref: Reference, rest: string): string {
    return `${this.base(ref.registry)}/v2/${ref.repository}/${rest}`;
  }

  /**
   * A Location from the registry, resolved against the URL it answered: http or https only,
   * and never from https down to http (the upload, and with it a token, would go in clear).
   */
  private location(res: Response, against: string, what: string): string {
    const raw = res.headers.get('location');
    if (!raw) throw new RegistryError(`${what}: the registry gave no Location for the upload`, res.status, 'BLOB_UPLOAD_INVALID');
    let u: URL;
    try {
      u = new URL(raw, against);
    } catch {
      throw new RegistryError(`${what}: the registry gave an invalid Location`, res.status, 'BLOB_UPLOAD_INVALID');
    }
    if (!/^https?:$/.test(u.protocol) || (against.startsWith('https:') && u.protocol !== 'https:')) {
      throw new RegistryError(`${what}: the registry's Location ${u.protocol}//${u.host} is refused`, res.status, 'BLOB_UPLOAD_INVALID');
    }
    return u.href;
  }

  /** HEAD of the blob in the repository: whether the registry has it there. */
  async blobExists(ref: Reference, desc: Descriptor): Promise<boolean> {
    const what = `blob ${desc.digest}`;
    try {
      const res = await this.request(ref.registry, this.url(ref, `blobs/${desc.digest}`), this.scope(ref), { method: 'HEAD', what });
      await res.body?.cancel();
      return true;
    } catch (e) {
      if (e instanceof RegistryError && e.status === 404) return false;
      throw e;
    }
  }

  /**
   * Cross-repository mount: the registry links the blob from `from` (a repository of the
   * same registry) without a byte sent. When it cannot, it opens an upload session instead
   * (202), whose Location is returned for the upload to use.
   */
  async mountBlob(ref: Reference, digest: string, from: string): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const url = `${this.url(ref, 'blobs/uploads/')}?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const what = `mount of blob ${digest} from ${from}`;
    // The token must grant pull on the source too, or the registry refuses the mount.
    const res = await this.request(ref.registry, url, `${this.scope(ref)} repository:${from}:pull`, { method: 'POST', what });
    await res.body?.cancel();
    if (res.status === 201) return { mounted: true };
    return { mounted: false, location: this.location(res, url, what) };
  }

  private async startUpload(ref: Reference, what: string): Promise<UploadSession> {
    const url = this.url(ref, 'blobs/uploads/');
    const res = await this.request(ref.registry, url, this.scope(ref), { method: 'POST', what, retries: 0 });
    await res.body?.cancel();
    if (res.status !== 202) throw new RegistryError(`${what}: the registry answered ${res.status} to the start of an upload`, res.status, 'BLOB_UPLOAD_INVALID');
    return { location: this.location(res, url, what), offset: 0 };
  }

  /**
   * Where a session stands, by GET of its Location (204 with Range). Undefined when the
   * registry no longer has it: expired, cancelled, or refused because a chunk reached it
   * only in part (distribution then drops the whole session).
   */
  private async uploadStatus(ref: Reference, s: UploadSession, size: number, what: string): Promise<UploadSession | undefined> {
    let res: Response;
    try {
      res = await this.request(ref.registry, s.location, this.scope(ref), { method: 'GET', what, retries: 0 });
    } catch (e) {
      if (e instanceof RegistryError && e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 403 && e.status !== 429) return undefined;
      throw e;
    }
    await res.body?.cancel();
    const end = rangeEnd(res.headers.get('range'));
    if (res.status !== 204 || end === undefined) return undefined;
    // '0-0' is both nothing and one byte: sessions hold chunks, so it is nothing.
    const offset = end === 0 ? 0 : end + 1;
    if (offset > size) return undefined;
    return { location: res.headers.get('location') ? this.location(res, s.location, what) : s.location, offset };
  }

  /** Sends bytes [offset, end) with a PATCH; the registry's answer is where the upload stands. */
  private async patch(ref: Reference, s: UploadSession, file: string, end: number, what: string, onProgress?: (n: number) => void): Promise<UploadSession> {
    const res = await this.request(ref.registry, s.location, this.scope(ref), {
      method: 'PATCH',
      what,
      retries: 0,
      headers: { 'Content-Type': OCTETS, 'Content-Length': String(end - s.offset), 'Content-Range': `${s.offset}-${end - 1}` },
      upload: fileBody(file, s.offset, end, onProgress),
    });
    await res.body?.cancel();
    const last = rangeEnd(res.headers.get('range'));
    const offset = last === undefined ? end : last + 1;
    if (offset <= s.offset || offset > end) throw new RegistryError(`${what}: after bytes ${s.offset}-${end - 1} the registry holds ${offset}`, res.status, 'BLOB_UPLOAD_INVALID', true);
    return { location: this.location(res, s.location, what), offset };
  }

  /** The closing PUT ?digest=, with the bytes not sent yet: all of a small blob, the last chunk of a large one. */
  private async finish(ref: Reference, s: UploadSession, desc: Descriptor, file: string, what: string, onProgress?: (n: number) => void): Promise<void> {
    const u = new URL(s.location);
    u.searchParams.set('digest', desc.digest);
    const res = await this.request(ref.registry, u.href, this.scope(ref), {
      method: 'PUT',
      what,
      retries: 0,
      headers: { 'Content-Type': OCTETS, 'Content-Length': String(desc.size - s.offset) },
      ...(desc.size > s.offset ? { upload: fileBody(file, s.offset, desc.size, onProgress) } : { body: Buffer.alloc(0) }),
    });
    await res.body?.cancel();
    const got = res.headers.get('docker-content-digest');
    if (got && got !== desc.digest) throw new RegistryError(`${what}: the registry stored it as ${got}`, res.status, 'DIGEST_INVALID');
  }

  /**
   * Uploads the blob in file. A temporary failure (the connection cut, a 5xx, a 416 for a
   * range the registry does not hold) asks the registry where the session stands and goes
   * on from there, or starts a new one if it is gone; up to `retries` times.
   */
  async uploadBlob(ref: Reference, desc: Descriptor, file: string, o: UploadOptions = {}): Promise<void> {
    const what = `blob ${desc.digest}`;
    const chunk = Math.max(1, o.chunkSize ?? DEFAULT_CHUNK_SIZE);
    const retries = this.opts.retries ?? 3;
    let s: UploadSession | undefined = o.resume ? await this.uploadStatus(ref, o.resume, desc.size, what) : undefined;
    if (!s && o.location) s = { location: o.location, offset: 0 };
    o.onSession?.(s);
    for (let attempt = 0; ; attempt++) {
      try {
        s ??= await this.startUpload(ref, what);
        o.onSession?.(s);
        o.onProgress?.(s.offset);
        // Chunked: each PATCH the registry accepts is a point the next attempt (or process)
        // resumes from. The last chunk, or all of a small blob, goes with the closing PUT.
        while (desc.size - s.offset > chunk) {
          s = await this.patch(ref, s, file, s.offset + chunk, what, o.onProgress);
          o.onSession?.(s);
        }
        await this.finish(ref, s, desc, file, what, o.onProgress);
        o.onSession?.(undefined);
        return;
      } catch (e) {
        this.throwIfAborted();
        const failed = readFailure(e);
        if (failed) throw failed; // our own disk: not the network's fault, not retried
        let err = e instanceof RegistryError ? e : this.networkError(e, what);
        if (err.status === 416) err = new RegistryError(err.message, 416, err.registryCode, true);
        await this.beforeRetry(what, attempt, retries, err);
        s = s && await this.uploadStatus(ref, s, desc.size, what);
        o.onSession?.(s);
      }
    }
  }

  /** PUT of the manifest under tag, with its media type; digest (sha256 of the bytes) is checked against the registry's. */
  async putManifest(ref: Reference, tag: string, body: Buffer, mediaType: string, digest: string): Promise<void> {
    const what = `manifest for ${referenceString({ ...ref, tag, digest: undefined })}`;
    const res = await this.request(ref.registry, this.url(ref, `manifests/${tag}`), this.scope(ref), { method: 'PUT', what, headers: { 'Content-Type': mediaType }, body });
    await res.body?.cancel();
    const got = res.headers.get('docker-content-digest');
    if (got && got !== digest) throw new RegistryError(`${what}: the registry stored it as ${got}, not ${digest}`, res.status, 'DIGEST_INVALID');
  }
}
