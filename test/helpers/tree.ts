// A tree described entry by entry (type and mode, owner, mtime, size and content, link
// target, device, link count, xattrs), for comparing what two tools wrote.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every xattr under root, by relative path, as getfattr (attr package) dumps them. */
function xattrs(root: string): Map<string, string> {
  const out = new Map<string, string>();
  // -P: never follow symlinks; -h: the link itself; -e hex: binary values compare exactly.
  const dump = execFileSync('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root], { maxBuffer: 64 << 20 }).toString();
  for (const block of dump.split('\n\n')) {
    const lines = block.trim().split('\n');
    if (!lines[0]?.startsWith('# file: ')) continue;
    const rel = path.relative(root, lines[0].slice(8));
    // overlayfs's own bookkeeping is the layering's, not the file's.
    const attrs = lines.slice(1).filter((l) => !/^(trusted|user)\.overlay\./.test(l)).sort();
    if (attrs.length) out.set(rel, attrs.join(','));
  }
  return out;
}

export function describeTree(root: string, opts: { xattrs?: boolean; nlink?: boolean } = {}): Map<string, string> {
  const out = new Map<string, string>();
  const xa = opts.xattrs ? xattrs(root) : new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(root, r);
      const st = fs.lstatSync(p, { bigint: true });
      // mtimes to the nanosecond: PAX records and utimensat both carry them.
      let desc = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeNs}`;
      if (st.isFile()) desc += ` ${st.size} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
      if (st.isFile() && opts.nlink !== false) desc += ` nlink=${st.nlink}`;
      if (st.isSymbolicLink()) desc += ` -> ${fs.readlinkSync(p)}`;
      if (st.isCharacterDevice() || st.isBlockDevice()) desc += ` dev=${st.rdev}`;
      if (xa.has(r)) desc += ` xattrs=${xa.get(r)}`;
      out.set(r, desc);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

/** The entries where two trees differ, as readable lines ([] when equal). */
export function treeDiff(a: Map<string, string>, b: Map<string, string>, names = ['a', 'b']): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${names[0]}=${a.get(k)} ${names[1]}=${b.get(k)}`);
}
