// commit and export write their archives with the addon's tar writer (native/tarwrite.cc):
// what a container made comes back from the committed image as it was (types, modes, owners,
// sub-second mtimes, xattrs, hard links, long and non-ASCII names, file data), and the same
// archives read the same in GNU tar, a reader that is not ours.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-archive-');
const g = (args: string[]) => gocker([...roots.args, ...args], { maxBuffer: 64 << 20 });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-archive-work-'));

before(() => importBusybox(roots.args));

after(() => {
  try {
    removeAllContainers(roots.root, roots.args);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    roots.remove();
  }
});

const LONG_DIR = 'l'.repeat(150);
const LONG_FILE = 'n'.repeat(200); // its path, LONG_DIR/LONG_FILE, is over 255 bytes
const WIDE = 'héllo-日本語-ü';
const TARGET = `/nowhere/${'t'.repeat(300)}`;

/**
 * What the container makes under /t, from a shell in it: a setuid file and a hard link to
 * it, a symlink to it and one with a 309-byte target, a FIFO, a character and a block
 * device, an owned directory with a sticky bit, long and non-ASCII names, 64 MiB of random
 * data; then, from the host (busybox has neither setfattr nor a touch with nanoseconds), an
 * xattr of each namespace a layer keeps and sub-second mtimes.
 */
