// A small tar writer for tests: builds archives entry by entry, including headers no
// well-behaved tool would write (escapes, bad checksums, absurd sizes).
import * as zlib from 'node:zlib';

export interface TarEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'L' | 'K' | 'x' | 'S';
  data?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** PAX records written in an 'x' header before this entry */
  pax?: Record<string, string | Buffer>;
  /** write this size field instead of the data's length (octal string, or raw bytes) */
  sizeField?: string | Buffer;
  /** corrupt the checksum */
  badChecksum?: boolean;
}

const TYPEFLAG: Record<string, string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6', L: 'L', K: 'K', x: 'x', S: 'S',
};

/** An octal header number field of width bytes (for sizeField). */

export function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name.slice(0, 100), 0, 'utf8');
  const type = e.type ?? 'file';
  h.write(octal(e.mode ?? (type === 'dir' ? 0o755 : 0o644), 8), 100);
  h.write(octal(e.uid ?? 0, 8), 108);
  h.write(octal(e.gid ?? 0, 8), 116);
  if (Buffer.isBuffer(e.sizeField)) e.sizeField.copy(h, 124);
  else h.write(e.sizeField ?? octal(size, 12), 124);
  h.write(octal(e.mtime ?? 1_600_000_000, 12), 136);
  h.write(TYPEFLAG[type] ?? '0', 156);
  if (e.linkname) h.write(e.linkname.slice(0, 100), 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(octal(e.devmajor ?? 0, 8), 329);
  h.write(octal(e.devminor ?? 0, 8), 337);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  if (e.badChecksum) sum += 1;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function pad(b: Buffer): Buffer {
  const rest = (512 - (b.length % 512)) % 512;
  return rest ? Buffer.concat([b, Buffer.alloc(rest)]) : b;
}

function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** end: false leaves out the end-of-archive marker; endBlocks: how many zero blocks make it (2). */
export function tar(entries: TarEntry[], opts: { end?: boolean; endBlocks?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.pax) {
      const body = Buffer.concat(Object.entries(e.pax).map(([k, v]) => paxRecord(k, v)));
      parts.push(header({ name: 'PaxHeader', type: 'x' }, body.length), pad(body));
    }
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    parts.push(header(e, data.length));
    if (data.length) parts.push(pad(data));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(opts.endBlocks === undefined ? 1024 : 512 * opts.endBlocks));
  return Buffer.concat(parts);
}

export function gzip(b: Buffer): Buffer {
  return zlib.gzipSync(b);
}
