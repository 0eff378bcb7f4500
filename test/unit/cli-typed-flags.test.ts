// docker's flag syntax read by the CLI into the typed values docker's API has (--mount ->
// HostConfig.Mounts, -p/--expose -> PortBindings/ExposedPorts, seccomp=FILE -> the profile's
// JSON, --cidfile -> a writer), and the engine's checks of those typed values on their own,
// as a library caller gives them: refused with InvalidOptionError naming the option.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mountFromFlag, parseMountFlag } from '../../cli/mountflag';
import { parsePublish, portsFromFlags } from '../../cli/portflags';
import { containerOptionsFromFlags, openCidfile, securityOptsFromFlags } from '../../cli/runflags';
import { checkMount, type Mount } from '../../lib/container/mounts';
import { checkPortBindings } from '../../lib/network/ports';
import { checkSecurityOpts } from '../../lib/spec/seccomp';
import { InvalidOptionError } from '../../lib/errors';
import { refusal } from '../helpers/refusal';

/** f's refusal: an InvalidOptionError naming option, with message. */
function invalid(f: () => unknown, option: string, message: string | RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof InvalidOptionError, String(e));
    assert.equal(e.option, option);
    assert.equal(e.exitCode, 125);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('--mount\'s csv becomes HostConfig.Mounts\' entry, docker\'s CLI\'s fields only where given', () => {
  assert.deepEqual(parseMountFlag('type=bind,src=/h,dst=/c,ro,bind-propagation=rslave,bind-recursive=disabled,bind-create-src'), {
    Type: 'bind', Source: '/h', Target: '/c', ReadOnly: true, BindOptions: { Propagation: 'rslave', NonRecursive: true, CreateMountpoint: true },
  });
  assert.deepEqual(parseMountFlag('source=v1,target=/data,volume-nocopy,"volume-label=a=b,c",volume-driver=local,volume-opt=type=tmpfs,volume-opt=o=size=1m'), {
    Type: 'volume', Source: 'v1', Target: '/data', VolumeOptions: { NoCopy: true, Labels: { a: 'b,c' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', o: 'size=1m' } } },
  });
  assert.deepEqual(parseMountFlag('type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770'), {
    Type: 'tmpfs', Source: '', Target: '/t', TmpfsOptions: { SizeBytes: 64 << 20, Mode: 0o1770 },
  });
  assert.deepEqual(parseMountFlag('type=volume,dst=/d,readonly=false,consistency=cached'), { Type: 'volume', Source: '', Target: '/d' });
  // What dockerd refuses goes on to the engine as it is, to be refused there in its words.
  assert.deepEqual(parseMountFlag('type=disk,dst=/c'), { Type: 'disk', Source: '', Target: '/c' });
  assert.deepEqual(parseMountFlag('type=bind,src=rel,dst=rel'), { Type: 'bind', Source: 'rel', Target: 'rel' });
  assert.equal(mountFromFlag('type=volume,src=./v,dst=/c', '/base').Source, '/base/v');
});

test('--mount: docker\'s CLI\'s own refusals, before the engine sees anything', () => {
  const flag = (raw: string, why: string): [string, [string, number]] => [raw, [`invalid argument "${raw}" for "--mount" flag: ${why}`, 125]];
  const cases: Array<[string, [string, number]]> = [
    flag('', 'value is empty'),
    flag('type=bind,src=/x,dst=/c,bogus=1', "unknown option 'bogus' in 'bogus=1'"),
    flag('type=bind, src=/x,dst=/c', "invalid option 'src' in ' src=/x': option should not have whitespace"),
    flag('type=bind,src= /x,dst=/c', "invalid value for 'src' in 'src= /x': value should not have whitespace"),
    flag('type=bind,src=/x,dst=/c,bind-recursive=maybe', 'invalid value for bind-recursive: maybe (must be "enabled", "disabled", "writable", or "readonly")'),
    flag('type=bind,src=/x,dst=/c,bind-recursive=writable', 'bind-recursive=writable (a read-only mount whose submounts stay writable) is not supported by gocker'),
    flag('type=volume,dst=/c,volume-subpath=a', 'volume-subpath is not supported by gocker'),
    flag('type=tmpfs,dst=/c,tmpfs-mode=9', 'invalid value for tmpfs-mode: 9'),
    flag('type=volume,dst=/c,tmpfs-size=1m', "cannot mix 'tmpfs-*' options with mount type 'volume'"),
    flag('type=bind,"src=/x', 'parse error on line 1, column 17: extraneous or missing " in quoted-field'),
  ];
  for (const [raw, want] of cases) assert.deepEqual(refusal(() => parseMountFlag(raw)), want, raw);
});

test('HostConfig.Mounts typed: dockerd\'s checks, refused as the option mounts', () => {
  const tmp = os.tmpdir();
  assert.deepEqual(checkMount({ Type: 'bind', Source: `${tmp}/`, Target: '/c/', ReadOnly: true }), {
    Type: 'bind', Source: tmp, Destination: '/c', RW: false, Mode: '', Propagation: 'rprivate', createSource: false, copyData: false, nonRecursive: false,
    spec: { Type: 'bind', Source: `${tmp}/`, Target: '/c/', ReadOnly: true },
  });
  assert.equal(checkMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 3 << 20 } }).tmpfsData, 'size=3m');
  assert.equal(checkMount({ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { NoCopy: true } }).copyData, false);
  const bad = (m: unknown, message: string | RegExp): void => invalid(() => checkMount(m as Mount), 'mounts', message);
  bad({ Type: 'volume', Target: '/x', VolumeOptions: { NoCopy: 'yes' } }, /^invalid mount: VolumeOptions must be/);
  bad({ Type: 'tmpfs', Target: '/x', TmpfsOptions: { SizeBytes: -1 } }, /^invalid mount: TmpfsOptions must be/);
  bad({ Type: 'bind', Source: 1, Target: '/x' }, 'invalid mount: Source must be a string');
  bad(null, 'invalid mount: a mount is an object with Type and Target');
  bad({ Type: 'volume', Target: '/x', TmpfsOptions: {} }, 'invalid mount config for type "volume": field TmpfsOptions must not be specified');
  bad({ Type: 'bind', Source: '/x', Target: '/c', VolumeOptions: {} }, 'invalid mount config for type "bind": field VolumeOptions must not be specified');
  bad({ Type: 'bind', Source: tmp, Target: '/c', BindOptions: { Propagation: 'sideways' } }, 'invalid mount config for type "bind": invalid propagation mode: sideways');
  bad({ Type: 'volume', Target: '/' }, 'invalid mount config for type "volume": invalid specification: destination can\'t be \'/\'');
  bad({ Type: 'volume', Target: '/x', ReadOnly: true }, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes');
  bad({ Type: 'image', Target: '/x' }, 'mount type image is not supported by gocker');
  // docker's fields gocker does not carry out are refused, not dropped (a dropped Subpath gave the whole volume).
  bad({ Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { Subpath: 'pub' } }, 'invalid mount: VolumeOptions.Subpath is not supported by gocker');
  bad({ Type: 'bind', Source: tmp, Target: '/x', BindOptions: { ReadOnlyNonRecursive: true } }, 'invalid mount: BindOptions.ReadOnlyNonRecursive is not supported by gocker');
  bad({ Type: 'tmpfs', Target: '/x', TmpfsOptions: { Options: [['exec']] } }, 'invalid mount: TmpfsOptions.Options is not supported by gocker');
  bad({ Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'local', Extra: 1 } } }, 'invalid mount: VolumeOptions.DriverConfig.Extra is not supported by gocker');
  bad({ Type: 'bind', Source: tmp, Target: '/x', Mode: 'z' }, 'invalid mount: Mode is not supported by gocker');
});