function populate(id: string): void {
  const sh = [
    'set -e', 'mkdir /t', 'cd /t',
    'echo data > f', 'chmod 4751 f', 'ln f hl', 'ln -s f sl', `ln -s ${TARGET} longlink`,
    'mkfifo fifo', 'mknod cdev c 1 3', 'mknod bdev b 7 0',
    'mkdir owned', 'chown 1234:5678 owned', 'chmod 1770 owned', 'echo o > owned/x', 'chown 4321:8765 owned/x',
    `mkdir ${LONG_DIR}`, `echo long > ${LONG_DIR}/${LONG_FILE}`, `ln ${LONG_DIR}/${LONG_FILE} ${LONG_DIR}/second`,
    `echo wide > ${WIDE}`,
    'dd if=/dev/urandom of=big bs=1M count=64 2>/dev/null',
  ].join('\n');
  const r = g(['exec', id, 'sh', '-c', sh]);
  assert.equal(r.status, 0, r.stderr);
  const upper = g(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim();
  const t = path.join(upper, 't');
  execFileSync('setfattr', ['-n', 'user.gocker', '-v', 'kept', path.join(t, 'f')]);
  execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', path.join(t, 'f')]);
  execFileSync('setfattr', ['-n', 'trusted.gocker', '-v', '0x00ff10', path.join(t, 'owned')]);
  execFileSync('setfattr', ['-n', 'user.wide', '-v', WIDE, path.join(t, WIDE)]);
  execFileSync('touch', ['-h', '-d', '2001-02-03 04:05:06.123456789', path.join(t, 'f'), path.join(t, 'sl'), path.join(t, 'fifo')]);
  execFileSync('touch', ['-d', '1999-12-31 23:59:59.5', path.join(t, LONG_DIR, LONG_FILE)]);
  // Directories last: what went into them moved their times.
  execFileSync('touch', ['-d', '2010-10-10 10:10:10.000000001', path.join(t, LONG_DIR), path.join(t, 'owned')]);
}

/**
 * Every entry under dir: path, type, mode, owner, size (not for directories, whose sizes
 * are the filesystem's), mtime to the nanosecond, link count, link target, device numbers,
 * the xattrs and the file's sha256; hard links as the set of names sharing an inode.
 */
function listing(dir: string): string[] {
  const lines = execFileSync('find', ['.', '-mindepth', '1', '-printf', '%P|%y|%m|%U:%G|%n|%T@|%l\\n'], { cwd: dir, maxBuffer: 16 << 20 }).toString().split('\n').filter(Boolean);
  const inodes = new Map<string, string[]>();
  const out = lines.map((l) => {
    const [p, type] = l.split('|');
    const st = fs.lstatSync(path.join(dir, p));
    inodes.set(String(st.ino), [...(inodes.get(String(st.ino)) ?? []), p]);
    const extra = [];
    if (type === 'f') extra.push(String(st.size), execFileSync('sha256sum', [path.join(dir, p)]).toString().split(' ')[0]);
    if (type === 'c' || type === 'b') extra.push(String(st.rdev));
    if (type !== 'l') extra.push(execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', path.join(dir, p)]).toString().split('\n').slice(1).filter(Boolean).sort().join(','));
    return `${l}|${extra.join('|')}`;
  });
  const links = [...inodes.values()].filter((names) => names.length > 1).map((names) => `link ${names.sort().join(' = ')}`);
  return [...out.sort(), ...links.sort()];
}

test('commit and export keep what a container made: types, modes, owners, mtimes, xattrs, hard links, long and non-ASCII names, data', () => {
  const run = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  populate(id);
  const upper = g(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim();
  const source = listing(path.join(upper, 't'));
  // The listing sees what it should: a wrong listing would make every comparison pass.
  assert.ok(source.includes(`link ${LONG_DIR}/${LONG_FILE} = ${LONG_DIR}/second`), source.join('\n'));
  assert.ok(source.includes('link f = hl'));
  assert.ok(source.some((l) => l.startsWith('f|f|4751|0:0|2|981173106.1234567890|')), source.join('\n'));
  assert.ok(source.some((l) => l.startsWith(`longlink|l|777|0:0|1|`) && l.includes(TARGET)));
  assert.ok(source.some((l) => l.startsWith('f|') && l.includes('user.gocker=0x6b657074') && l.includes('security.capability=0x01000002')));

  const c = g(['commit', id, 'archived:1']);
  assert.equal(c.status, 0, c.stderr);
  // Our extractor: the image's top layer as the store extracted it.
  const top = JSON.parse(g(['image', 'inspect', 'archived:1']).stdout)[0].GraphDriver.Data.UpperDir as string;
  assert.deepEqual(listing(path.join(top, 't')), source);
  // GNU tar: the layer blob as pushed or saved, extracted by it.
  const layers = JSON.parse(g(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'archived:1']).stdout) as string[];
  const blob = path.join(roots.root, 'blobs', 'sha256', layers[layers.length - 1].slice('sha256:'.length));
  const byTar = path.join(work, 'layer');
  fs.mkdirSync(byTar);
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', blob, '-C', byTar]);
  assert.deepEqual(listing(path.join(byTar, 't')), source);

  // The image runs, and its processes see the same files.
  const inside = 'cd /t && sha256sum big f && cat l*/n* && cat hé* && stat -c "%n %A %u:%g %s %t,%T %y" f hl sl fifo cdev bdev owned owned/x';
  const was = g(['exec', id, 'sh', '-c', inside]);
  assert.equal(was.status, 0, was.stderr);
  const now = g(['run', '--rm', '--network', 'none', 'archived:1', 'sh', '-c', inside]);
  assert.equal(now.stderr, '');
  assert.equal(now.stdout, was.stdout);
  assert.match(now.stdout, /long\nwide\n/);

  // export: the container's whole tree, read by GNU tar; /t in it as the container has it.
  const exported = path.join(work, 'export.tar');
  const e = g(['export', '-o', exported, id]);
  assert.equal(e.status, 0, e.stderr);
  const byTarExport = path.join(work, 'export');
  fs.mkdirSync(byTarExport);
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', exported, '-C', byTarExport]);
  assert.deepEqual(listing(path.join(byTarExport, 't')), source);
  assert.ok(fs.existsSync(path.join(byTarExport, 'bin', 'busybox')));
  assert.equal(g(['rm', '-f', id]).status, 0);
  assert.equal(g(['rmi', 'archived:1']).status, 0);
});

test('a name that is no UTF-8 is in diff, the commit and the export, bytes as they were', () => {
  // A container's names are any bytes but '/' and NUL; read into a JavaScript string, 0xff
  // becomes U+FFFD, which names nothing: the entry was left out of both archives (at the top
  // of the tree) and its change out of diff (anywhere).
  const run = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  const raw = Buffer.from([0x72, 0xff, 0x77]);
  const has = (dir: string) => fs.readdirSync(dir, { encoding: 'buffer' }).some((n) => n.equals(raw));
  try {
    const r = g(['exec', id, 'sh', '-c', 'n="$(printf \'r\\377w\')"; printf kept > "/$n"; mkdir /n; printf kept > "/n/$n"']);
    assert.equal(r.status, 0, r.stderr);
    const upper = g(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim();
    assert.ok(has(upper), 'the container made the name');

    // diff, read as bytes: the CLI writes the names as they are, as docker's does.
    const diff = spawnSync(BIN, [...roots.args, 'diff', id]);
    assert.equal(diff.status, 0, String(diff.stderr));
    assert.deepEqual(diff.stdout, Buffer.concat([Buffer.from('A /n\nA /n/'), raw, Buffer.from('\nA /'), raw, Buffer.from('\n')]));

    const c = g(['commit', id, 'rawname:1']);
    assert.equal(c.status, 0, c.stderr);
    const top = JSON.parse(g(['image', 'inspect', 'rawname:1']).stdout)[0].GraphDriver.Data.UpperDir as string;
    assert.ok(has(top), 'in the committed layer');

    const exported = path.join(work, 'rawname.tar');
    const e = g(['export', '-o', exported, id]);
    assert.equal(e.status, 0, e.stderr);
    const byTar = path.join(work, 'rawname');
    fs.mkdirSync(byTar);
    execFileSync('tar', ['-xf', exported, '-C', byTar]);
    assert.ok(has(byTar), 'in the export');
    assert.equal(fs.readFileSync(Buffer.concat([Buffer.from(`${byTar}/`), raw])).toString(), 'kept');
  } finally {
    g(['rm', '-f', id]);
    g(['rmi', 'rawname:1']);
  }
});

test('thousands of hard links at the bottom of a chain 200 KB of names deep: export holds each first name once, not its path', () => {
  // The writer kept the path of each multiply linked inode's first name: 4,000 of them under
  // 1,000 names of 200 bytes were 800 MB (any container can make more), where the archive
  // itself is streamed. The peak of the CLI's resident set is read by its parent, Python's
  // getrusage of its children.
  const run = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const upper = g(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim();
    // Past PATH_MAX, so made a directory descriptor at a time (the container could as well).
    execFileSync('python3', ['-c', `
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.mkdir('deep', dir_fd=fd)
for i in range(1000):
    nfd = os.open('deep' if i == 0 else 'd' * 200, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
    os.mkdir('d' * 200, dir_fd=fd)
for i in range(4000):
    os.close(os.open('f%d' % i, os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.link('f%d' % i, 'g%d' % i, src_dir_fd=fd, dst_dir_fd=fd)
`, upper]);
    const peak = spawnSync('python3', ['-c', `
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stderr.write(r.stderr.decode())
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
`, BIN, ...roots.args, 'export', id], { encoding: 'utf8', timeout: 300_000 });
    const [code, mb] = peak.stdout.trim().split(' ').map(Number);
    assert.equal(code, 0, peak.stderr);
    assert.ok(mb < 400, `export peaked at ${mb} MB`);
  } finally {
    g(['rm', '-f', id]);
  }
});

test('export of a file over 8 GiB: its size in a PAX record, read by GNU tar', () => {
  const run = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    // Sparse, and 1 byte past 9 GiB so the archive's padding is tested too.
    const size = 9 * 2 ** 30 + 1;
    const mk = g(['exec', id, 'sh', '-c', `dd if=/dev/zero of=/huge bs=1 count=0 seek=${size} 2>/dev/null && echo end >> /huge && stat -c %s /huge`]);
    assert.equal(mk.status, 0, mk.stderr);
    assert.equal(mk.stdout, `${size + 4}\n`);
    // Streamed into GNU tar, which reads every byte to the end: a wrong size, or the
    // padding after it, would show as a missing entry after it or a broken archive.
    const r = spawnSync('bash', ['-c', `set -o pipefail; "$@" export ${id} | tar -tvf -`, 'bash', BIN, ...roots.args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20 });
    assert.equal(r.status, 0, r.stderr);
    // mode, owner, size, date, time, name
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => l.split(/ +/));
    const named = (n: string) => lines.filter((l) => l[5] === n);
    assert.equal(named('huge').length, 1);
    assert.equal(named('huge')[0][2], String(size + 4));
    // Entries after it: its data and padding were as long as its header said.
    assert.equal(named('sbin/').length, 1);
    assert.equal(named('etc/passwd').length, 1);
  } finally {
    g(['rm', '-f', id]);
  }
});

test('a directory the container swaps for a link to / while export and commit run: never the host in the archive', async () => {
  // Four loops, so that the writer's window between a check and its use is hit within seconds.
  const swap = [0, 1, 2, 3].map((i) => `while :; do mkdir /s${i}; echo x > /s${i}/f; rm -rf /s${i}; ln -s / /s${i}; rm /s${i}; done &`).join(' ');
  const run = g(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', `${swap} wait`]);
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    // Under s0..s3 there is only ever f: anything else is a tree read through the link, the
    // host's own root (the writer runs on the host, where / is the host's).
    const strays = (names: string[]) => names.filter((n) => /^s\d\/./.test(n) && !/^s\d\/f$/.test(n));
    const out = path.join(work, 'race.tar');
    let exports = 0;
    for (const end = Date.now() + 8000; Date.now() < end; exports++) {
      const e = g(['export', '-o', out, id]);
      assert.equal(e.status, 0, e.stderr);
      const names = execFileSync('tar', ['-tf', out], { maxBuffer: 64 << 20 }).toString().split('\n');
      assert.deepEqual(strays(names), [], `export ${exports}`);
    }
    let commits = 0;
    for (const end = Date.now() + 8000; Date.now() < end; commits++) {
      const c = g(['commit', id, 'race:1']);
      assert.equal(c.status, 0, c.stderr);
      const layers = JSON.parse(g(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'race:1']).stdout) as string[];
      const blob = path.join(roots.root, 'blobs', 'sha256', layers[layers.length - 1].slice('sha256:'.length));
      const names = execFileSync('tar', ['-tf', blob], { maxBuffer: 64 << 20 }).toString().split('\n');
      assert.deepEqual(strays(names), [], `commit ${commits}`);
      assert.equal(g(['rmi', 'race:1']).status, 0);
    }
    assert.ok(exports > 3 && commits > 3, `${exports} exports, ${commits} commits`);
  } finally {
    g(['rm', '-f', id]);
  }
});
