// The registry's operations for a pull: manifests (OCI and Docker, indexes and lists) and
// blobs verified against their digests as they stream, over the transport (transport.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { GockerError } from '../errors';
import { log } from '../log';
import { referenceString, type Reference } from '../name';
import { splitDigest, validateDigest, type DigestAlgorithm } from '../name/digest';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, readBody, readBodyCapped } from './body';
import { RegistryError } from './errors';
import { hostPlatform, platformString, type Platform } from './platform';
import { Transport } from './transport';

export interface Descriptor { mediaType: string; digest: string; size: number; platform?: Platform; annotations?: Record<string, string>; urls?: string[] }
export interface ResolvedImage {
  ref: Reference;
  manifestDigest: string;
  manifest: Buffer;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  indexDigest?: string;
}

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
};
const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

/** d (validated) computed over b with d's own algorithm: sha256, sha384 or sha512. */
function digestOf(b: Buffer, algorithm: DigestAlgorithm): string {
  return `${algorithm}:${crypto.createHash(algorithm).update(b).digest('hex')}`;
}

/**
 * A descriptor from a registry's manifest or index, checked before any of it is used: the
 * digest (algorithm and exact hex length) goes into URLs and store paths, the size bounds
 * the download. Anything else is refused as the registry's error.
 */
function checkDescriptor(d: unknown, what: string): Descriptor {
  if (typeof d !== 'object' || d === null) throw new RegistryError(`${what}: not a descriptor`, undefined, 'MANIFEST_INVALID');
  const desc = d as Descriptor;
  try {
    validateDigest(desc.digest, what);
  } catch (e) {
    throw new RegistryError((e as Error).message, undefined, 'DIGEST_INVALID');
  }
  if (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0) {
    throw new RegistryError(`${what}: invalid size ${JSON.stringify(desc.size)?.slice(0, 40)} for ${desc.digest}`, undefined, 'SIZE_INVALID');
  }
  if (desc.mediaType !== undefined && typeof desc.mediaType !== 'string') throw new RegistryError(`${what}: invalid media type for ${desc.digest}`, undefined, 'MANIFEST_INVALID');
  return desc;
}

/**
 * A failure of our own disk (ENOSPC, EIO, EROFS...) while storing what the registry sent:
 * permanent, so never retried as if the network had failed.
 */
function storageError(e: unknown, file: string): GockerError {
  const err = e as NodeJS.ErrnoException;
  const text = err.code === 'ENOSPC' ? 'no space left on device' : err.code === 'EDQUOT' ? 'disk quota exceeded' : (err.message ?? String(e)).replace(/^\w+: /, '');
  return new GockerError(`${err.syscall ?? 'write'} ${file}: ${text}`, { code: err.code ?? 'EIO', cause: e });
}

const isStorageError = (e: unknown): boolean => e instanceof GockerError && !(e instanceof RegistryError);

