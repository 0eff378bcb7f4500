// -u NAME|UID[:GROUP|GID], resolved in the image's own /etc/passwd and /etc/group, as docker does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError } from '../errors';

export interface ExecUser {
  uid: number;
  gid: number;
  /** supplementary groups */
  groups: number[];
  home: string;
}

/** A file as the container will see it: the top-most layer that has it wins; a whiteout hides it. */
export function readImageFile(layerDirs: string[], rel: string): string | undefined {
  for (let i = layerDirs.length - 1; i >= 0; i--) {
    const p = path.join(layerDirs[i], rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) return undefined; // overlay whiteout
    if (!st.isFile()) return undefined;
    return fs.readFileSync(p, 'utf8');
  }
  return undefined;
}

function entries(text: string | undefined): string[][] {
  return (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

export function resolveUser(spec: string, layerDirs: string[]): ExecUser {
  const [userPart, groupPart] = spec.split(':', 2);
  const passwd = entries(readImageFile(layerDirs, 'etc/passwd'));
  const group = entries(readImageFile(layerDirs, 'etc/group'));
  let uid: number;
  let gid: number | undefined;
  let home = '/';
  let name: string | undefined;
  const byName = passwd.find((p) => p[0] === userPart);
  const numeric = /^\d+$/.test(userPart);
  if (byName) {
    uid = Number(byName[2]);
    gid = Number(byName[3]);
    home = byName[5] || '/';
    name = byName[0];
  } else if (numeric) {
    uid = Number(userPart);
    const p = passwd.find((e) => Number(e[2]) === uid);
    if (p) {
      gid = Number(p[3]);
      home = p[5] || '/';
      name = p[0];
    }
  } else {
    throw new GockerError(`unable to find user ${userPart}: no matching entries in passwd file`, { exitCode: 125 });
  }
  if (groupPart !== undefined && groupPart !== '') {
    const g = group.find((e) => e[0] === groupPart);
    if (g) gid = Number(g[2]);
    else if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else throw new GockerError(`unable to find group ${groupPart}: no matching entries in group file`, { exitCode: 125 });
  }
  gid ??= 0;
  const groups = name ? group.filter((g) => (g[3] ?? '').split(',').includes(name!)).map((g) => Number(g[2])) : [];
  return { uid, gid, groups: [...new Set(groups.filter((g) => g !== gid))], home };
}