test('-p and --expose become PortBindings and ExposedPorts; the engine normalises and checks the typed map', () => {
  assert.deepEqual(portsFromFlags(['127.0.0.1:8080:80', '90-91/udp'], ['443', '7000-7001/udp']), {
    portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '90/udp': [{ HostIp: '', HostPort: '' }], '91/udp': [{ HostIp: '', HostPort: '' }] },
    exposedPorts: { '443/tcp': {}, '7000/udp': {}, '7001/udp': {}, '80/tcp': {}, '90/udp': {}, '91/udp': {} },
  });
  assert.deepEqual(portsFromFlags(), { portBindings: undefined, exposedPorts: undefined });
  assert.deepEqual(refusal(() => portsFromFlags([], ['x/tcp'])), ['invalid port: x', 125]);
  assert.deepEqual(refusal(() => parsePublish('1:2:3:4', {})), ['invalid port format: 1:2:3:4', 125]);
  assert.deepEqual(refusal(() => parsePublish('[::1]:80:80', {})), ['invalid IP address [::1]: gocker publishes ports on IPv4 addresses only', 125]);
  assert.deepEqual(checkPortBindings({ 80: [{ HostPort: '0' }], '53/UDP': null, '9000/tcp': [], '81/sctp': [{ HostIp: '10.0.0.1', HostPort: '8000-8010' }] }), {
    portBindings: {
      // No bindings (null or []) is kept as given: exposed, not published (only publishAll does).
      '80/tcp': [{ HostIp: '', HostPort: '' }], '53/udp': null, '9000/tcp': [],
      '81/sctp': [{ HostIp: '10.0.0.1', HostPort: '8000-8010' }],
    },
    exposed: ['80/tcp', '53/udp', '9000/tcp', '81/sctp'],
  });
  const bad = (m: unknown, message: string): void => invalid(() => checkPortBindings(m), 'portBindings', message);
  bad({ '0/tcp': [] }, 'invalid containerPort: 0/tcp');
  bad({ '80-81/tcp': [] }, 'invalid containerPort: 80-81/tcp');
  bad({ '80/icmp': [] }, 'invalid proto: icmp');
  bad({ '80/tcp': [{ HostIp: '1.2.3' }] }, 'invalid IP address: 1.2.3');
  bad({ '80/tcp': [{ HostPort: '9-8' }] }, 'invalid hostPort: 9-8');
  bad({ '80/tcp': [{ HostPort: 8080 }] }, 'invalid binding for 80/tcp: HostIp and HostPort are strings');
  bad({ '80/tcp': 'x' }, 'invalid bindings for 80/tcp: an array of { HostIp, HostPort }');
  bad(['80/tcp'], 'invalid portBindings: a map of "PORT/PROTO" to bindings');
});

