// diff, commit and cp on trees deeper than a call stack or PATH_MAX, each run with at most
// NOFILE descriptors (prlimit, soft and hard, so Node cannot raise it): the walks behind them
// are iterative and hold a bounded number of descriptors, and one that kept a descriptor a
// level would fail (EMFILE) a few hundred levels down, far above these depths.
// Before: diff overflowed the JavaScript stack at 4,000 levels, commit at 2,000 (taking 13 s
// for 1,000, a getfattr process a directory), cp either way failed at 10,000 (EMFILE), and a
// vfs commit of a change deeper than PATH_MAX failed (ENAMETOOLONG).
// Every path names all the directories above it, so a chain D deep is about D² bytes of
// output: 10 GB at 100,000, for diff's listing, commit's layer and export's archive. diff's
// listing is read as it comes at 100,000 (before, diff held it and ran out of memory there);
// commit at 20,000 once (a 400 MB layer: at 100,000, 10 GB took four minutes of the suite,
// and 20,000 is twice as deep as anything that overflowed a stack here), in a store on
// disk, its archive written by the addon's tar writer (GNU tar, which wrote it before,
// overflowed its stack near 10,000 levels); export, which writes what commit writes by the
// same walk, and the vfs commit short of that; rmi removes the 20,000-deep image again. The trees are made and
// checked with perl (as in deep-trees), which walks with chdir and never builds a full path.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { humanSize } from '../../cli/units';
import { native } from '../../lib/native';
import { BIN, REPO, gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';

const NOFILE = 256;
const CP_DEPTH = 100_000;
const DIFF_DEPTH = 100_000; // 10 GB of listing
const COMMIT_DEPTH = 5_000; // a 25 MB layer
const EXPORT_DEPTH = 20_000; // a 400 MB archive
const ARCHIVE_DEPTH = 20_000; // a 400 MB layer
const VFS_DEPTH = 5_000;
const SIZE_DEPTH = 20_000; // 40,000 bytes of path: docker's size walk fails some 2,000 levels down

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-deepwalk-'));
// A tmpfs of its own, the store on it too: 100,000 mkdirs on tmpfs take 0.3 s, on ext4 17 s.
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2g,mode=0700', 'gocker-deepwalk-test', work]);
const roots = { root: path.join(work, 'root'), args: ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')] };
const g = (args: string[]) => gocker([...roots.args, ...args], { maxBuffer: 256 << 20 });
/** The gocker command as g runs it (or in the store storeArgs names), with at most NOFILE descriptors. */
function limited(args: string[], storeArgs = roots.args, timeout = 120_000): CliResult {
  const r = spawnSync('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, BIN, ...storeArgs, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, timeout });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

const VFS = ['--storage-driver', 'vfs'];

after(() => {
  try {
    for (const driver of [[], VFS]) {
      const dir = path.join(roots.root, ...(driver.length ? ['vfs'] : []), 'containers');
      for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) g([...driver, 'rm', '-f', id]);
    }
  } finally {
    // Mounts the store left on the tmpfs first, then the tmpfs with everything on it.
    execFileSync('sh', ['-c', `grep -o " ${work}/[^ ]*" /proc/self/mounts | sort -r | xargs -r umount -l`]);
    execFileSync('umount', ['-l', work]);
    fs.rmdirSync(work);
  }
});

/** Makes `depth` nested directories named `name` under dir, with a file f at the bottom. */
function makeDeep(dir: string, depth: number, name = 'd'): void {
  execFileSync('perl', ['-e', 'chdir $ARGV[0] or die "$!"; for (1..$ARGV[1]) { mkdir $ARGV[2] or die "mkdir: $!"; chdir $ARGV[2] or die "chdir: $!" } open(F, ">f") or die "$!"; print F "deep\\n"', dir, String(depth), name]);
}

/** The content of `leaf` at the bottom of `depth` levels of `name` under dir, or null. */
function readDeep(dir: string, depth: number, name = 'd', leaf = 'f'): string | null {
  try {
    return execFileSync('perl', ['-e', 'chdir $ARGV[0] or die; for (1..$ARGV[1]) { chdir $ARGV[2] or die } open(F, "<", $ARGV[3]) or die; print <F>', dir, String(depth), name, leaf], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return null;
  }
}

/**
 * A running container (removed after fn, whatever happens) whose upper dir holds a chain
 * `depth` deep; driver: the storage driver's flags (vfs: the upper dir is the whole tree).
 */
async function withDeepContainer(image: string, depth: number, fn: (id: string, upper: string) => void | Promise<void>, driver: string[] = []): Promise<void> {
  // No network: the vfs store beside the overlay one would meet its bridge (two stores, one bridge name).
  const run = g([...driver, 'run', '-d', '--network', 'none', image, 'sleep', '600']);
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const upper = g([...driver, 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim();
    // Made from the host, as the container's root could make it (mkdir d; cd d; ...) only slower.
    if (depth > 0) makeDeep(upper, depth);
    await fn(id, upper);
  } finally {
    g([...driver, 'rm', '-f', id]);
  }
}

/** diff's lines for a chain of `depth` directories d with f at the bottom, all of `kind`. */
function chainLines(kind: string, depth: number): string[] {
  const lines: string[] = [];
  let p = '';
  for (let i = 0; i < depth; i++) lines.push(`${kind} ${(p += '/d')}`);
  lines.push(`${kind} ${p}/f`);
  return lines;
}

describe('deep trees in containers', () => {
  before(() => importBusybox(roots.args));

  test(`diff lists a container's tree ${DIFF_DEPTH} directories deep, with ${NOFILE} descriptors, as it walks`, async () => {
    await withDeepContainer('busybox', DIFF_DEPTH, async (id) => {
      // 10 GB of lines, each checked as it comes: line i is 'A ' and i times '/d', the last
      // one '/f' after them. The listing is read, never held (neither here nor by diff).
      const chain = Buffer.from('/d'.repeat(DIFF_DEPTH));
      const diff = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, BIN, ...roots.args, 'diff', id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      diff.stderr.on('data', (b: Buffer) => (err += b.toString()));
      let lines = 0;
      let wrong = '';
      let rest: Buffer[] = [];
      const line = (l: Buffer): void => {
        lines++;
        const want = lines <= DIFF_DEPTH ? chain.subarray(0, 2 * lines) : Buffer.concat([chain, Buffer.from('/f')]);
        if (!wrong && (l.length !== want.length + 2 || l.toString('latin1', 0, 2) !== 'A ' || !l.subarray(2).equals(want))) {
          wrong = `line ${lines}: ${l.subarray(0, 40).toString()}... (${l.length} bytes)`;
        }
      };
      diff.stdout.on('data', (b: Buffer) => {
        for (let i = b.indexOf(10), from = 0; ; i = b.indexOf(10, from)) {
          if (i < 0) {
            if (from < b.length) rest.push(b.subarray(from));
            break;
          }
          line(rest.length ? Buffer.concat([...rest, b.subarray(from, i)]) : b.subarray(from, i));
          rest = [];
          from = i + 1;
        }
      });
      const code = await new Promise<number | null>((resolve) => diff.on('close', resolve));
      assert.equal(err, '');
      assert.equal(code, 0);
      assert.equal(wrong, '');
      assert.equal(rest.length, 0);
      assert.equal(lines, DIFF_DEPTH + 1);
    });
  });

  test(`commit of a tree ${COMMIT_DEPTH} deep with ${NOFILE} descriptors; the image runs, and a change at its bottom is a diff of changed directories`, async () => {
    await withDeepContainer('busybox', COMMIT_DEPTH, (id) => {
      const c = limited(['commit', id, 'deep:1']);
      assert.equal(c.stderr, '');
      assert.equal(c.status, 0);
    });
    // busybox sh walks down 1,000 levels a cd (-P: chdir to what it is given, not to a logical
    // full path); level by level it is quadratic, as each cd looks for the new cwd's path.
    const down = `for i in $(seq ${COMMIT_DEPTH / 1000}); do cd -P ${'d/'.repeat(1000)} || exit 1; done`;
    const r = g(['run', '--rm', 'deep:1', 'sh', '-c', `${down}; cat f`]);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'deep\n');
    // A write at the bottom copies every directory above it up: each is a 'C', walked beside
    // the image's copy of it (the lower's descriptors, given up and taken back through '..').
    await withDeepContainer('deep:1', 0, (id) => {
      const w = g(['exec', id, 'sh', '-c', `${down}; echo more >> f`]);
      assert.equal(w.status, 0, w.stderr);
      const d = limited(['diff', id]);
      assert.equal(d.stderr, '');
      assert.deepEqual(d.stdout.split('\n').slice(0, -1), chainLines('C', COMMIT_DEPTH));
    });
  });

  test(`export of a tree ${EXPORT_DEPTH} deep, with ${NOFILE} descriptors: every directory is an entry, the deepest file is there`, async () => {
    await withDeepContainer('busybox', EXPORT_DEPTH, async (id) => {
      // export, read as it is written by the tar package's parser (a reader not ours): every
      // directory of the chain is an entry, and the file at the bottom holds what it did.
      const deepest = `${'d/'.repeat(EXPORT_DEPTH)}f`;
      let dirs = 0;
      let bottom = '';
      const parser = new Parser();
      parser.on('entry', (e: ReadEntry) => {
        if (e.type === 'Directory' && /^(d\/)+$/.test(e.path)) dirs++;
        if (e.path === deepest) e.on('data', (b: Buffer) => (bottom += b.toString()));
        e.resume();
      });
      const exp = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, BIN, ...roots.args, 'export', id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let expErr = '';
      exp.stderr.on('data', (b: Buffer) => (expErr += b.toString()));
      exp.stdout.pipe(parser);
      const [code] = await Promise.all([
        new Promise<number | null>((resolve) => exp.on('close', resolve)),
        new Promise((resolve) => parser.on('end', resolve)),
      ]);
      assert.equal(expErr, '');
      assert.equal(code, 0);
      assert.equal(dirs, EXPORT_DEPTH);
      assert.equal(bottom, 'deep\n');
    });
  });

  test(`commit of a tree ${ARCHIVE_DEPTH} deep, with ${NOFILE} descriptors; the image runs and its deepest file is there`, { timeout: 1_800_000 }, async () => {
    const disk = tempRoots('gocker-deepwalk-disk-');
    const d = (args: string[]) => gocker([...disk.args, ...args]);
    try {
      await importBusybox(disk.args);
      const run = d(['run', '-d', '--network', 'none', 'busybox', 'sleep', '900']);
      assert.equal(run.status, 0, run.stderr);
      const id = run.stdout.trim();
      makeDeep(d(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim(), ARCHIVE_DEPTH);
      const layers = fs.readdirSync(path.join(disk.root, 'layers')).sort();

      const c = limited(['commit', id, 'deep:20k'], disk.args, 1_200_000);
      assert.equal(c.stderr, '');
      assert.equal(c.status, 0);
      assert.equal(d(['rm', '-f', id]).status, 0);
      // Down 1,000 levels a cd, and the file read by the shell itself: an exec from down there
      // would carry a 40 KB $PWD, past what execve takes for one string (32 pages).
      const down = `for i in $(seq ${ARCHIVE_DEPTH / 1000}); do cd -P ${'d/'.repeat(1000)} || exit 1; done`;
      // 20 cds, each quadratic in its depth: long on a busy machine, past gocker()'s 2 minutes.
      const r = gocker([...disk.args, 'run', '--rm', '--network', 'none', 'deep:20k', 'sh', '-c', `${down}; read l < f; echo "$l"`], { timeout: 900_000 });
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, 'deep\n');
      // And removed: the image's layer is as deep as the tree (the store's collection walked
      // it recursively, and rmi failed with the stack overflowed, the layer left behind).
      const rmi = limited(['rmi', 'deep:20k'], disk.args);
      assert.equal(rmi.stderr, '');
      assert.equal(rmi.status, 0);
      assert.deepEqual(fs.readdirSync(path.join(disk.root, 'layers')).sort(), layers);
    } finally {
      removeAllContainers(disk.root, disk.args);
      // The image's layer is as deep as the tree: fs.rmSync's walk builds full paths.
      await native().removeTree(disk.root);
      disk.remove();
    }
  });

  test(`vfs: commit of a change at the bottom of an image's tree ${VFS_DEPTH} deep, with ${NOFILE} descriptors`, async () => {
    // busybox and the deep tree, by GNU tar (a real archive, every directory in it), imported.
    const { busyboxRootfs } = await import('../helpers/fixtures');
    const src = path.join(work, 'vfs-src');
    fs.mkdirSync(src);
    makeDeep(src, VFS_DEPTH);
    const tarball = path.join(work, 'vfs-deep.tar');
    execFileSync('tar', ['--format=posix', '--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.', '-C', src, 'd']);
    await native().removeTree(src);
    const imp = g([...VFS, 'import', tarball, 'deepv:1']);
    fs.rmSync(tarball);
    assert.equal(imp.status, 0, imp.stderr);
    await withDeepContainer('deepv:1', 0, (id, rootfs) => {
      // At the bottom, through the container's own copy of the image: its directory changes.
      execFileSync('perl', ['-e', 'chdir $ARGV[0] or die; for (1..$ARGV[1]) { chdir "d" or die } open(F, ">g") or die; print F "new\\n"', rootfs, String(VFS_DEPTH)]);
      const c = limited([...VFS, 'commit', id, 'deepv:2']);
      assert.equal(c.stderr, '');
      assert.equal(c.status, 0);
    }, VFS);
    const dir = g([...VFS, 'image', 'inspect', '-f', '{{.GraphDriver.Data.Dir}}', 'deepv:2']).stdout.trim();
    assert.equal(readDeep(dir, VFS_DEPTH, 'd', 'g'), 'new\n');
    assert.equal(readDeep(dir, VFS_DEPTH), 'deep\n');
  });

  test('ps -s, system df and the library size a writable layer whose paths are shorter than PATH_MAX; one PATH_MAX long is docker\'s -1B', async () => {
    await withDeepContainer('busybox', 0, (id, upper) => {
      // A chain whose file at the bottom has a path (upper's and the names below) of 4,095
      // bytes, the most the kernel takes: docker's walk lstat's it, and sizes the layer.
      const len = Buffer.byteLength(upper);
      const depth = Math.floor((4093 - len) / 2);
      const leaf = 'f'.repeat(4094 - len - 2 * depth);
      const deepest = path.join(upper, 'd/'.repeat(depth) + leaf);
      assert.equal(Buffer.byteLength(deepest), 4095);
      execFileSync('perl', ['-e', 'chdir $ARGV[0] or die; for (1..$ARGV[1]) { mkdir "d" or die; chdir "d" or die } open(F, ">$ARGV[2]") or die; print F "x" x 3000', upper, String(depth), leaf]);
      assert.equal(fs.lstatSync(deepest).size, 3000);
      const ps = limited(['ps', '-s', '-f', `id=${id}`, '--format', '{{.Size}}']);
      assert.equal(ps.stderr, '');
      assert.equal(ps.stdout.replace(/ \(virtual .*/, ''), '3kB\n');
      // One byte longer, beside it: the kernel takes that path from no one (ENAMETOOLONG),
      // docker's walk fails there, and dockerd shows the layer's size as -1 (SizeRw), the
      // virtual size as the image's alone: "-1B (virtual 1.99MB)" in ps -s, -1B in system df.
      execFileSync('perl', ['-e', 'chdir $ARGV[0] or die; for (1..$ARGV[1]) { chdir "d" or die } open(F, ">$ARGV[2]") or die', upper, String(depth), `${leaf}g`]);
      assert.throws(() => fs.lstatSync(`${deepest}g`), { code: 'ENAMETOOLONG' });
      const image = Number(g(['image', 'inspect', '-f', '{{.Size}}', 'busybox']).stdout);
      const tooLong = limited(['ps', '-s', '-f', `id=${id}`, '--format', '{{.Size}}']);
      assert.equal(tooLong.stderr, '');
      assert.equal(tooLong.stdout, `-1B (virtual ${humanSize(image)})\n`);
      const lib = spawnSync(process.execPath, ['-e',
        `const { Gocker } = require('gocker'); const g = new Gocker({ root: ${JSON.stringify(roots.root)}, runroot: ${JSON.stringify(path.join(work, 'run'))} }); process.stdout.write(JSON.stringify(g.containerSize(g.inspectContainer(${JSON.stringify(id)}))))`],
      { cwd: REPO, encoding: 'utf8' });
      assert.equal(lib.stderr, '');
      assert.deepEqual(JSON.parse(lib.stdout), { SizeRw: -1, SizeRootFs: image });
      // Running, so nothing reclaimable; a total of -1 gets no percentage (docker's CLI gives
      // one only to a total above 0).
      const df = g(['system', 'df']);
      assert.equal(df.status, 0, df.stderr);
      assert.match(df.stdout, /^Containers\s+1\s+1\s+-1B\s+0B$/m);
      assert.match(g(['system', 'df', '-v']).stdout, new RegExp(`^${id.slice(0, 12)}\\s.*\\s-1B\\s`, 'm'));
    });
  });

  test(`ps -s and system df -v stop at PATH_MAX in a container's tree and a volume ${SIZE_DEPTH} deep, with ${NOFILE} descriptors, reading nothing below`, async () => {
    // Before: both walked all of it (ps -s twice), 5 s at this depth, minutes at a million,
    // and showed 5B where docker shows -1B. The directory at the bottom is given an atime of
    // 0: any read of it (getdents) would set it to now (relatime, as atime < ctime).
    const bottom = (dir: string, code: string): string => execFileSync('perl', ['-e', `chdir $ARGV[0] or die; for (1..$ARGV[1]) { chdir "d" or die } ${code}`, dir, String(SIZE_DEPTH)], { encoding: 'utf8' });
    const untouched = (dir: string): void => {
      bottom(dir, 'utime 0, (stat ".")[9], "." or die');
    };
    const atime = (dir: string): string => bottom(dir, 'print((stat ".")[8])');
    const vol = g(['volume', 'create', '--label', 'deep-size', 'deep-size']);
    assert.equal(vol.status, 0, vol.stderr);
    try {
      const mountpoint = g(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'deep-size']).stdout.trim();
      makeDeep(mountpoint, SIZE_DEPTH);
      untouched(mountpoint);
      await withDeepContainer('busybox', SIZE_DEPTH, (id, upper) => {
        untouched(upper);
        const ps = limited(['ps', '-s', '-f', `id=${id}`, '--format', '{{.Size}}']);
        assert.equal(ps.stderr, '');
        assert.equal(ps.status, 0);
        assert.match(ps.stdout, /^-1B \(virtual [0-9.]+MB\)\n$/);
        const df = limited(['system', 'df', '-v']);
        assert.equal(df.stderr, '');
        assert.equal(df.status, 0);
        assert.match(df.stdout, new RegExp(`^${id.slice(0, 12)}\\s.*\\s-1B\\s`, 'm'));
        // A volume dockerd cannot size is -1B too, and left out of the totals.
        assert.match(df.stdout, /^deep-size\s+0\s+-1B$/m);
        assert.match(g(['system', 'df']).stdout, /^Local Volumes\s+1\s+0\s+0B\s+0B$/m);
        assert.equal(atime(upper), '0');
        assert.equal(atime(mountpoint), '0');
      });
      // Its prune reclaims what the walk counted before it stopped, as dockerd's: nothing
      // here, f being at the bottom (before: f's 5 bytes).
      const prune = g(['volume', 'prune', '-af', '--filter', 'label=deep-size']);
      assert.equal(prune.stderr, '');
      assert.equal(prune.stdout, 'Deleted Volumes:\ndeep-size\n\nTotal reclaimed space: 0B\n');
    } finally {
      g(['volume', 'rm', '-f', 'deep-size']);
    }
  });

  test(`container prune of a container with a tree ${SIZE_DEPTH} deep removes it all and reclaims docker's 0B`, async () => {
    await withDeepContainer('busybox', SIZE_DEPTH, (id, upper) => {
      assert.equal(g(['kill', id]).status, 0);
      assert.equal(g(['wait', id]).status, 0);
      const prune = limited(['container', 'prune', '-f']);
      assert.equal(prune.stderr, '');
      assert.equal(prune.status, 0);
      // dockerd counts a size of -1 as nothing reclaimed (before: 5B, after walking it all).
      assert.equal(prune.stdout, `Deleted Containers:\n${id}\n\nTotal reclaimed space: 0B\n`);
      assert.equal(fs.existsSync(upper), false);
      assert.equal(fs.existsSync(path.join(roots.root, 'containers', id)), false);
    });
  });

  test(`cp out of a container: a tree ${CP_DEPTH} directories deep, with ${NOFILE} descriptors`, async () => {
    await withDeepContainer('busybox', CP_DEPTH, async (id) => {
      const out = path.join(work, 'out');
      fs.mkdirSync(out);
      try {
        const r = limited(['cp', `${id}:/d`, `${out}/`]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(readDeep(out, CP_DEPTH), 'deep\n');
      } finally {
        await native().removeTree(out);
      }
    });
  });

  test(`cp into a container: a tree ${CP_DEPTH} directories deep, with ${NOFILE} descriptors`, async () => {
    await withDeepContainer('busybox', 0, async (id, upper) => {
      const src = path.join(work, 'in');
      fs.mkdirSync(src);
      try {
        makeDeep(src, CP_DEPTH, 'e');
        const r = limited(['cp', path.join(src, 'e'), `${id}:/`]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(readDeep(path.join(upper, 'e'), CP_DEPTH - 1, 'e'), 'deep\n');
      } finally {
        await native().removeTree(src);
      }
    });
  });
});
