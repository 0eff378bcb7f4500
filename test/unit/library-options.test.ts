// The library's container options (docker's API names and units) as the CLI's flags, and a
// refusal naming the option in docker's words: runOptionsOf, without a store.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { runOptionsOf } from '../../lib/containers';
import { InvalidOptionError, OptionSyntaxError } from '../../lib/errors';

test('docker\'s API forms become the engine\'s typed options', async () => {
  const o = await runOptionsOf('busybox', ['sh', '-c', 'true'], {
    name: 'web', env: { A: '1', B: 'x=y' }, labels: { role: 'db' }, memory: 64 * 1024 * 1024, memorySwap: '128m', cpus: 0.5, pidsLimit: 20,
    shmSize: '32m', ulimits: [{ name: 'nofile', soft: 100, hard: 200 }, { name: 'core', soft: 0 }], tmpfs: { '/run': 'size=1m', '/tmp': '' },
    portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostPort: '5353' }], '9000/tcp': [] },
    exposedPorts: { '7000-7001/udp': {} }, restart: { name: 'on-failure', maximumRetryCount: 3 }, logOpts: { 'max-size': '1m' }, sysctls: { 'net.ipv4.ip_forward': '1' },
    volumes: ['/srv:/srv:ro'], binds: ['data:/data'], workingDir: '/w', openStdin: true, tty: true, rm: false, stopTimeout: 3,
  });
  assert.deepEqual(
    [o.image, o.command, o.name, o.env, o.labels, o.memory, o.memorySwap, o.cpus, o.pidsLimit, o.shmSize, o.ulimits, o.tmpfs, o.portBindings, o.exposedPorts, o.restart, o.logOpts, o.sysctls, o.volume, o.workdir, o.interactive, o.tty, o.stopTimeout],
    ['busybox', ['sh', '-c', 'true'], 'web', ['A=1', 'B=x=y'], { role: 'db' }, '67108864', '128m', '0.5', 20, '32m',
      [{ name: 'nofile', soft: 100, hard: 200 }, { name: 'core', soft: 0, hard: 0 }], { '/run': 'size=1m', '/tmp': '' },
      { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '5353' }], '9000/tcp': [] },
      { '7000-7001/udp': {} }, 'on-failure:3', { 'max-size': '1m' }, { 'net.ipv4.ip_forward': '1' }, ['/srv:/srv:ro', 'data:/data'], '/w', true, true, 3],
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
  await refused({ memory: '1x' }, 'memory', `invalid argument "1x" for "-m, --memory" flag: invalid suffix: 'x'`);
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
  await refused({ mounts: [{ Type: 'nope', Target: '/x' }] }, 'mounts', 'invalid mount config for type "nope": mount type unknown');
  await refused({ mounts: [{ Type: 'bind', Source: './x', Target: '/x' }] }, 'mounts', "invalid mount config for type \"bind\": invalid mount path: './x' mount path must be absolute");
  await refused({ mounts: [{ Type: 'tmpfs', Target: '/x', BindOptions: { Propagation: 'shared' } }] }, 'mounts', 'invalid mount config for type "tmpfs": field BindOptions must not be specified');
  await refused({ mounts: [{ Type: 'volume', Target: '/x', ReadOnly: 'yes' }] }, 'mounts', 'invalid mount: ReadOnly must be a boolean');
  await refused({ mounts: ['type=volume,target=/x'] }, 'mounts', 'invalid mount: a mount is an object with Type and Target');
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
  await refused({ portBindings: { '80/tcp': [{ HostPort: 'x' }] } }, 'portBindings', 'invalid hostPort: x');
  await refused({ portBindings: { '80/icmp': [] } }, 'portBindings', 'invalid proto: icmp');
  await refused({ portBindings: { '80/tcp': [{ HostIp: '::1' }] } }, 'portBindings', 'invalid IP address ::1: gocker publishes ports on IPv4 addresses only');
  await refused({ exposedPorts: { x: {} } }, 'exposedPorts', 'invalid port: x');
  await refused({ securityOpt: ['seccomp=/etc/profile.json'] }, 'securityOpt', /^invalid --security-opt: "seccomp=\/etc\/profile\.json": seccomp= takes unconfined, builtin or a profile's JSON, not a file's name/);
  await refused({ securityOpt: ['apparmor=x'] }, 'securityOpt', 'invalid --security-opt: "apparmor=x"');
  await refused({ env: ['PATH'] }, 'env', 'invalid environment variable: PATH: must be KEY=VALUE');
  await refused({ name: '-bad' }, 'name', 'Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
  await refused({ platform: 'linux' }, 'platform', 'invalid platform: "linux": expected os/arch[/variant]');
  await refused({ memroy: '1g' }, 'memroy', 'unknown option: memroy');
});

