// Reading a file whole through a descriptor already opened (and checked with fstat): the
// callers open without following links, or refuse what is not a regular file, before they
// know how much to read.
import * as fs from 'node:fs';

/** Up to size bytes of fd from its start; fewer if the file shrank meanwhile. */
export function readWhole(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let n = 0;
  while (n < buf.length) {
    const r = fs.readSync(fd, buf, n, buf.length - n, n);
    if (r === 0) break;
    n += r;
  }
  return buf.subarray(0, n);
}
