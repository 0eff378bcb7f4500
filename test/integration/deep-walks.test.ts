// diff, commit and cp on trees deeper than a call stack, RLIMIT_NOFILE (20000 here) or
// PATH_MAX: the walks behind them are iterative with a bounded number of open descriptors.
// Before: diff overflowed the JavaScript stack at 4,000 levels, commit at 2,000 (taking 13 s
// for 1,000, a getfattr process a directory), and cp either way failed at 10,000 (EMFILE).
// diff and commit are tested short of 100,000 for the size of what they make, not of the
// walk: every path names all the directories above it, so a chain D deep is about D² bytes
// of output (10 GB at 100,000: diff's listing, commit's layer), and applying a layer
// resolves each entry's path from the top. The trees are made and checked with perl (as in deep-trees),
// which walks with chdir and never builds a full path.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from '../../lib/native';
import { gocker, importBusybox } from '../helpers/cli';

const CP_DEPTH = 100_000;
const DIFF_DEPTH = 5_000;   // 25 MB of listing
const COMMIT_DEPTH = 3_000; // a 13 MB layer

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-deepwalk-'));
// A tmpfs of its own, the store on it too: 100,000 mkdirs on tmpfs take 0.3 s, on ext4 17 s.
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2g,mode=0700', 'gocker-deepwalk-test', work]);
const roots = { root: path.join(work, 'root'), args: ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')] };
const g = (args: string[]) => gocker([...roots.args, ...args], { maxBuffer: 256 << 20 });

after(() => {
  const dir = path.join(roots.root, 'containers');
  try {
    for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) g(['rm', '-f', id]);
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

/** The content of f at the bottom of `depth` levels of `name` under dir, or null. */
function readDeep(dir: string, depth: number, name = 'd'): string | null {
  try {
    return execFileSync('perl', ['-e', 'chdir $ARGV[0] or die; for (1..$ARGV[1]) { chdir $ARGV[2] or die } open(F, "<", "f") or die; print <F>', dir, String(depth), name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return null;
  }
}

/** A running container (removed after fn, whatever happens) whose upper dir holds a chain `depth` deep. */
async function withDeepContainer(image: string, depth: number, fn: (id: string, upper: string) => void | Promise<void>): Promise<void> {
  const run = g(['run', '-d', image, 'sleep', '600']);
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const upper = g(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]).stdout.trim();
    // Made from the host, as the container's root could make it (mkdir d; cd d; ...) only slower.
    if (depth > 0) makeDeep(upper, depth);
    await fn(id, upper);
  } finally {
    g(['rm', '-f', id]);
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

  test(`diff lists a container's tree ${DIFF_DEPTH} directories deep`, async () => {
    await withDeepContainer('busybox', DIFF_DEPTH, (id) => {
      const t = Date.now();
      const r = g(['diff', id]);
      assert.equal(r.stderr, '');
      assert.equal(r.status, 0);
      assert.deepEqual(r.stdout.split('\n').slice(0, -1), chainLines('A', DIFF_DEPTH));
      assert.ok(Date.now() - t < 20_000, `diff took ${Date.now() - t} ms`);
    });
  });

  test(`commit of a tree ${COMMIT_DEPTH} deep; the image runs, and a change at its bottom is a diff of changed directories`, async () => {
    await withDeepContainer('busybox', COMMIT_DEPTH, (id) => {
      const c = g(['commit', id, 'deep:1']);
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
      const d = g(['diff', id]);
      assert.equal(d.stderr, '');
      assert.deepEqual(d.stdout.split('\n').slice(0, -1), chainLines('C', COMMIT_DEPTH));
    });
  });

  test(`cp out of a container: a tree ${CP_DEPTH} directories deep`, async () => {
    await withDeepContainer('busybox', CP_DEPTH, async (id) => {
      const out = path.join(work, 'out');
      fs.mkdirSync(out);
      try {
        const r = g(['cp', `${id}:/d`, `${out}/`]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(readDeep(out, CP_DEPTH), 'deep\n');
      } finally {
        await native().removeTree(out);
      }
    });
  });

  test(`cp into a container: a tree ${CP_DEPTH} directories deep`, async () => {
    await withDeepContainer('busybox', 0, async (id, upper) => {
      const src = path.join(work, 'in');
      fs.mkdirSync(src);
      try {
        makeDeep(src, CP_DEPTH, 'e');
        const r = g(['cp', path.join(src, 'e'), `${id}:/`]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(readDeep(path.join(upper, 'e'), CP_DEPTH - 1, 'e'), 'deep\n');
      } finally {
        await native().removeTree(src);
      }
    });
  });
});