test('a NUL byte in any string option is refused as that option, in one line, before anything reads it', async () => {
  // Node's fs calls throw a TypeError for such a path, the kernel's end a path, an argument or
  // an environment entry at it, and the monitor refuses such a spec only once the container
  // exists: one check refuses it first, whatever field it is in.
  const cases: Array<[object, string, string]> = [
    [{ mounts: [{ Type: 'bind', Source: '/tmp/a\0b', Target: '/x', BindOptions: { CreateMountpoint: true } }] }, 'mounts', 'mounts[0].Source must not contain a NUL byte'],
    [{ mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x\0y' }] }, 'mounts', 'mounts[0].Target must not contain a NUL byte'],
    [{ mounts: [{ Type: 'volume', Source: 'v\0w', Target: '/x' }] }, 'mounts', 'mounts[0].Source must not contain a NUL byte'],
    [{ mounts: [{ Type: 'tmpfs', Target: '/x\0y' }] }, 'mounts', 'mounts[0].Target must not contain a NUL byte'],
    [{ volumes: ['/tmp/a\0b:/x'] }, 'volumes', 'volumes[0] must not contain a NUL byte'],
    [{ volumes: ['/x\0y'] }, 'volumes', 'volumes[0] must not contain a NUL byte'],
    [{ binds: ['v\0w:/x'] }, 'binds', 'binds[0] must not contain a NUL byte'],
    [{ tmpfs: { '/x\0y': '' } }, 'tmpfs', 'a key of tmpfs must not contain a NUL byte'],
    [{ tmpfs: { '/x': 'size=1m\0' } }, 'tmpfs', 'tmpfs./x must not contain a NUL byte'],
    [{ workingDir: '/a\0b' }, 'workingDir', 'workingDir must not contain a NUL byte'],
    // Those that reached the monitor's spec check, or Node's fs, after the container existed.
    [{ labels: { a: 'b\0c' } }, 'labels', 'labels.a must not contain a NUL byte'],
    [{ labels: { 'a\0': 'b' } }, 'labels', 'a key of labels must not contain a NUL byte'],
    [{ entrypoint: '/bin/sh\0x' }, 'entrypoint', 'entrypoint must not contain a NUL byte'],
    [{ devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/x\0y' }] }, 'devices', 'devices[0].pathInContainer must not contain a NUL byte'],
    [{ devices: [{ pathOnHost: '/dev/null\0x' }] }, 'devices', 'devices[0].pathOnHost must not contain a NUL byte'],
    [{ hostname: 'a\0b' }, 'hostname', 'hostname must not contain a NUL byte'],
    [{ env: { A: 'b\0c' } }, 'env', 'env.A must not contain a NUL byte'],
    [{ user: 'root\0' }, 'user', 'user must not contain a NUL byte'],
    [{ sysctls: { 'net.ipv4.ip_forward': '1\0' } }, 'sysctls', 'sysctls.net.ipv4.ip_forward must not contain a NUL byte'],
  ];
  for (const [opts, option, message] of cases) {
    await assert.rejects(runOptionsOf('busybox', undefined, opts), (e: unknown) => {
      assert.ok(e instanceof InvalidOptionError, `${JSON.stringify(opts)}: ${String(e)}`);
      assert.equal(e.option, option);
      assert.equal(e.message, message);
      assert.equal(e.exitCode, 125);
      assert.ok(!e.message.includes('\0'), 'the line holds no NUL itself');
      return true;
    }, JSON.stringify(opts));
  }
  await assert.rejects(runOptionsOf('busybox', ['sh', '-c', 'a\0b'], {}), (e: unknown) => e instanceof InvalidOptionError && e.option === 'cmd' && e.message === 'cmd[2] must not contain a NUL byte');
});

test('the engine\'s entry (runOptionsOf, under the CLI\'s run and create and the library\'s) refuses an env entry without its KEY, and a NUL in what a file gave', async () => {
  const refusal = async (cmd: string[] | undefined, o: object): Promise<[string, string, number] | undefined> => {
    try {
      await runOptionsOf('busybox', cmd, o);
      return undefined;
    } catch (e) {
      assert.ok(e instanceof InvalidOptionError, String(e));
      return [e.option, e.message, e.exitCode];
    }
  };
  // run -e =x: refused as create refuses it, not handed to the monitor.
  assert.deepEqual(await refusal(undefined, { env: ['A=1', '=x'] }), ['env', 'invalid environment variable: =x: must be KEY=VALUE', 125]);
  assert.deepEqual(await refusal(undefined, { env: ['A'] }), ['env', 'invalid environment variable: A: must be KEY=VALUE', 125]);
  // --label-file and --env-file lines can hold what argv cannot.
  assert.deepEqual(await refusal(undefined, { labels: { a: 'b\0c' } }), ['labels', 'labels.a must not contain a NUL byte', 125]);
  assert.deepEqual(await refusal(undefined, { env: ['A=b\0c'] }), ['env', 'env[0] must not contain a NUL byte', 125]);
  assert.equal(await refusal(['true'], { env: ['A=', 'B=c=d'], labels: { a: '' } }), undefined);
});

/** checkUpdateOptions' refusal of o as show(error) says it ('ok' when it takes o); every refusal an InvalidOptionError. */
async function updateRefusal(o: Parameters<typeof import('../../lib/containers').checkUpdateOptions>[0], show: (e: InvalidOptionError) => string): Promise<string> {
  const { checkUpdateOptions } = await import('../../lib/containers');
  try {
    checkUpdateOptions(o);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof InvalidOptionError, String(e));
    return show(e);
  }
}

test('update\'s integers as docker\'s int64 flags: out of range and not an integer refused as the option, before any container is touched', async () => {
  const refused = (o: Parameters<typeof updateRefusal>[0]): Promise<string> => updateRefusal(o, (e) => `${e.option}: ${e.message}`);
  const big = '9'.repeat(40);
  assert.equal(await refused({ pidsLimit: big }), `pidsLimit: invalid argument "${big}" for "--pids-limit" flag: strconv.ParseInt: parsing "${big}": value out of range`);
  assert.equal(await refused({ pidsLimit: 1e300 }), 'pidsLimit: invalid argument "1e+300" for "--pids-limit" flag: strconv.ParseInt: parsing "1e+300": value out of range');
  assert.equal(await refused({ cpuShares: 1e300 }), 'cpuShares: invalid argument "1e+300" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "1e+300": value out of range');
  assert.equal(await refused({ pidsLimit: '1e3' }), 'pidsLimit: invalid argument "1e3" for "--pids-limit" flag: strconv.ParseInt: parsing "1e3": invalid syntax');
  assert.equal(await refused({ pidsLimit: '0x10', cpuShares: '0o1000' }), 'ok');
});

test('update: a value that does not read is OptionSyntaxError (docker\'s CLI refuses the flag), one out of range or in conflict an InvalidOptionError only (the daemon\'s)', async () => {
  const kind = (o: Parameters<typeof updateRefusal>[0]): Promise<string> => updateRefusal(o, (e) => {
    assert.equal(e.code, 'EINVAL');
    return `${e instanceof OptionSyntaxError ? 'syntax' : 'value'} ${e.option}`;
  });
  for (const [o, want] of [
    [{ memory: '1x' }, 'syntax memory'], [{ memorySwap: 'lots' }, 'syntax memorySwap'], [{ cpus: 'abc' }, 'syntax cpus'],
    [{ cpuShares: '1e3' }, 'syntax cpuShares'], [{ cpuShares: '-5' }, 'syntax cpuShares'], [{ pidsLimit: '9'.repeat(40) }, 'syntax pidsLimit'],
    [{ memory: '5m' }, 'value memory'], [{ memory: '64m', memorySwap: '32m' }, 'value memorySwap'], [{ cpus: '10000' }, 'value cpus'],
    [{ cpusetCpus: '3-1' }, 'value cpusetCpus'], [{ restart: 'on-failure:x' }, 'value restart'], [{ pidsLimit: '0x10' }, 'ok'],
  ] as const) assert.equal(await kind(o), want, JSON.stringify(o));
});
