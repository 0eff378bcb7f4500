// The library's container options (docker's API names and units) as the CLI's flags, and a
// refusal naming the option in docker's words: runOptionsOf, without a store.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { runOptionsOf } from '../../lib/containers';
import { InvalidOptionError } from '../../lib/errors';

test('docker\'s API forms become the engine\'s typed options', async () => {
  const o = await runOptionsOf('busybox', ['sh', '-c', 'true'], {
    name: 'web', env: { A: '1', B: 'x=y' }, labels: { role: 'db' }, memory: 64 * 1024 * 1024, memorySwap: '128m', cpus: 0.5, pidsLimit: 20,
    shmSize: '32m', ulimits: [{ name: 'nofile', soft: 100, hard: 200 }, { name: 'core', soft: 0 }], tmpfs: { '/run': 'size=1m', '/tmp': '' },
    portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostPort: '5353' }], '9000/tcp': [] },
    publish: ['127.0.0.1:81:81'], restart: { name: 'on-failure', maximumRetryCount: 3 }, logOpts: { 'max-size': '1m' }, sysctls: { 'net.ipv4.ip_forward': '1' },
    volumes: ['/srv:/srv:ro'], binds: ['data:/data'], workingDir: '/w', openStdin: true, tty: true, rm: false, stopTimeout: 3,
  });
  assert.deepEqual(
    [o.image, o.command, o.name, o.env, o.labels, o.memory, o.memorySwap, o.cpus, o.pidsLimit, o.shmSize, o.ulimits, o.tmpfs, o.publish, o.restart, o.logOpts, o.sysctls, o.volume, o.workdir, o.interactive, o.tty, o.stopTimeout],
    ['busybox', ['sh', '-c', 'true'], 'web', ['A=1', 'B=x=y'], { role: 'db' }, '67108864', '128m', '0.5', 20, '32m',
      [{ name: 'nofile', soft: 100, hard: 200 }, { name: 'core', soft: 0, hard: 0 }], { '/run': 'size=1m', '/tmp': '' },
      ['127.0.0.1:81:81', '127.0.0.1:8080:80/tcp', '5353:53/udp', '9000/tcp'], 'on-failure:3', { 'max-size': '1m' }, { 'net.ipv4.ip_forward': '1' }, ['/srv:/srv:ro', 'data:/data'], '/w', true, true, 3],
  );
});

test('a value refused names its option, in the words the CLI\'s flag gets', async () => {
  const refused = async (opts: object, option: string, message?: string | RegExp): Promise<void> => {
    await assert.rejects(runOptionsOf('busybox', undefined, opts), (e: unknown) => {
      assert.ok(e instanceof InvalidOptionError, String(e));
      assert.equal(e.code, 'EINVAL');
      assert.equal(e.option, option);
      if (typeof message === 'string') assert.equal(e.message, message);
      else if (message) assert.match(e.message, message);
      return true;
    });
  };
  await refused({ memory: '1x' }, 'memory', `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'`);
  await refused({ memory: '64m', memorySwap: '32m' }, 'memorySwap', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  await refused({ cpus: 'lots' }, 'cpus');
  await refused({ cpusetCpus: '3-1' }, 'cpusetCpus', 'Invalid value 3-1 for cpuset cpus');
  await refused({ shmSize: 'big' }, 'shmSize');
  await refused({ ulimits: [{ name: 'nosuch', soft: 1 }] }, 'ulimits', /invalid ulimit type: nosuch/);
  await refused({ tmpfs: { relative: '' } }, 'tmpfs', /mount path must be absolute/);
  await refused({ volumes: ['/a:relative'] }, 'volumes');
  await refused({ binds: ['./here:/x'] }, 'binds', "invalid volume specification: './here:/x': a host path must be absolute");
  await refused({ ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] }, 'ulimits', 'ulimit soft limit must be less than or equal to hard limit: 10 > 5');
  await refused({ stopTimeout: 1.5 }, 'stopTimeout');
  await refused({ mounts: ['type=nope,target=/x'] }, 'mounts');
  await refused({ workingDir: 'relative' }, 'workingDir');
  await refused({ logDriver: 'syslog' }, 'logDriver', "logger: no log driver named 'syslog' is registered");
  await refused({ logOpts: { 'max-size': '-1' } }, 'logOpts');
  await refused({ restart: 'sometimes' }, 'restart');
  await refused({ restart: { name: 'always' }, rm: true }, 'restart', 'conflicting options: cannot specify both --restart and --rm');
  await refused({ extraHosts: ['nocolon'] }, 'extraHosts');
  await refused({ dns: ['not-an-ip'] }, 'dns');
  await refused({ devices: [{ pathOnHost: '/dev/null', pathInContainer: 'relative' }] }, 'devices', 'invalid device mapping /dev/null:relative:rwm: relative is not an absolute path');
  await refused({ devices: [{ pathOnHost: '/dev/null', cgroupPermissions: 'rx' }] }, 'devices', 'invalid device mapping /dev/null:/dev/null:rx: bad mode specified: rx');
  await refused({ deviceCgroupRules: ['x'] }, 'deviceCgroupRules');
  await refused({ pid: 'weird' }, 'pid');
  await refused({ ipc: 'weird' }, 'ipc');
  await refused({ uts: 'weird' }, 'uts');
  await refused({ sysctls: { 'kernel.panic': '1' } }, 'sysctls', 'invalid argument "kernel.panic=1" for "--sysctl" flag: sysctl \'kernel.panic=1\' is not allowed');
  await refused({ stopSignal: 'SIGNOPE' }, 'stopSignal', 'Invalid signal: SIGNOPE');
  await refused({ publish: ['x:y:z:w'] }, 'publish');
  await refused({ env: ['PATH'] }, 'env', 'invalid environment variable: PATH: must be KEY=VALUE');
  await refused({ name: '-bad' }, 'name', 'Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
  await refused({ platform: 'linux' }, 'platform', 'invalid platform: "linux": expected os/arch[/variant]');
  await refused({ memroy: '1g' }, 'memroy', 'unknown option: memroy');
});