/** The first byte position of a 206's Content-Range ('bytes 100-199/200'). */
function rangeStart(header: string | null): number | undefined {
  const m = /^bytes\s+(\d+)-\d+\/(?:\d+|\*)$/.exec(header?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

/** A registry client for pulls: an image's manifest resolved for a platform, its config and layers. */
export class RegistryClient extends Transport {
  /**
   * A manifest or index by tag or digest. By digest it is verified with the digest's own
   * algorithm; from an index, `expected` is the descriptor that named it and the body may be
   * no longer than its size. Either way no more than MAX_MANIFEST_BYTES is ever read.
   */
  private async getManifest(ref: Reference, reference: string, expected?: Descriptor): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const scope = `repository:${ref.repository}:pull`;
    const byDigest = reference.includes(':');
    if (byDigest) validateDigest(reference, `manifest for ${referenceString(ref)}`);
    let last: Error | undefined;
    const bases = this.endpoints(ref.registry);
    for (const base of bases) {
      try {
        const what = `manifest for ${referenceString(ref)}`;
        const res = await this.request(ref.registry, `${base}/v2/${ref.repository}/manifests/${reference}`, scope,
          { what, headers: { Accept: ACCEPT } });
        const body = await readBodyCapped(res, { what, max: MAX_MANIFEST_BYTES, expected: expected?.size, stallMs: this.timeout(), deadlineMs: this.bodyDeadline(), code: 'MANIFEST_INVALID' });
        // The digest the registry is known by is sha256 of the bytes (distribution's
        // canonical); fetched by a digest of another algorithm, that one must match too.
        const digest = digestOf(body, byDigest ? splitDigest(reference).algorithm : 'sha256');
        if (byDigest && digest !== reference) {
          throw new RegistryError(`manifest verification failed for digest ${reference}: got ${digest}`, undefined, 'DIGEST_INVALID');
        }
        if (expected && body.length !== expected.size) {
          throw new RegistryError(`${what}: ${body.length} bytes, its descriptor gives ${expected.size}`, undefined, 'SIZE_INVALID');
        }
        let mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
        try {
          const j = JSON.parse(body.toString('utf8')) as { mediaType?: string; schemaVersion?: number; manifests?: unknown; layers?: unknown };
          if (j.mediaType) mediaType = j.mediaType;
          else if (j.schemaVersion === 1) mediaType = MEDIA.dockerSchema1;
          else if (!mediaType || mediaType === 'application/json') mediaType = j.manifests ? MEDIA.ociIndex : MEDIA.ociManifest;
        } catch {
          throw new RegistryError(`manifest for ${referenceString(ref)} is not valid JSON`);
        }
        this.served.set(`${ref.registry}/${ref.repository}`, base);
        return { body, mediaType, digest };
      } catch (e) {
        last = e as Error;
        // As dockerd logs it: a mirror's failure is otherwise hidden behind the next one's.
        if (base !== bases.at(-1)) log.warn(`${base} failed, trying the next endpoint: ${last.message}`);
      }
    }
    throw last ?? new RegistryError(`no endpoint for ${ref.registry}`);
  }

  async resolve(ref: Reference): Promise<ResolvedImage> {
    const want = this.opts.platform ?? hostPlatform();
    let m = await this.getManifest(ref, ref.digest ?? ref.tag ?? 'latest');
    let indexDigest: string | undefined;
    if (m.mediaType === MEDIA.ociIndex || m.mediaType === MEDIA.dockerList) {
      indexDigest = m.digest;
      const idx = JSON.parse(m.body.toString('utf8')) as { manifests: Descriptor[] };
      if (!Array.isArray(idx?.manifests)) throw new RegistryError(`${referenceString(ref)}: the index has no list of manifests`, undefined, 'MANIFEST_INVALID');
      idx.manifests = idx.manifests.filter((d) => typeof d === 'object' && d !== null);
      const ok = (d: Descriptor): boolean => !!d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture;
      const candidates = idx.manifests.filter(ok);
      const pick = candidates.find((d) => (want.variant ?? '') === (d.platform?.variant ?? '')) ?? candidates.find((d) => !want.variant || !d.platform?.variant) ?? candidates[0];
      if (!pick) {
        const avail = idx.manifests.filter((d) => d.platform && d.platform.architecture !== 'unknown').map((d) => platformString(d.platform!));
        throw new GockerError(`no matching manifest for ${platformString(want)} in the manifest list entries (available: ${avail.join(', ') || 'none'})`, { code: 'ENOPLATFORM' });
      }
      m = await this.getManifest(ref, checkDescriptor(pick, `${referenceString(ref)}: index entry`).digest, pick);
    }
    if (m.mediaType === MEDIA.dockerSchema1 || m.mediaType === MEDIA.dockerSchema1Signed) {
      throw new GockerError(`${referenceString(ref)}: Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported`, { code: 'EUNSUPPORTED' });
    }
    if (m.mediaType !== MEDIA.ociManifest && m.mediaType !== MEDIA.dockerManifest) {
      throw new GockerError(`${referenceString(ref)}: unsupported manifest media type ${m.mediaType}`, { code: 'EUNSUPPORTED' });
    }
    const man = JSON.parse(m.body.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    const where = `manifest for ${referenceString(ref)}`;
    if (!Array.isArray(man?.layers)) throw new RegistryError(`${where}: no list of layers`, undefined, 'MANIFEST_INVALID');
    const config = checkDescriptor(man.config, `${where}: config`);
    const layers = man.layers.map((l, i) => checkDescriptor(l, `${where}: layer ${i}`));
    return { ref, manifestDigest: m.digest, manifest: m.body, mediaType: m.mediaType, config, layers, indexDigest };
  }

  /**
   * Downloads a blob into file, checking size and digest (sha256, sha384 or sha512) as it streams. Transient failures
   * are retried, resuming with Range where the registry allows it.
   */
  async fetchBlobToFile(ref: Reference, desc: Descriptor, file: string, onProgress?: (bytes: number) => void): Promise<void> {
    checkDescriptor(desc, 'blob');
    const { algorithm, hex } = splitDigest(desc.digest);
    const scope = `repository:${ref.repository}:pull`;
    const retries = this.opts.retries ?? 3;
    let hash = crypto.createHash(algorithm);
    let got = 0;
    const disk = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw storageError(e, file);
      }
    };
    const fd = disk(() => fs.openSync(file, 'w', 0o600));
    const restart = (): void => {
      got = 0;
      disk(() => fs.ftruncateSync(fd, 0));
      hash = crypto.createHash(algorithm);
    };
    try {
      for (let attempt = 0; ; attempt++) {
        const headers: Record<string, string> = {};
        if (got > 0) headers.Range = `bytes=${got}-`;
        try {
          // Retried by this loop, which resumes, not by request()'s.
          const res = await this.request(ref.registry, `${this.blobBase(ref)}/v2/${ref.repository}/blobs/${desc.digest}`, scope,
            { what: `blob ${desc.digest}`, headers, retries: 0 });
          if (res.status === 206) {
            // Only the bytes we asked for can be appended: any other range means starting over.
            const start = rangeStart(res.headers.get('content-range'));
            if (got === 0 || start !== got) {
              await res.body?.cancel();
              restart();
              throw new RegistryError(`blob ${desc.digest}: the registry answered range ${res.headers.get('content-range') ?? '(none)'} for bytes=${got}-`, 206, 'RANGE_INVALID', true);
            }
          } else if (got > 0) {
            restart(); // no range support: the whole blob again
          }
          await readBody(res, { what: `blob ${desc.digest}`, stallMs: this.timeout() }, (chunk) => {
            if (got + chunk.length > desc.size) throw new RegistryError(`blob ${desc.digest}: more than the ${desc.size} bytes the manifest gives`, undefined, 'SIZE_INVALID');
            disk(() => fs.writeSync(fd, chunk, 0, chunk.length, got));
            hash.update(chunk);
            got += chunk.length;
            onProgress?.(got);
          }).catch((e: unknown) => {
            // The body broke off (reset, closed): say how far it got.
            if (e instanceof GockerError) throw e;
            throw new RegistryError(`blob ${desc.digest}: connection closed after ${got} of ${desc.size} bytes`, undefined, 'ETRUNCATED', true);
          });
          if (got < desc.size) throw new RegistryError(`blob ${desc.digest}: connection closed after ${got} of ${desc.size} bytes`, undefined, 'ETRUNCATED', true);
          break;
        } catch (e) {
          if (isStorageError(e)) throw e;
          await this.beforeRetry(`blob ${desc.digest}`, attempt, retries, e instanceof RegistryError ? e : this.networkError(e, `blob ${desc.digest}`));
        }
      }
      disk(() => fs.fsyncSync(fd));
    } finally {
      fs.closeSync(fd);
    }
    const actual = hash.digest('hex');
    if (actual !== hex) throw new RegistryError(`blob ${desc.digest}: digest mismatch, got ${algorithm}:${actual}`, undefined, 'DIGEST_INVALID');
  }

  /**
   * A small blob (a config) in memory, verified; retried like any request. Read to its
   * descriptor's size and no further, which may not exceed MAX_CONFIG_BYTES.
   */
  async fetchBlobBuffer(ref: Reference, desc: Descriptor): Promise<Buffer> {
    checkDescriptor(desc, 'config');
    const what = `blob ${desc.digest}`;
    if (desc.size > MAX_CONFIG_BYTES) throw new RegistryError(`${what} is ${desc.size} bytes, more than the ${MAX_CONFIG_BYTES} a config may have`, undefined, 'SIZE_INVALID');
    const { algorithm } = splitDigest(desc.digest);
    const retries = this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.request(ref.registry, `${this.blobBase(ref)}/v2/${ref.repository}/blobs/${desc.digest}`, `repository:${ref.repository}:pull`, { what, retries: 0 });
        const body = await readBodyCapped(res, { what, max: MAX_CONFIG_BYTES, expected: desc.size, stallMs: this.timeout(), deadlineMs: this.bodyDeadline() });
        if (body.length < desc.size) throw new RegistryError(`${what}: connection closed after ${body.length} of ${desc.size} bytes`, undefined, 'ETRUNCATED', true);
        const actual = digestOf(body, algorithm);
        if (actual !== desc.digest) throw new RegistryError(`${what}: digest mismatch, got ${actual}`, undefined, 'DIGEST_INVALID');
        return body;
      } catch (e) {
        await this.beforeRetry(what, attempt, retries, e instanceof RegistryError ? e : this.networkError(e, what));
      }
    }
  }
}
