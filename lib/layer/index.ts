// Applying layers. The native extractor does the work off the main thread; this module
// picks the decompressor, checks the diff_id, and keeps failures invisible: a layer is
// extracted into a directory the caller renames into place only when this resolves.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, isErrno } from '../errors';
import { native } from '../native';

export type WhiteoutMode = 'overlay' | 'delete';
export type Compression = 'none' | 'gzip' | 'zstd';

export interface ApplyOptions {
  /** the layer's media type; when absent or unknown the compression is sniffed */
  mediaType?: string;
  /** 'sha256:...' of the uncompressed tar; a mismatch fails the layer */
  diffId?: string;
  /** overlay: `.wh.` entries become overlayfs whiteouts; delete: they remove (flat trees) */
  whiteouts: WhiteoutMode;
  /** bytes of the (compressed) file consumed so far, reported from the extractor's thread */
  onProgress?: (bytes: number) => void;
  /**
   * overlay: the layers below this one, top first. A directory this layer needs but does not
   * describe then takes the mode, owner and times the lower layers give it, so the mounted
   * tree equals the single tree umoci unpacks (docker and containerd leave it 0755, now).
   */
  lowerDirs?: string[];
}

export interface ApplyResult {
  diffId: string;
  /** uncompressed bytes */
  size: number;
  entries: number;
}

export function compressionOf(mediaType: string | undefined): Compression | undefined {
  if (!mediaType) return undefined;
  if (/\+zstd$/.test(mediaType)) return 'zstd';
  if (/(\+gzip|\.tar\.gzip|\.gzip)$/.test(mediaType)) return 'gzip';
  if (/(\.tar|layer\.v1\.tar)$/.test(mediaType)) return 'none';
  return undefined;
}

/** By magic number, as docker does for archives without a media type. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

function sniffFile(file: string): Compression {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = fs.readSync(fd, head, 0, 4, 0);
    return sniffCompression(head.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/** Applies the layer in file (compressed or not) into dir. */
export async function applyLayerFile(file: string, dir: string, opts: ApplyOptions): Promise<ApplyResult> {
  const compression = compressionOf(opts.mediaType) ?? sniffFile(file);
  let r: ApplyResult;
  try {
    r = await native().extractLayer(file, dir, compression, opts.whiteouts, opts.onProgress, opts.whiteouts === 'overlay' ? opts.lowerDirs : undefined);
  } catch (e) {
    if (isErrno(e, 'EBADLAYER')) throw new GockerError(`failed to apply layer: ${(e as Error).message}`, { code: 'EBADLAYER', cause: e });
    throw e;
  }
  if (opts.diffId && opts.diffId !== r.diffId) {
    throw new GockerError(`failed to apply layer: diff_id mismatch: expected ${opts.diffId}, got ${r.diffId}`, { code: 'EDIGEST' });
  }
  return r;
}

/**
 * Applies a layer from a stream. The stream is spooled to a file beside dir first: the
 * native extractor reads a file descriptor on its own threads, without a round trip
 * through the event loop per chunk.
 */
export async function applyLayer(input: NodeJS.ReadableStream, dir: string, opts: ApplyOptions): Promise<ApplyResult> {
  const spool = path.join(path.dirname(dir), `.spool-${process.pid}-${path.basename(dir)}`);
  try {
    // Required here: the store imports this module, and `run` should not load node:stream.
    const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
    await pipeline(input, fs.createWriteStream(spool, { mode: 0o600 }));
    return await applyLayerFile(spool, dir, opts);
  } finally {
    try {
      fs.unlinkSync(spool);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
  }
}
