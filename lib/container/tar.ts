// GNU tar for a container's trees: what export and commit write, and the archives cp reads
// from stdin and writes to stdout.
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { GockerError } from '../errors';
import { sniffCompression } from '../layer';

/**
 * A tar of entries under dir, written by GNU tar: PAX with xattrs (SCHILY.xattr.*, so file
 * capabilities and user.* attributes survive commit and export, as docker keeps them),
 * numeric owners, no atime/ctime records. The tar npm package drops xattrs.
 */
export async function writeTar(dir: string, entries: string[], out: NodeJS.WritableStream): Promise<void> {
  // --ignore-failed-read: an entry a running container removed after it was listed is a
  // warning, not a failed export. GNU tar walks with openat and O_NOFOLLOW, so what it
  // archives of a link is the link.
  const child = spawn('tar', ['--ignore-failed-read', '--format=pax', '--pax-option=delete=atime,delete=ctime', '--xattrs', '--xattrs-include=*',
    '--numeric-owner', '-C', dir, '-cf', '-', '--', ...entries], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  await pipeline(child.stdout!, out, { end: out !== process.stdout });
  const code = await exited;
  // 1: a file changed while it was read (a running container's export); the archive is whole.
  if (code !== 0 && code !== 1) throw new GockerError(`tar of ${dir} failed: ${err.trim().split('\n')[0] || `exit ${code}`}`);
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
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    while (!done) {
      const r = await it.next();
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
  if (fed.status === 'rejected') throw fed.reason;
}
