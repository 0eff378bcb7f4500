// The archives of a container's trees: export and commit write them with the addon's tar
// writer, cp reads them (from stdin) with GNU tar.
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GockerError } from '../errors';
import { sniffCompression } from '../layer';
import { native, type TarOptions } from '../native';

/** The size of each piece the writer is asked for: its reads and the stream's writes. */
const PIECE = 1 << 20;

/**
 * A tar of names (entries of dir, '.' for dir itself; null: all of dir's entries, whatever
 * bytes their names are made of) and everything under them, as a stream
 * made as it is read: PAX with xattrs (SCHILY.xattr.*, so file capabilities and user.*
 * attributes survive commit and export, as docker keeps them), numeric owners, sub-second
 * mtimes, hard links as links. The walk is the addon's (native/tarwrite.cc): iterative, on a
 * worker thread, with a bounded number of descriptors and never through a symlink, so a tree
 * 100,000 directories deep is archived, and a running container cannot point it at the
 * host's files. An entry removed while the archive is written is left out, as GNU tar's
 * --ignore-failed-read did. o: for an overlay upper dir as an image layer (see TarOptions).
 */
export function tarStream(dir: string, names: string[] | null, o?: TarOptions): Readable {
  const h = native().tarOpen(dir, names, o);
  async function* pieces(): AsyncGenerator<Buffer> {
    // Ended or destroyed, the walk's descriptors are given back; a read under way ends first.
    try {
      for (let b = await native().tarRead(h, PIECE); b; b = await native().tarRead(h, PIECE)) yield b;
    } finally {
      native().tarClose(h);
    }
  }
  return Readable.from(pieces(), { objectMode: false });
}

/** tarStream's archive written to out (process.stdout is not ended). */
export async function writeTar(dir: string, names: string[] | null, out: NodeJS.WritableStream): Promise<void> {
  await pipeline(tarStream(dir, names), out, { end: out !== process.stdout });
}

/**
 * Extracts the tar archive (plain, gzip or zstd, as import takes them) read from input into
 * dir, an empty directory of ours, with owners, modes and xattrs as the archive gives them.
 * GNU tar keeps every entry inside dir (no absolute names, no '..', links made last); the
 * archive is hostile all the same, so nothing of it is used until it has been read whole.
 */
export async function extractTar(input: NodeJS.ReadableStream, dir: string): Promise<void> {
  // GNU tar recognises a compressed archive in a file, not in a pipe: the first bytes say.
  const it = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < 4 && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else head = Buffer.concat([head, Buffer.from(r.value)]);
  }
  const kind = sniffCompression(head);
  const child = spawn('tar', ['-x', '-f', '-', '-C', dir, '--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '--xattrs-include=*',
    ...(kind === 'gzip' ? ['--gzip'] : kind === 'zstd' ? ['--zstd'] : [])], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  let inputFailed = false;
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    while (!done) {
      let r: IteratorResult<Buffer | string>;
      try {
        r = await it.next();
      } catch (e) {
        inputFailed = true;
        throw e;
      }
      if (r.done) return;
      yield Buffer.from(r.value);
    }
  }
  const [fed, code] = await Promise.allSettled([pipeline(all(), child.stdin!), exited]);
  // tar's own words first: a pipe it closed early is only the consequence.
  if (code.status === 'rejected') throw code.reason;
  if (code.value !== 0) {
    const why = err.split('\n').find((l) => l && !/Removing leading|Exiting with failure status/.test(l)) ?? `exit ${code.value}`;
    throw new GockerError(`Error processing tar file: ${why.replace(/^tar: /, '')}`, { exitCode: 1 });
  }
  if (fed.status === 'rejected') {
    // tar reads up to the archive's end blocks and exits, 0: the padding after them (an
    // archive is written in 10240-byte records) may still have been on its way to its
    // stdin, whose close then fails the feed. Not when the input itself failed: one cut off
    // (destroyed) fails the same way, and is a failure, whatever tar made of what it got.
    const e = fed.reason as NodeJS.ErrnoException;
    if (!inputFailed && (e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.code === 'EPIPE')) return;
    throw e;
  }
}
