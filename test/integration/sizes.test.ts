// The sizes ps -s, system df -v, container prune and the library report for a container's
// writable layer and a volume, against docker's rule for them (moby's directory.Size, which
// overlay2's DiffSize and a volume's size are): every entry but a directory by its lstat
// size, so a symlink counts its target's length, and a file with several hard links once.
// Before: a hard-linked file counted once per link and a symlink nothing.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Gocker } from '../../lib/index';
import { gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-sizes-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const ok = (args: string[]): string => {
  const r = g(args);
  assert.equal(r.stderr, '', args.join(' '));
  assert.equal(r.status, 0, args.join(' '));
  return r.stdout;
};

before(() => importBusybox(roots.args));

after(() => {
  try {
    removeAllContainers(roots.root, roots.args);
    g(['volume', 'rm', '-f', 'sz-vol']);
  } finally {
    roots.remove();
  }
});

// In dir: 1,000 bytes under three names (docker: 1,000), a symlink whose target is 200 bytes
// long (docker: 200), a fifo and an empty directory (nothing): 1,200 bytes, docker's 1.2kB.
// Counted per link and without symlinks it was 3,000, 3kB.
const shape = (dir: string): string =>
  `cd ${dir} && head -c 1000 /dev/zero > a && ln a b && ln a c && ln -s /$(head -c 199 /dev/zero | tr "\\0" x) l && mkfifo p && mkdir e`;

test('a writable layer and a volume holding hard links and a symlink: docker\'s bytes in ps -s, system df -v, prune and the library', () => {
  ok(['run', '--network', 'none', '--name', 'sz', '-v', 'sz-vol:/v', 'busybox', 'sh', '-c', `${shape('/')} && ${shape('/v')}`]);
  const id = ok(['inspect', '-f', '{{.Id}}', 'sz']).trim();
  const lib = new Gocker({ root: roots.root, runroot: roots.runroot });
  assert.equal(lib.containerSize(lib.inspectContainer(id)).SizeRw, 1200);
  assert.match(ok(['ps', '-a', '-s', '-f', 'name=sz', '--format', '{{.Size}}']), /^1\.2kB \(virtual [0-9.]+[kM]B\)\n$/);
  const df = ok(['system', 'df', '-v']);
  assert.match(df, new RegExp(`^${id.slice(0, 12)}\\s.*\\s1\\.2kB\\s`, 'm'));
  assert.match(df, /^sz-vol\s+1\s+1\.2kB$/m);
  assert.equal(ok(['container', 'prune', '-f']), `Deleted Containers:\n${id}\n\nTotal reclaimed space: 1.2kB\n`);
  assert.match(ok(['system', 'df', '-v']), /^sz-vol\s+0\s+1\.2kB$/m);
  assert.equal(ok(['volume', 'prune', '-a', '-f']), 'Deleted Volumes:\nsz-vol\n\nTotal reclaimed space: 1.2kB\n');
});

test('--memory and --mount\'s tmpfs-size read sizes as go-units\' RAMInBytes, both: what docker takes and refuses, in its words', () => {
  // Before: --memory took 100bb and 64ib and refused 1e8; tmpfs-size (a parser of its own)
  // took 64ib and refused 1e6.
  for (const [value, bytes] of [['1e8', 100_000_000], ['64mib', 64 * 2 ** 20], ['64 MB', 64 * 2 ** 20], ['1.5g', 1.5 * 2 ** 30], ['8388608B', 8388608]] as Array<[string, number]>) {
    const id = ok(['create', '--network', 'none', '--memory', value, '--mount', `type=tmpfs,target=/t,tmpfs-size=${value}`, 'busybox', 'true']).trim();
    assert.equal(ok(['inspect', '-f', '{{.HostConfig.Memory}} {{(index .HostConfig.Mounts 0).TmpfsOptions.SizeBytes}}', id]), `${bytes} ${bytes}\n`, value);
    ok(['rm', id]);
  }
  for (const [value, why] of [['100bb', "invalid suffix: 'bb'"], ['64ib', "invalid suffix: 'ib'"], ['64mi', "invalid suffix: 'mi'"], ['1x', "invalid suffix: 'x'"],
    ['64  m', 'strconv.ParseFloat: parsing "64 ": invalid syntax'], ['lots', "invalid size: 'lots'"]]) {
    const mem = g(['create', '--network', 'none', '--memory', value, 'busybox', 'true']);
    assert.equal(mem.stderr, `gocker: invalid argument "${value}" for "-m, --memory" flag: ${why}\n`, value);
    assert.equal(mem.status, 125, value);
    const mount = `type=tmpfs,target=/t,tmpfs-size=${value}`;
    const tmpfs = g(['create', '--network', 'none', '--mount', mount, 'busybox', 'true']);
    assert.equal(tmpfs.stderr, `gocker: invalid argument "${mount}" for "--mount" flag: invalid value for tmpfs-size: ${value}\n`, value);
    assert.equal(tmpfs.status, 125, value);
  }
  assert.equal(ok(['ps', '-a', '-q']), '');
});

test('--shm-size is a size of its own, not --memory: below 6MB taken, 0 the default 64m, refusals in its words; a number beyond float64 or a size beyond int64 refused as docker refuses it', () => {
  // Before: read as --memory, so 1m was refused as "Minimum memory limit allowed is 6MB", a
  // bad size was "-m, --memory"'s, 0 made an unlimited /dev/shm, and 1e400 was Infinity.
  const small = g(['run', '--rm', '--network', 'none', '--shm-size', '1m', 'busybox', 'sh', '-c', 'grep " /dev/shm " /proc/mounts']);
  assert.equal(small.stderr, '');
  assert.match(small.stdout, /\bsize=1024k\b/);
  const id = ok(['create', '--network', 'none', '--shm-size', '0', 'busybox', 'true']).trim();
  assert.equal(ok(['inspect', '-f', '{{.HostConfig.ShmSize}}', id]), `${64 * 2 ** 20}\n`);
  ok(['rm', id]);
  for (const [flag, value, err] of [
    ['--shm-size', 'lots', `invalid argument "lots" for "--shm-size" flag: invalid size: 'lots'`],
    ['--shm-size', '-1', `invalid argument "-1" for "--shm-size" flag: invalid size: '-1'`],
    ['--shm-size', '1e400', `invalid argument "1e400" for "--shm-size" flag: strconv.ParseFloat: parsing "1e400": value out of range`],
    ['--memory', '1e400k', `invalid argument "1e400k" for "-m, --memory" flag: strconv.ParseFloat: parsing "1e400": value out of range`],
    // Beyond int64: Go's int64() of it on amd64 is the int64 minimum, which dockerd refuses.
    ['--shm-size', '1e19', 'SHM size can not be less than 0'],
    ['--memory', '1e19', 'Minimum memory limit allowed is 6MB'],
    ['--memory', '9e6t', 'Minimum memory limit allowed is 6MB'],
    ['--ulimit', 'nofile=1:9223372036854775808', `invalid argument "nofile=1:9223372036854775808" for "--ulimit" flag: strconv.ParseInt: parsing "9223372036854775808": value out of range`],
    ['--ulimit', 'nofile=-99999999999999999999', `invalid argument "nofile=-99999999999999999999" for "--ulimit" flag: strconv.ParseInt: parsing "-99999999999999999999": value out of range`],
  ]) {
    const r = g(['create', '--network', 'none', flag, value, 'busybox', 'true']);
    assert.equal(r.stderr, `gocker: ${err}\n`, `${flag} ${value}`);
    assert.equal(r.status, 125, `${flag} ${value}`);
  }
  assert.equal(ok(['ps', '-a', '-q']), '');
});
