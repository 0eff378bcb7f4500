// Reading registry response bodies with bounds. A registry (or anything between it and us)
// is hostile: a manifest, config, token or error body held in memory is read to the size it
// declared (Content-Length, or the descriptor's size) and never past a fixed cap, so an
// endless or lying stream fails at once with a clear error instead of growing the process.
import { RegistryError } from './errors';

/**
 * Manifests and indexes: 4 MiB, as docker (distribution's maxManifestBodySize) and
 * containerd (remotes' manifest limit) read them, so whatever they pull gocker pulls.
 */
export const MAX_MANIFEST_BYTES = 4 << 20;
/**
 * Image configs: larger than a manifest in practice (history, labels, env), still kilobytes;
 * 16 MiB is far above any real one and keeps what a pull holds in memory small.
 */
export const MAX_CONFIG_BYTES = 16 << 20;
/** A token answer is a JWT or two in JSON: a few KiB. */
export const MAX_TOKEN_BYTES = 1 << 20;
/** Error bodies are read only for their code and message; a longer one is cut, not an error. */
export const MAX_ERROR_BODY_BYTES = 64 << 10;

export interface ReadOptions {
  /** for messages: 'manifest for host/repo:tag', 'blob sha256:...' */
  what: string;
  /** the cap: more than this fails (or, with truncate, stops reading) */
  max: number;
  /** the size a descriptor gave: a body longer (or a Content-Length other than it) fails */
  expected?: number;
  /** no byte for this long: the read fails (a stalled connection) */
  stallMs: number;
  /** the whole body must be read within this, however slowly it trickles */
  deadlineMs?: number;
  /** error bodies: stop at max and keep what came, rather than fail */
  truncate?: boolean;
  /** the registry error code for a body over the limit */
  code?: string;
}

function tooLarge(o: ReadOptions, note = ''): RegistryError {
  const whose = o.expected !== undefined && o.expected <= o.max ? `the ${o.expected} bytes its descriptor gives` : `${o.max} bytes`;
  return new RegistryError(`${o.what} is larger than ${whose}${note}`, undefined, o.code ?? 'SIZE_INVALID');
}

/**
 * The body, at most min(max, expected) bytes. Fails before reading when Content-Length says
 * more, and as soon as more arrives than either allows; the connection is then cancelled.
 */
export async function readBodyCapped(res: Response, o: ReadOptions): Promise<Buffer> {
  const limit = o.expected !== undefined ? Math.min(o.expected, o.max) : o.max;
  const header = res.headers.get('content-length');
  const declared = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
  if (declared !== undefined && declared > limit && !o.truncate) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(o, ` (Content-Length ${declared})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  await readBody(res, o, (c) => {
    if (size + c.length > limit || (declared !== undefined && size + c.length > declared)) {
      if (o.truncate) {
        chunks.push(c.subarray(0, Math.max(0, limit - size)));
        size = limit;
        return false;
      }
      throw declared !== undefined && size + c.length > declared && declared <= limit
        ? new RegistryError(`${o.what}: more data than its Content-Length of ${declared} bytes`, undefined, o.code ?? 'SIZE_INVALID')
        : tooLarge(o);
    }
    chunks.push(c);
    size += c.length;
    return true;
  });
  return Buffer.concat(chunks, size);
}

/**
 * Reads a body chunk by chunk, failing when no byte arrives for stallMs or the whole has not
 * arrived by deadlineMs. onChunk returns false to stop early; throwing stops too. Either way
 * the stream is cancelled, so the socket is not left draining an endless answer.
 */
export async function readBody(res: Response, o: Pick<ReadOptions, 'what' | 'stallMs' | 'deadlineMs'>, onChunk: (b: Buffer) => boolean | void): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const end = o.deadlineMs === undefined ? Infinity : Date.now() + o.deadlineMs;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const left = end - Date.now();
    const wait = Math.min(o.stallMs, left);
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(wait < o.stallMs
        ? new RegistryError(`${o.what}: not complete after ${o.deadlineMs} ms`, undefined, 'TIMEOUT', true)
        : new RegistryError(`${o.what}: download stalled: no data for ${o.stallMs} ms`, undefined, 'TIMEOUT', true)), Math.max(0, wait));
    });
    try {
      const { done, value } = await Promise.race([reader.read(), stalled]);
      if (done) return;
      if (onChunk(Buffer.from(value.buffer, value.byteOffset, value.byteLength)) === false) {
        void reader.cancel().catch(() => undefined);
        return;
      }
    } catch (e) {
      void reader.cancel().catch(() => undefined);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}