test('--security-opt seccomp=FILE: the CLI reads the file and sends its JSON; the engine takes no file name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secopt-'));
  try {
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, '{ "defaultAction": "SCMP_ACT_ALLOW" }\n');
    const sent = securityOptsFromFlags([`seccomp=${file}`, `seccomp:${file}`, 'no-new-privileges', 'seccomp=unconfined', 'apparmor=x']);
    assert.deepEqual(sent, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'no-new-privileges', 'seccomp=unconfined', 'apparmor=x']);
    assert.deepEqual(refusal(() => securityOptsFromFlags([`seccomp=${dir}`])), [`opening seccomp profile (${dir}) failed: open ${dir}: is a directory`, 125]);
    assert.deepEqual(checkSecurityOpts(sent.slice(0, 4)), sent.slice(0, 4));
    invalid(() => checkSecurityOpts(['apparmor=x']), 'securityOpt', 'invalid --security-opt: "apparmor=x"');
    invalid(() => checkSecurityOpts([`seccomp=${file}`]), 'securityOpt', /^invalid --security-opt: "seccomp=.*p\.json": seccomp= takes unconfined, builtin or a profile's JSON, not a file's name/);
    // run's flags: the profile itself in the options, never the file's name.
    assert.deepEqual(containerOptionsFromFlags({ securityOpt: [`seccomp=${file}`] }).securityOpt, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--cidfile: a file there already refused in docker\'s words; the id written once; on a failure the file goes when nothing was written, or always (a create)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-cidfile-'));
  try {
    const file = path.join(dir, 'cid');
    assert.equal(openCidfile(undefined).write, undefined);
    const cid = openCidfile(file);
    // Made before the container is, as docker's CLI makes it.
    assert.equal(fs.readFileSync(file, 'utf8'), '');
    cid.write!('abc123');
    assert.equal(fs.readFileSync(file, 'utf8'), 'abc123');
    cid.done(false, false);
    assert.equal(fs.readFileSync(file, 'utf8'), 'abc123');
    assert.deepEqual(refusal(() => openCidfile(file)), [`Container ID file found, make sure the other container isn't running or delete ${file}`, 125]);
    // A failure: a run's kept once written, a create's gone, either gone with nothing written.
    fs.rmSync(file);
    const kept = openCidfile(file);
    kept.write!('abc123');
    kept.done(true, true);
    assert.equal(fs.readFileSync(file, 'utf8'), 'abc123');
    fs.rmSync(file);
    const gone = openCidfile(file);
    gone.write!('abc123');
    gone.done(true, false);
    assert.equal(fs.existsSync(file), false);
    openCidfile(file).done(true, true);
    assert.equal(fs.existsSync(file), false);
    // A file that cannot be made: refused before any container, in docker's words.
    const nodir = path.join(dir, 'none', 'cid');
    assert.deepEqual(refusal(() => openCidfile(nodir)), [`failed to create the container ID file: open ${nodir}: no such file or directory`, 125]);
    // The engine never sees the file's name.
    assert.equal('cidfile' in containerOptionsFromFlags({ cidfile: file }), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--cidfile: a dangling symlink there is a file there, refused in the same words, and never followed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-cidfile-'));
  try {
    const file = path.join(dir, 'cid');
    const target = path.join(dir, 'elsewhere');
    fs.symlinkSync(target, file);
    assert.deepEqual(refusal(() => openCidfile(file)), [`Container ID file found, make sure the other container isn't running or delete ${file}`, 125]);
    assert.equal(fs.existsSync(target), false);
    assert.equal(fs.readlinkSync(file), target);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
