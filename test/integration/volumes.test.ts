// Volumes and mounts as docker makes them, against real containers: `volume create|ls|
// inspect|rm|prune`, -v NAME:/p with the image's content copied in, anonymous volumes for
// an image's VOLUME (an image built with umoci) and -v /p, rm -v and --rm, --mount, -v's
// modes, bind propagation made for real, and docker's refusals with nothing left behind.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dockerArchive, volumeImage } from '../helpers/fixtures';
import { gocker, gockerAsync, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-vol-');
const g = (args: string[], input?: string) => gocker([...roots.args, ...args], input === undefined ? {} : { input });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-vol-work-'));
const volumesDir = path.join(roots.root, 'volumes');
const HEX64 = /^[0-9a-f]{64}$/;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const names = (): string[] => g(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean);
const inspectVolume = (n: string): Record<string, unknown> => (JSON.parse(g(['volume', 'inspect', n]).stdout) as Array<Record<string, unknown>>)[0];
const mountsOf = (c: string): Array<Record<string, unknown>> => JSON.parse(g(['inspect', '-f', '{{json .Mounts}}', c]).stdout) as Array<Record<string, unknown>>;
/** Everything a test leaves: containers and volumes, none expected. */
function assertClean(): void {
  assert.equal(g(['ps', '-aq']).stdout, '');
  assert.deepEqual(names(), []);
  assert.deepEqual(fs.existsSync(volumesDir) ? fs.readdirSync(volumesDir) : [], []);
}
function cleanup(): void {
  removeAllContainers(roots.root, roots.args);
  for (const n of names()) g(['volume', 'rm', '-f', n]);
}

before(async () => {
  await importBusybox(roots.args);
  const archive = dockerArchive(await volumeImage(), path.join(work, 'volimg.tar'), 'volimg:latest');
  const r = g(['load', '-i', archive]);
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  cleanup();
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

test('volume create, ls, inspect, rm: docker\'s output, names and errors', () => {
  try {
    assert.equal(g(['volume', 'create', '--label', 'team=web', '--label', 'tier', 'data1']).stdout, 'data1\n');
    // Creating it again gives the same volume, as docker (the second create's labels are not applied).
    assert.equal(g(['volume', 'create', '--label', 'other=x', 'data1']).stdout, 'data1\n');
    const anon = g(['volume', 'create']).stdout.trim();
    assert.match(anon, HEX64);
    const v = inspectVolume('data1');
    assert.deepEqual(Object.keys(v), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    assert.equal(v.Driver, 'local');
    assert.deepEqual(v.Labels, { team: 'web', tier: '' });
    assert.deepEqual(v.Options, {});
    assert.equal(v.Scope, 'local');
    assert.equal(v.Mountpoint, path.join(volumesDir, 'data1', '_data'));
    assert.match(String(v.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // On disk: the parents the owner's alone, the data directory enterable by a container's users.
    assert.equal(fs.statSync(volumesDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(volumesDir, 'data1')).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(volumesDir, 'data1', '_data')).mode & 0o777, 0o755);
    assert.equal(g(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{index .Labels "team"}}', 'data1']).stdout, 'data1 local web\n');

    // ls: docker's columns (each at least 10 wide), -q, filters.
    const both = [anon, 'data1'].sort();
    assert.equal(g(['volume', 'ls']).stdout, `DRIVER    VOLUME NAME\n${both.map((n) => `local     ${n}\n`).join('')}`);
    assert.deepEqual(names(), both);
    assert.equal(g(['volume', 'ls', '-q', '--filter', 'name=ata']).stdout, 'data1\n');
    assert.equal(g(['volume', 'ls', '-q', '-f', 'label=team=web']).stdout, 'data1\n');
    assert.equal(g(['volume', 'ls', '-q', '-f', 'label=team=db']).stdout, '');
    assert.equal(g(['volume', 'ls', '-q', '-f', 'label=com.docker.volume.anonymous']).stdout, `${anon}\n`);
    assert.equal(g(['volume', 'ls', '-q', '-f', 'dangling=true']).stdout, both.map((n) => `${n}\n`).join(''));
    assert.equal(g(['volume', 'ls', '--format', '{{.Name}}:{{.Driver}}:{{.Labels}}', '-f', 'name=data1']).stdout, 'data1:local:team=web,tier=\n');
    const badFilter = g(['volume', 'ls', '-f', 'colour=red']);
    assert.equal(badFilter.status, 1);
    assert.match(badFilter.stderr, /invalid filter 'colour'/);

    // docker's refusals, exit 1, nothing made.
    const short = g(['volume', 'create', 'a']);
    assert.equal(short.status, 1);
    assert.match(short.stderr, /create a: volume name is too short, names should be at least two alphanumeric characters/);
    const bad = g(['volume', 'create', '../etc']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /create \.\.\/etc: "\.\.\/etc" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed/);
    assert.match(g(['volume', 'create', '-d', 'nfsplugin', 'x2']).stderr, /create x2: error looking up volume plugin nfsplugin: plugin "nfsplugin" not found/);
    assert.match(g(['volume', 'create', '-o', 'colour=red', 'x2']).stderr, /create x2: invalid option: "colour"/);
    assert.match(g(['volume', 'create', '-o', 'type=tmpfs', 'x2']).stderr, /create x2: missing required option: "device"/);
    const missing = g(['volume', 'inspect', 'nosuch']);
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, '[]\n');
    assert.match(missing.stderr, /get nosuch: no such volume/);
    assert.equal(g(['volume', 'rm', 'nosuch']).status, 1);
    assert.equal(g(['volume', 'rm', '-f', 'nosuch']).status, 0);
    assert.deepEqual(names(), both);

    assert.equal(g(['volume', 'rm', 'data1', anon]).stdout, `data1\n${anon}\n`);
  } finally {
    cleanup();
  }
  assertClean();
});

test('concurrent creates of one name make one volume, and every one of them succeeds', async () => {
  try {
    const rs = await Promise.all(Array.from({ length: 6 }, () => gockerAsync([...roots.args, 'volume', 'create', 'shared'])));
    for (const r of rs) {
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'shared\n');
    }
    assert.deepEqual(fs.readdirSync(volumesDir), ['shared']);
  } finally {
    cleanup();
  }
  assertClean();
});

test('-v NAME:/p makes the volume and fills it from the image once, owners and modes kept; nocopy does not', () => {
  try {
    const show = 'stat -c "%u:%g %a %n" /data /data/app /data/app/config; readlink /data/link; cat /data/hardlink; stat -c %h /data/hardlink';
    const r = g(['run', '--rm', '-v', 'appdata:/data', 'volimg', 'sh', '-c', show]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1000:1000 770 /data\n1000:1000 750 /data/app\n1000:1000 640 /data/app/config\napp/config\ndeep\n2\n');
    // Made by the run, as docker makes it: no labels, no options.
    const v = inspectVolume('appdata');
    assert.equal(v.Labels, null);
    assert.equal(v.Options, null);
    const data = path.join(volumesDir, 'appdata', '_data');
    assert.equal(fs.statSync(data).uid, 1000);
    assert.equal(fs.statSync(data).mode & 0o777, 0o770);
    // Not empty any more: never copied into again, so what a container changed stays.
    assert.equal(g(['run', '--rm', '-v', 'appdata:/data', 'volimg', 'rm', '/data/app/config']).status, 0);
    assert.equal(g(['run', '--rm', '-v', 'appdata:/data', 'volimg', 'ls', '/data/app']).stdout, 'deep\n');
    assert.deepEqual(fs.readdirSync(path.join(data, 'app')), ['deep']);
    // The same volume in another image's container: its content, not a copy of that image's.
    assert.equal(g(['run', '--rm', '-v', 'appdata:/etc/appdata', 'busybox', 'cat', '/etc/appdata/hardlink']).stdout, 'deep\n');

    const nocopy = g(['run', '--rm', '--mount', 'type=volume,src=empty1,dst=/data,volume-nocopy', 'volimg', 'ls', '-A', '/data']);
    assert.equal(nocopy.status, 0, nocopy.stderr);
    assert.equal(nocopy.stdout, '');
    assert.equal(g(['run', '--rm', '-v', 'empty2:/data:nocopy', 'volimg', 'ls', '-A', '/data']).stdout, '');
    // A named volume at a path the image does not have stays empty.
    assert.equal(g(['run', '--rm', '-v', 'empty3:/nothing/here', 'volimg', 'ls', '-A', '/nothing/here']).stdout, '');
    // Named volumes outlive their --rm containers.
    assert.deepEqual(names(), ['appdata', 'empty1', 'empty2', 'empty3']);
  } finally {
    cleanup();
  }
  assertClean();
});

test('the image\'s VOLUMEs and -v /p get anonymous volumes; rm keeps them, rm -v and --rm remove them, named ones stay', async () => {
  try {
    assert.equal(g(['run', '--name', 'anon', '-v', '/scratch', '-v', 'keepme:/cache', 'volimg', 'sh', '-c', 'echo hi > /scratch/f; ls /data/app; grep -c "app user" /escape/passwd']).stdout, 'config\ndeep\n1\n');
    const mounts = mountsOf('anon');
    assert.deepEqual(mounts.map((m) => m.Destination).sort(), ['/cache', '/data', '/escape', '/scratch']);
    const anonymous = mounts.filter((m) => m.Destination !== '/cache');
    for (const m of anonymous) {
      assert.deepEqual(Object.keys(m), ['Type', 'Name', 'Source', 'Destination', 'Driver', 'Mode', 'RW', 'Propagation']);
      assert.equal(m.Type, 'volume');
      assert.match(String(m.Name), HEX64);
      assert.equal(m.Source, path.join(volumesDir, String(m.Name), '_data'));
      assert.equal(m.Driver, 'local');
      assert.equal(m.Mode, '');
      assert.equal(m.RW, true);
      assert.equal(m.Propagation, '');
      assert.deepEqual(inspectVolume(String(m.Name)).Labels, { 'com.docker.volume.anonymous': '' });
    }
    assert.deepEqual(mounts.find((m) => m.Destination === '/cache'), {
      Type: 'volume', Name: 'keepme', Source: path.join(volumesDir, 'keepme', '_data'), Destination: '/cache', Driver: 'local', Mode: 'z', RW: true, Propagation: '',
    });
    // /escape is a symlink to /etc in the image: copied from the image's /etc, never the host's.
    // (hosts, hostname and resolv.conf are the mount points of the container's own files.)
    const escape = String(anonymous.find((m) => m.Destination === '/escape')!.Source);
    assert.ok(fs.existsSync('/etc/os-release'));
    assert.deepEqual(fs.readdirSync(escape).sort(), ['group', 'hostname', 'hosts', 'passwd', 'resolv.conf']);
    assert.match(fs.readFileSync(path.join(escape, 'passwd'), 'utf8'), /app user/);

    // In use by a stopped container: refused in docker's words, naming it.
    const id = g(['inspect', '-f', '{{.Id}}', 'anon']).stdout.trim();
    const inUse = g(['volume', 'rm', 'keepme']);
    assert.equal(inUse.status, 1);
    assert.match(inUse.stderr, new RegExp(`remove keepme: volume is in use - \\[${id}\\]`));
    assert.equal(g(['volume', 'ls', '-q', '-f', 'dangling=true']).stdout, '');
    assert.equal(g(['volume', 'prune', '-a', '-f']).stdout, 'Total reclaimed space: 0B\n');

    // rm without -v: the volumes stay, unused.
    assert.equal(g(['rm', 'anon']).status, 0);
    assert.equal(names().length, 4);
    assert.equal(g(['volume', 'ls', '-q', '-f', 'dangling=true']).stdout.split('\n').filter(Boolean).length, 4);
    // docker 23's prune: anonymous volumes only, unless -a.
    const pruned = g(['volume', 'prune', '-f']);
    assert.match(pruned.stdout, /^Deleted Volumes:\n([0-9a-f]{64}\n){3}\nTotal reclaimed space: \d+B\n$/);
    assert.deepEqual(names(), ['keepme']);

    // rm -v: its anonymous volumes go, the named one stays.
    assert.equal(g(['run', '--name', 'anon2', '-v', 'keepme:/cache', 'volimg', 'true']).status, 0);
    assert.equal(names().length, 3);
    assert.equal(g(['rm', '-v', 'anon2']).stdout, 'anon2\n');
    assert.deepEqual(names(), ['keepme']);

    // --rm, in the foreground and detached (the monitor's exit command): the same.
    assert.equal(g(['run', '--rm', '-v', 'keepme:/cache', 'volimg', 'true']).status, 0);
    assert.deepEqual(names(), ['keepme']);
    assert.equal(g(['run', '-d', '--rm', 'volimg', 'true']).status, 0);
    for (let i = 0; i < 100 && (g(['ps', '-aq']).stdout !== '' || names().length > 1); i++) await sleep(100);
    assert.deepEqual(names(), ['keepme']);
    const prunedAll = g(['volume', 'prune', '-a', '-f']);
    assert.equal(prunedAll.stdout.split('\n')[1], 'keepme');
  } finally {
    cleanup();
  }
  assertClean();
});

test('-v creates a missing host directory; --mount does not unless bind-create-src; docker\'s refusals leave nothing', () => {
  const host = path.join(work, 'made', 'by', 'run');
  try {
    const r = g(['run', '--rm', '-v', `${host}:/p`, 'busybox', 'sh', '-c', 'echo x > /p/f']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.statSync(path.join(work, 'made')).mode & 0o777, 0o755);
    assert.equal(fs.readFileSync(path.join(host, 'f'), 'utf8'), 'x\n');
    const gone = path.join(work, 'not', 'there');
    const refused = g(['run', '--rm', '--mount', `type=bind,src=${gone},dst=/p`, 'busybox', 'true']);
    assert.equal(refused.status, 125);
    assert.match(refused.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${gone}`));
    assert.ok(!fs.existsSync(path.join(work, 'not')));
    assert.equal(g(['run', '--rm', '--mount', `type=bind,src=${gone},dst=/p,bind-create-src`, 'busybox', 'true']).status, 0);
    assert.ok(fs.statSync(gone).isDirectory());

    const cases: Array<[string[], RegExp]> = [
      [['-v', 'vol1:/p', '-v', '/tmp:/p'], /^gocker: Duplicate mount point: \/p\n$/],
      [['-v', 'vol1:/p', '--tmpfs', '/p'], /Duplicate mount point: \/p/],
      [['-v', '/tmp:/p', '--mount', 'type=volume,src=vol1,dst=/p'], /Duplicate mount point: \/p/],
      [['-w', 'relative/dir'], /the working directory 'relative\/dir' is invalid, it needs to be an absolute path/],
      [['-v', 'a:/p'], /create a: volume name is too short/],
      [['-v', 'no/slashes:/p'], /"no\/slashes" includes invalid characters for a local volume name/],
      [['-v', '/p:rw'], /invalid volume specification: '\/p:rw'/],
      [['-v', '/tmp:/p:rw,ro'], /invalid mode: rw,ro/],
      [['-v', '/tmp:/'], /destination can't be '\/'/],
      [['-v', 'vol1:/p:rshared'], /invalid mount config for type "volume": field BindOptions must not be specified/],
      [['--mount', 'type=volume,dst=/p,readonly'], /must not set ReadOnly mode when using anonymous volumes/],
      [['--mount', 'type=bind,dst=/p'], /invalid mount config for type "bind": field Source must not be empty/],
      [['--mount', 'type=volume,src=vol1,dst=/p,tmpfs-size=1m'], /cannot mix 'tmpfs-\*' options with mount type 'volume'/],
      [['--mount', 'type=tmpfs,dst=/p,tmpfs-mode=999'], /invalid value for tmpfs-mode: 999/],
      [['--mount', 'type=floppy,dst=/p'], /invalid mount config for type "floppy": mount type unknown/],
      [['--mount', 'type=bind,src=/tmp,dst=/p,bind-propagation=sideways'], /invalid propagation mode: sideways/],
      [['--mount', 'type=bind,src=/tmp,dst=/p,colour=red'], /unknown option 'colour' in 'colour=red'/],
    ];
    for (const [flags, message] of cases) {
      const bad = g(['run', '--rm', ...flags, 'busybox', 'true']);
      assert.equal(bad.status, 125, `${flags.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, message, flags.join(' '));
      assert.equal(bad.stderr.split('\n').length, 2, `one line: ${bad.stderr}`);
    }
    assert.deepEqual(fs.readdirSync(path.join(roots.root, 'containers')), []);
  } finally {
    cleanup();
  }
  assertClean();
});

test('--mount bind, volume and tmpfs, and -v\'s z, Z and ro,Z modes, as docker takes them', () => {
  const host = fs.mkdtempSync(path.join(work, 'bind-'));
  fs.writeFileSync(path.join(host, 'f'), 'host\n');
  try {
    const r = g(['run', '--name', 'mnt', '-v', `${host}:/z:z`, '-v', `${host}:/rz:ro,Z`,
      '--mount', `type=bind,source=${host},target=/b,readonly`, '--mount', 'type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770',
      '--mount', 'type=volume,src=labelled,dst=/v,volume-label=color=blue',
      'busybox', 'sh', '-c', 'cat /z/f /rz/f; touch /rz/x 2>/dev/null || echo ro; touch /b/x 2>/dev/null || echo ro; touch /z/x && echo rw; grep " /t " /proc/mounts; stat -c %a /t']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'host\nhost\nro\nro\nrw\ntmpfs /t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770 0 0\n1770\n');
    assert.deepEqual(mountsOf('mnt'), [
      { Type: 'bind', Source: host, Destination: '/z', Mode: 'z', RW: true, Propagation: 'rprivate' },
      { Type: 'bind', Source: host, Destination: '/rz', Mode: 'ro,Z', RW: false, Propagation: 'rprivate' },
      { Type: 'bind', Source: host, Destination: '/b', Mode: '', RW: false, Propagation: 'rprivate' },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
      { Type: 'volume', Name: 'labelled', Source: path.join(volumesDir, 'labelled', '_data'), Destination: '/v', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    ]);
    assert.deepEqual(inspectVolume('labelled').Labels, { color: 'blue' });
    assert.equal(g(['inspect', '-f', '{{(index .HostConfig.Mounts 1).Type}} {{(index .HostConfig.Mounts 1).Target}}', 'mnt']).stdout, 'tmpfs /t\n');

    // A local volume with driver options is that mount: here a tmpfs, which prune leaves alone.
    assert.equal(g(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=2m,mode=700', 'tmp1']).status, 0);
    const t = g(['run', '--rm', '-v', 'tmp1:/mnt', 'busybox', 'sh', '-c', 'grep " /mnt " /proc/mounts']);
    assert.equal(t.stdout, 'tmpfs /mnt tmpfs rw,relatime,size=2048k,mode=700 0 0\n');
    // labelled is mnt's, tmp1 a mount: -a prunes neither.
    assert.equal(g(['volume', 'prune', '-a', '-f']).stdout, 'Total reclaimed space: 0B\n');
  } finally {
    cleanup();
  }
  assertClean();
});

test('bind propagation: rslave sees the host\'s new mounts, rshared gives its own back, rprivate neither; a private source is refused', () => {
  const shared = fs.mkdtempSync(path.join(work, 'shared-'));
  const mounted: string[] = [];
  const mount = (args: string[], target: string): void => {
    execFileSync('mount', [...args, target]);
    mounted.unshift(target);
  };
  try {
    mount(['-t', 'tmpfs', 'gocker-test-src'], shared);
    execFileSync('mount', ['--make-shared', shared]);
    fs.mkdirSync(path.join(shared, 'from-host'));
    fs.mkdirSync(path.join(shared, 'from-slave'));
    fs.mkdirSync(path.join(shared, 'from-shared'));
    for (const [name, mode] of [['private', 'rprivate'], ['slave', 'rslave'], ['shared', 'rshared']]) {
      const r = g(['run', '-d', '--privileged', '--name', name, '-v', `${shared}:/p:${mode}`, 'busybox', 'sleep', '60']);
      assert.equal(r.status, 0, r.stderr);
    }
    assert.equal(mountsOf('slave')[0].Propagation, 'rslave');
    mount(['-t', 'tmpfs', 'gocker-test-host'], path.join(shared, 'from-host'));
    const seen = (c: string): string => g(['exec', c, 'sh', '-c', 'grep -o "gocker-test-[a-z]* /p/[a-z-]*" /proc/mounts | sort']).stdout;
    assert.equal(seen('private'), '');
    assert.equal(seen('slave'), 'gocker-test-host /p/from-host\n');
    assert.equal(seen('shared'), 'gocker-test-host /p/from-host\n');
    // From inside: a slave's mount stays in the container; a shared one's reaches the host.
    assert.equal(g(['exec', 'slave', 'mount', '-t', 'tmpfs', 'gocker-test-slave', '/p/from-slave']).status, 0);
    assert.equal(g(['exec', 'shared', 'mount', '-t', 'tmpfs', 'gocker-test-shared', '/p/from-shared']).status, 0);
    const onHost = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    if (onHost.includes(`${shared}/from-shared `)) mounted.unshift(path.join(shared, 'from-shared'));
    if (onHost.includes(`${shared}/from-slave `)) mounted.unshift(path.join(shared, 'from-slave'));
    assert.ok(onHost.includes(`${shared}/from-shared `), 'the rshared container\'s mount is on the host');
    assert.ok(!onHost.includes(`${shared}/from-slave `), 'the rslave container\'s mount is not');
    assert.equal(seen('slave'), 'gocker-test-host /p/from-host\ngocker-test-shared /p/from-shared\ngocker-test-slave /p/from-slave\n');

    // A private source has nothing to propagate: refused as dockerd refuses it, nothing made.
    const priv = fs.mkdtempSync(path.join(work, 'private-'));
    for (const [mode, why] of [['rslave', 'not a shared or slave mount'], ['shared', 'not a shared mount']]) {
      const bad = g(['run', '--rm', '-v', `${priv}:/p:${mode}`, 'busybox', 'true']);
      assert.equal(bad.status, 125);
      assert.match(bad.stderr, new RegExp(`path ${priv} is mounted on \\S+ but it is ${why}`));
    }
  } finally {
    cleanup();
    for (const m of mounted) spawnUmount(m);
  }
  assertClean();
});

function spawnUmount(target: string): void {
  try {
    execFileSync('umount', ['-l', target]);
  } catch {
    /* already gone */
  }
}

test('system df counts volumes, their size, and which of them a container uses', () => {
  try {
    assert.equal(g(['run', '--name', 'user', '-v', 'used:/data', 'busybox', 'sh', '-c', 'head -c 100 /dev/zero > /data/f']).status, 0);
    assert.equal(g(['volume', 'create', 'idle']).status, 0);
    fs.writeFileSync(path.join(volumesDir, 'idle', '_data', 'blob'), Buffer.alloc(5000));
    const row = (): string | undefined => g(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}}']).stdout.split('\n').find((l) => l.startsWith('Local Volumes'));
    assert.equal(row(), 'Local Volumes 2 1 5.1kB 5kB (98%)');
    // docker's CLI divides in integers: 200 of 300 is 66%, not 67%.
    fs.writeFileSync(path.join(volumesDir, 'idle', '_data', 'blob'), Buffer.alloc(200));
    assert.equal(row(), 'Local Volumes 2 1 300B 200B (66%)');
  } finally {
    cleanup();
  }
  assertClean();
});

test('what is read back from volumes/ is input: a planted symlink or a forged volume.json is no volume', () => {
  const outside = fs.mkdtempSync(path.join(work, 'outside-'));
  try {
    assert.equal(g(['volume', 'create', 'real']).status, 0);
    fs.mkdirSync(path.join(outside, '_data'));
    fs.writeFileSync(path.join(outside, 'volume.json'), JSON.stringify({ Name: 'planted', CreatedAt: '2024-01-01T00:00:00Z', Labels: null, Options: null }));
    fs.symlinkSync(outside, path.join(volumesDir, 'planted'));
    fs.mkdirSync(path.join(volumesDir, 'forged', '_data'), { recursive: true });
    fs.writeFileSync(path.join(volumesDir, 'forged', 'volume.json'), JSON.stringify({ Name: 'other', CreatedAt: 'yesterday' }));
    assert.deepEqual(names(), ['real']);
    assert.equal(g(['volume', 'inspect', 'planted']).status, 1);
    // Not usable either: a run naming it does not bind the symlink's target.
    const r = g(['run', '--rm', '-v', 'planted:/p', 'busybox', 'true']);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /volume already exists under/);
    assert.ok(fs.existsSync(path.join(outside, 'volume.json')));
  } finally {
    fs.rmSync(path.join(volumesDir, 'planted'), { force: true });
    fs.rmSync(path.join(volumesDir, 'forged'), { recursive: true, force: true });
    cleanup();
  }
  assertClean();
});

test("an image's VOLUME cannot choose its mount's flags: a \\x1f in it (the monitor's field separator) is refused, nothing left", async () => {
  try {
    // The path "/vol\x1frbind,rshared" would otherwise reach the monitor as the destination
    // /vol with the flags rbind,rshared: a volume shared with the host's mount (its peer group).
    const { layout, tag } = await volumeImage();
    const evil = path.join(work, 'evil-layout');
    fs.cpSync(layout, evil, { recursive: true });
    execFileSync('umoci', ['config', '--image', `${evil}:${tag}`, '--config.volume', '/vol\x1frbind,rshared']);
    const archive = dockerArchive({ layout: evil, tag, ref: `oci:${evil}:${tag}` }, path.join(work, 'evil.tar'), 'evilvol:latest');
    assert.equal(g(['load', '-i', archive]).status, 0);
    const r = g(['run', '--rm', '--network', 'none', 'evilvol', 'cat', '/proc/self/mountinfo']);
    assert.doesNotMatch(r.stdout, / \/vol .*shared:/, 'the volume is not a shared mount');
    assert.equal(r.status, 125, r.stdout);
    assert.match(r.stderr, /^gocker: invalid mount ".*": a path or option may not contain the character \\x1f\n$/);
    assertClean();
  } finally {
    cleanup();
    g(['rmi', 'evilvol']);
  }
});
