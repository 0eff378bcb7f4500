// -u is resolved in the container's own files: its layers read as one tree (whiteouts, opaque
// directories), symlinks followed with that tree as "/" and never onto the host.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readImageFile, resolveUser } from '../../lib/container/user';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-user-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

let n = 0;
/** Layer directories (bottom first) from {path: content | '->target' | 'dir' | 'whiteout'}. */
function layers(...specs: Array<Record<string, string>>): string[] {
  const root = path.join(base, String(n++));
  return specs.map((spec, i) => {
    const dir = path.join(root, String(i));
    fs.mkdirSync(dir, { recursive: true });
    for (const [rel, v] of Object.entries(spec)) {
      const p = path.join(dir, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      if (v === 'dir') fs.mkdirSync(p, { recursive: true });
      else if (v.startsWith('->')) fs.symlinkSync(v.slice(2), p);
      else if (v === 'whiteout') execFileSync('mknod', [p, 'c', '0', '0']);
      else fs.writeFileSync(p, v);
    }
    return dir;
  });
}

const hostPasswd = path.join(base, 'host-passwd');
fs.writeFileSync(hostPasswd, 'evil:x:4242:4242::/:/bin/sh\n');

test('the top-most layer wins; the writable layer last', () => {
  const l = layers({ 'etc/passwd': 'a:x:1:1::/:/bin/sh\n' }, { 'etc/passwd': 'a:x:2:2::/home/a:/bin/sh\n' });
  assert.deepEqual(resolveUser('a', l), { uid: 2, gid: 2, groups: [], home: '/home/a' });
});

test('links that stay inside are followed, against the rootfs: relative, absolute, through other layers', () => {
  const l = layers(
    { 'usr/share/passwd': 'in:x:7:8::/:/bin/sh\n', 'etc/group': '->../usr/./share/../share/group' },
    { 'etc/passwd': '->/usr/share/passwd', 'usr/share/group': 'g:x:9:in\n' },
  );
  assert.deepEqual(resolveUser('in', l), { uid: 7, gid: 8, groups: [9], home: '/' });
});

test('links that climb or point out of the rootfs stay inside it', () => {
  for (const target of [hostPasswd, `../../../../../../../../..${hostPasswd}`, `/../../..${hostPasswd}`]) {
    const l = layers({ 'etc/passwd': `->${target}` });
    assert.equal(readImageFile(l, 'etc/passwd'), undefined, target);
    assert.throws(() => resolveUser('evil', l), /unable to find user evil/);
  }
  // A directory on the way that is a link to the host: the same.
  const l = layers({ etc: `->${path.dirname(hostPasswd)}` }, { 'bin/sh': '' });
  assert.equal(readImageFile(l, 'etc/host-passwd'), undefined);
  // ...while the same name inside the rootfs is what it finds.
  const inside = layers({ [`${path.dirname(hostPasswd).slice(1)}/host-passwd`]: 'mine:x:3:3::/:/bin/sh\n', etc: `->${path.dirname(hostPasswd)}` });
  assert.equal(readImageFile(inside, 'etc/host-passwd'), 'mine:x:3:3::/:/bin/sh\n');
});

test('whiteouts hide the lower layers, for the file and for a directory on the way', () => {
  const l = layers({ 'etc/passwd': 'a:x:1:1::/:/bin/sh\n' }, { 'etc/passwd': 'whiteout' });
  assert.equal(readImageFile(l, 'etc/passwd'), undefined);
  const d = layers({ 'etc/passwd': 'a:x:1:1::/:/bin/sh\n' }, { etc: 'whiteout' }, { 'etc/group': 'x:x:5:\n' });
  assert.equal(readImageFile(d, 'etc/passwd'), undefined);
  assert.equal(readImageFile(d, 'etc/group'), 'x:x:5:\n');
  // A file over a directory hides what was under it.
  const f = layers({ 'etc/passwd': 'a:x:1:1::/:/bin/sh\n' }, { etc: 'not a dir' });
  assert.equal(readImageFile(f, 'etc/passwd'), undefined);
});

test('symlink loops, directories and special files give nothing, not a hang', () => {
  const l = layers({ 'etc/passwd': '->/etc/loop', 'etc/loop': '->passwd', 'etc/group': 'dir' });
  assert.equal(readImageFile(l, 'etc/passwd'), undefined);
  assert.equal(readImageFile(l, 'etc/group'), undefined);
  const fifo = layers({ etc: 'dir' });
  execFileSync('mkfifo', [path.join(fifo[0], 'etc/passwd')]);
  assert.equal(readImageFile(fifo, 'etc/passwd'), undefined);
});

test('an opaque directory hides the layers below it', { skip: process.getuid?.() !== 0 && 'trusted.* xattrs need root' }, () => {
  const l = layers({ 'etc/passwd': 'a:x:1:1::/:/bin/sh\n', 'etc/group': 'g:x:1:\n' }, { 'etc/group': 'h:x:2:\n' });
  assert.equal(readImageFile(l, 'etc/passwd'), 'a:x:1:1::/:/bin/sh\n');
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.join(l[1], 'etc')]);
  assert.equal(readImageFile(l, 'etc/passwd'), undefined);
  assert.equal(readImageFile(l, 'etc/group'), 'h:x:2:\n');
});
