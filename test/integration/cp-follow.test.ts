// cp -L: a source that is a symlink is copied as what it points to, under the link's name,
// the link followed inside the container's root (absolute, relative, chained, through ..),
// never on the host; without -L the link is copied as a link. Real containers, running and
// stopped.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';

const roots = tempRoots('gocker-cpl-');
const g = (args: string[]): CliResult => gocker([...roots.args, ...args]);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-cpl-out-'));
// A file on the host that a link in the container names by its host path: it must never be read.
const hostSecret = path.join(work, 'host-secret');

const SETUP = [
  'mkdir -p /etc/app /data/sub /deep/a/b',
  'echo in-container > /etc/app/conf',
  'echo data-file > /data/sub/f',
  'ln -s /etc/app/conf /abs',
  'ln -s ../etc/app/conf /deep/rel',
  'ln -s /abs /chain',
  'ln -s /data /dirlink',
  // ../ past the top stays at the container's top, as the kernel resolves it there.
  'ln -s ../../../../../../../etc/app/conf /deep/a/b/up',
  `ln -s ${hostSecret} /to-host`,
  'ln -s /nowhere /dangling',
  'ln -s /loop2 /loop1; ln -s /loop1 /loop2',
].join('; ');

before(async () => {
  fs.writeFileSync(hostSecret, 'HOST SECRET\n');
  await importBusybox(roots.args);
  const r = g(['run', '-d', '--name', 'cpl-up', 'busybox', 'sh', '-c', `${SETUP}; exec sleep 600`]);
  assert.equal(r.status, 0, r.stderr);
  const s = g(['run', '--name', 'cpl-down', 'busybox', 'sh', '-c', SETUP]);
  assert.equal(s.status, 0, s.stderr);
  // The running one has made its links once its shell has run.
  for (let i = 0; i < 50 && g(['exec', 'cpl-up', 'test', '-L', '/dangling']).status !== 0; i++) execFileSync('sleep', ['0.1']);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

const out = (name: string): string => path.join(work, name);

for (const ctr of ['cpl-up', 'cpl-down']) {
  test(`cp -L out of ${ctr === 'cpl-up' ? 'a running' : 'a stopped'} container: the target, under the link's name, resolved in the container`, () => {
    const cp = (args: string[]): CliResult => g(['cp', ...args]);
    for (const [link, as] of [['/abs', 'abs'], ['/deep/rel', 'rel'], ['/chain', 'chain'], ['/deep/a/b/up', 'up']]) {
      const dst = out(`${ctr}-${as}`);
      const r = cp(['-L', `${ctr}:${link}`, dst]);
      assert.equal(r.status, 0, `${link}: ${r.stderr}`);
      assert.ok(fs.lstatSync(dst).isFile(), link);
      assert.equal(fs.readFileSync(dst, 'utf8'), 'in-container\n', link);
      // Into a directory: the link's own name.
      const dir = out(`${ctr}-${as}-dir`);
      fs.mkdirSync(dir);
      assert.equal(cp(['--follow-link', `${ctr}:${link}`, dir]).status, 0);
      assert.deepEqual(fs.readdirSync(dir), [path.posix.basename(link)]);
      assert.equal(fs.readFileSync(path.join(dir, path.posix.basename(link)), 'utf8'), 'in-container\n');
    }
    // A link to a directory: the directory's tree under the link's name.
    const tree = out(`${ctr}-tree`);
    fs.mkdirSync(tree);
    assert.equal(cp(['-L', `${ctr}:/dirlink`, tree]).status, 0);
    assert.ok(fs.lstatSync(path.join(tree, 'dirlink')).isDirectory());
    assert.equal(fs.readFileSync(path.join(tree, 'dirlink', 'sub', 'f'), 'utf8'), 'data-file\n');
    // Without -L, the link itself.
    const plain = out(`${ctr}-plain`);
    assert.equal(cp([`${ctr}:/abs`, plain]).status, 0);
    assert.equal(fs.readlinkSync(plain), '/etc/app/conf');
    // A link naming a host path finds nothing in the container: the host's file is never read.
    const host = cp(['-L', `${ctr}:/to-host`, out(`${ctr}-host`)]);
    assert.equal(host.status, 1);
    assert.equal(host.stderr, `Error response from daemon: Could not find the file /to-host in container ${ctr}\n`);
    assert.ok(!fs.existsSync(out(`${ctr}-host`)));
    const dangling = cp(['-L', `${ctr}:/dangling`, out(`${ctr}-dangling`)]);
    assert.equal(dangling.status, 1);
    assert.equal(dangling.stderr, `Error response from daemon: Could not find the file /dangling in container ${ctr}\n`);
    const loop = cp(['-L', `${ctr}:/loop1`, out(`${ctr}-loop`)]);
    assert.equal(loop.status, 1);
    assert.match(loop.stderr, /too many levels of symbolic links/);
  });
}

test('cp -L to stdout: the target in the archive, under the link\'s name', () => {
  const tarball = out('follow.tar');
  const fd = fs.openSync(tarball, 'w');
  try {
    const r = gocker([...roots.args, 'cp', '-L', 'cpl-up:/chain', '-'], { stdio: ['ignore', fd, 'pipe'] });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(execFileSync('tar', ['-tvf', tarball], { encoding: 'utf8' }).trim().split('\n').length, 1);
  assert.match(execFileSync('tar', ['-tvf', tarball], { encoding: 'utf8' }), /^-\S+ .* chain\n$/);
  assert.equal(execFileSync('tar', ['-xOf', tarball, 'chain'], { encoding: 'utf8' }), 'in-container\n');
});

test('cp -L into a container: a host link given as the source is copied as its target', () => {
  fs.symlinkSync(hostSecret, out('host-link'));
  assert.equal(g(['cp', '-L', out('host-link'), 'cpl-up:/tmp/']).status, 0);
  assert.equal(g(['exec', 'cpl-up', 'cat', '/tmp/host-link']).stdout, 'HOST SECRET\n');
  assert.equal(g(['cp', out('host-link'), 'cpl-up:/tmp/plain-link']).status, 0);
  assert.equal(g(['exec', 'cpl-up', 'readlink', '/tmp/plain-link']).stdout, `${hostSecret}\n`);
});
