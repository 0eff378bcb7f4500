// Trees deeper than a call stack, RLIMIT_NOFILE (20000 here) or PATH_MAX: a container or an
// image can nest directories 100,000 deep, and removing or extracting them must still work.
// The deep trees are made and checked with perl (Debian's perl-base, always installed), which
// walks with chdir and never builds a full path.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from '../../lib/native';
import { gocker, importBusybox, removeAllContainers } from '../helpers/cli';
import { tar, type TarEntry } from '../helpers/tar';

const DEPTH = 100_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-deep-'));
// On a tmpfs of its own: what is measured is the walk, not a disk's journal (100,000
// mkdirs on this machine's ext4 take 17 s, on tmpfs 0.3 s); the container's store too.
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2g,mode=0700', 'gocker-deep-test', work]);
after(() => {
  execFileSync('umount', ['-l', work]);
  fs.rmdirSync(work);
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

let seq = 0;
async function extract(entries: TarEntry[], whiteouts: 'overlay' | 'delete', into?: string): Promise<string> {
  const n = ++seq;
  const file = path.join(work, `layer${n}.tar`);
  fs.writeFileSync(file, tar(entries));
  const dir = into ?? path.join(work, `x${n}`);
  fs.mkdirSync(dir, { recursive: true });
  try {
    await native().extractLayer(file, dir, 'none', whiteouts);
  } finally {
    fs.rmSync(file);
  }
  return dir;
}

const deepName = (depth: number, leaf = 'f'): string => `${'d/'.repeat(depth)}${leaf}`;

describe('layer extraction', () => {
  test(`an entry ${DEPTH} directories deep (a ${DEPTH * 2}-byte PAX path) is extracted; a later entry replacing its top removes it`, async () => {
    const dir = await extract([{ name: 'x', data: 'deep\n', pax: { path: deepName(DEPTH) } }], 'overlay');
    assert.equal(readDeep(dir, DEPTH), 'deep\n');
    // The same layer then replaces d with a file: the whole tree goes first.
    const again = await extract([
      { name: 'x', data: 'deep\n', pax: { path: deepName(DEPTH) } },
      { name: 'd', data: 'flat\n' },
    ], 'overlay');
    assert.equal(fs.readFileSync(path.join(again, 'd'), 'utf8'), 'flat\n');
    await native().removeTree(dir);
    await native().removeTree(again);
  });

  test('delete mode (vfs): deep parents are made, and a whiteout in the next layer removes the deep tree', async () => {
    const depth = 20_000;
    const dir = await extract([
      { name: 'x', data: 'deep\n', pax: { path: deepName(depth) } },
      { name: 'y', data: 'side\n', pax: { path: deepName(depth, 'g') } },
    ], 'delete');
    assert.equal(readDeep(dir, depth), 'deep\n');
    await extract([{ name: 'keep', data: 'k' }, { name: '.wh.d' }], 'delete', dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['keep']);
    // An opaque directory over a deep lower tree: the lower tree goes, the layer's own stays.
    makeDeep(dir, depth);
    await extract([
      { name: 'd/.wh..wh..opq' },
      { name: 'z', data: 'new\n', pax: { path: deepName(3000, 'n') } },
    ], 'delete', dir);
    assert.equal(readDeep(dir, depth), null);
    assert.equal(readDeep(dir, 3000, 'd', 'n'), 'new\n');
    // Directories the layer made for its own deep entry are its own: an opaque marker after
    // them keeps them.
    await extract([
      { name: 'z', data: 'mine\n', pax: { path: `e/${deepName(3000, 'n')}` } },
      { name: 'e/.wh..wh..opq' },
    ], 'delete', dir);
    assert.equal(readDeep(path.join(dir, 'e'), 3000, 'd', 'n'), 'mine\n');
    await native().removeTree(dir);
  });

  test('a tree GNU tar made, deeper than PATH_MAX with every directory described, comes out whole', async () => {
    const depth = 2500;  // 7500 bytes of path at the bottom
    const src = path.join(work, 'gnu-src');
    fs.mkdirSync(src);
    makeDeep(src, depth, 'dd');
    const file = path.join(work, 'gnu.tar');
    execFileSync('tar', ['--format=posix', '-cf', file, '-C', src, '.']);
    const dir = path.join(work, 'gnu-out');
    fs.mkdirSync(dir);
    const r = await native().extractLayer(file, dir, 'none', 'overlay');
    assert.equal(r.entries, depth + 2);  // ".", every directory, f
    assert.equal(readDeep(dir, depth, 'dd'), 'deep\n');
    await native().removeTree(dir);
    await native().removeTree(src);
    fs.rmSync(file);
  });

  test('a symlink deeper than one openat2 can resolve is refused, not followed', async () => {
    const deep = 'd/'.repeat(2100);  // beyond PATH_MAX: within it, a symlink resolves inside the root as ever
    await assert.rejects(
      extract([
        { name: 'l', type: 'symlink', linkname: '/', pax: { path: `${deep}l` } },
        { name: 'x', data: 'x', pax: { path: `${deep}l/etc/x` } },
      ], 'overlay'),
      { code: 'EBADLAYER', message: /symlink more than 4095 bytes deep is not followed/ },
    );
  });
});

describe('containers', () => {
  const roots = { root: path.join(work, 'root'), args: ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')] };
  const g = (args: string[]) => gocker([...roots.args, ...args]);

  before(() => importBusybox(roots.args));

  after(() => {
    removeAllContainers(roots.root, roots.args);
    // The tmpfs goes with everything on it; a mount the store left there goes first.
    execFileSync('sh', ['-c', `grep -o " ${work}/[^ ]*" /proc/self/mounts | sort -r | xargs -r umount -l`]);
  });

  test(`rm -f removes a running container whose upper dir nests ${DEPTH} directories`, () => {
    const id = g(['run', '-d', 'busybox', 'sleep', '600']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const upper = g(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim();
    // Made from the host, as the container's root could make it (mkdir d; cd d; ...) only slower.
    makeDeep(upper, DEPTH);
    const rm = g(['rm', '-f', id]);
    assert.equal(rm.stderr, '');
    assert.equal(rm.status, 0);
    assert.equal(fs.existsSync(path.join(roots.root, 'containers', id)), false);
    assert.equal(g(['ps', '-aq']).stdout, '');
  });
});

describe('walks racing a rename', () => {
  // A chain of D directories d, each with two siblings, s made before it and t after, each
  // holding a file f: 500 bytes in the levels above M, 1 byte from M down. Whichever order a
  // listing gives, one of them is still to walk when the chain below is done. A perl process moves the level-M directory out of the tree and back, over and
  // over: a walk climbing out of it while it is away finds its ".." is another directory
  // (ESTALE), the levels above it having given up their descriptors (kOpenLevels, 32).
  const D = 120;
  const M = 60;
  const RUNS = 200;
  function makeRaceTree(top: string): void {
    fs.mkdirSync(top);
    execFileSync('perl', ['-e', 'my ($top, $d, $m) = @ARGV; chdir $top or die; for my $k (1..$d) { for my $s ("s", "d", "t") { mkdir $s or die; next if $s eq "d"; open(F, ">$s/f") or die; print F ($k < $m ? "x" x 500 : "x"); close F } chdir "d" or die } open(F, ">f") or die; print F "x"', top, String(D), String(M)]);
  }
  /** Runs fn while the level-M directory of top moves to park and back, the mover stopped after it. */
  async function whileMoving(top: string, park: string, fn: () => Promise<void>): Promise<void> {
    const mover = spawn('perl', ['-e', 'while (1) { rename($ARGV[0], $ARGV[1]); rename($ARGV[1], $ARGV[0]) }', path.join(top, ...Array(M).fill('d')), park], { stdio: 'ignore' });
    try {
      await fn();
    } finally {
      const gone = new Promise((resolve) => mover.once('exit', resolve));
      process.kill(mover.pid!, 'SIGKILL');
      await gone;
    }
  }

  test('the size walk counts every directory above one moved away under it', async () => {
    const top = path.join(work, 'race-size');
    const park = path.join(work, 'race-size-park');
    makeRaceTree(top);
    try {
      const thousands: number[] = [];
      await whileMoving(top, park, async () => {
        for (let i = 0; i < RUNS; i++) thousands.push(Math.floor(native().treeUsageSync(top).bytes / 1000));
      });
      // The moved subtree is counted once, twice or not at all, but its bytes (at most 2 x 122)
      // never make a thousand: the thousands are the M - 1 levels above it, every time.
      // Before: a walk that met the move gave up every directory still to walk above it.
      assert.deepEqual(thousands.filter((n) => n !== M - 1), []);
    } finally {
      await native().removeTree(top);
      await native().removeTree(park);
    }
  });

  test('removal goes on in the directories above one moved away under it', async () => {
    // Before: the removal failed (ESTALE) whenever it met the move. Now it goes on, as
    // docker's os.RemoveAll does (it holds every level's descriptor): it ends, or it finds the
    // moved directory back where it had been read (ENOTEMPTY, as RemoveAll's rmdir does).
    const codes = new Set<string>();
    for (let i = 0; i < RUNS / 4; i++) {
      const top = path.join(work, `race-rm${i}`);
      const park = path.join(work, `race-rm${i}-park`);
      makeRaceTree(top);
      try {
        await whileMoving(top, park, async () => {
          try {
            await native().removeTree(top);
            codes.add('ok');
          } catch (e) {
            codes.add((e as NodeJS.ErrnoException).code ?? String(e));
          }
        });
      } finally {
        await native().removeTree(top);
        await native().removeTree(park);
      }
    }
    assert.deepEqual([...codes].filter((c) => c !== 'ok' && c !== 'ENOTEMPTY'), []);
  });
});
