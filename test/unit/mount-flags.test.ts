// -v and --mount read as docker's CLI and dockerd read them (cli/opts/mount.go,
// daemon/volume/mounts/linux_parser.go): what each form means, and the words of each refusal.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { checkMount, parseVolumeFlag, planMounts as planTyped } from '../../lib/container/mounts';
import { parseMountFlag as mountFromCsv } from '../../cli/mountflag';

// --mount as a run reads it: docker's CLI's csv reader (cli/mountflag.ts), then dockerd's
// checks of the HostConfig.Mounts entry it makes (lib/container/mounts.ts).
const parseMountFlag = (raw: string): ReturnType<typeof checkMount> => checkMount(mountFromCsv(raw));
const planMounts = (o: { volume?: string[]; mount?: string[] }, image: Record<string, object> | undefined, tmpfs: string[]): ReturnType<typeof planTyped> =>
  planTyped({ volume: o.volume, mounts: o.mount?.map(mountFromCsv) }, image, tmpfs);

const tmp = os.tmpdir();

test('-v: binds, named and anonymous volumes, and docker\'s modes', () => {
  const cases: Array<[string, Partial<ReturnType<typeof parseVolumeFlag>>]> = [
    ['/h:/c', { Type: 'bind', Source: '/h', Destination: '/c', RW: true, Mode: '', Propagation: 'rprivate', createSource: true }],
    ['/h/:/c/:ro', { Type: 'bind', Source: '/h', Destination: '/c', RW: false, Mode: 'ro' }],
    ['/h:/c:ro,Z', { Type: 'bind', RW: false, Mode: 'ro,Z', Propagation: 'rprivate' }],
    ['/h:/c:z', { Type: 'bind', RW: true, Mode: 'z' }],
    ['/h:/c:rslave', { Type: 'bind', Propagation: 'rslave', Mode: 'rslave' }],
    ['/h:/c:ro,shared', { Type: 'bind', RW: false, Propagation: 'shared' }],
    ['/h:/c:cached', { Type: 'bind', RW: true }],
    ['name:/c', { Type: 'volume', Source: 'name', Mode: 'z', Propagation: '', copyData: true }],
    ['name:/c:ro,nocopy', { Type: 'volume', Source: 'name', RW: false, Mode: 'ro,nocopy', copyData: false }],
    ['/c', { Type: 'volume', Source: '', Destination: '/c', Mode: '' }],
  ];
  for (const [raw, want] of cases) {
    const got = parseVolumeFlag(raw);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, `${raw}: ${k}`);
  }
  // docker's CLI makes ./rel its caller's (cli/runflags.ts absoluteVolume): the engine has no directory to resolve it in.
  assert.throws(() => parseVolumeFlag('./rel:/c'), { message: "invalid volume specification: './rel:/c': a host path must be absolute", exitCode: 125 } as object);
});

test('-v: refused as docker refuses it', () => {
  const cases: Array<[string, string]> = [
    ['/c:rw', "invalid volume specification: '/c:rw'"],
    ['/h:/c:rw,ro', 'invalid mode: rw,ro'],
    ['/h:/c:Z,z', 'invalid mode: Z,z'],
    ['/h:/c:sideways', 'invalid mode: sideways'],
    ['/h:c', "invalid volume specification: '/h:c': invalid mount config for type \"bind\": invalid mount path: 'c' mount path must be absolute"],
    ['a:b:c:d', "invalid volume specification: 'a:b:c:d'"],
    [':/c', "invalid volume specification: ':/c'"],
    ['/h:/', "invalid volume specification: '/h:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"],
    ['name:/c:rshared', "invalid volume specification: 'name:/c:rshared': invalid mount config for type \"volume\": field BindOptions must not be specified"],
    ['/c:/d:nocopy', "invalid volume specification: '/c:/d:nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified"],
  ];
  for (const [raw, message] of cases) assert.throws(() => parseVolumeFlag(raw), { message, exitCode: 125 } as object, raw);
});

test('--mount: docker\'s csv, types and options', () => {
  assert.deepEqual(parseMountFlag(`type=bind,src=${tmp},dst=/c,readonly,bind-propagation=rslave`), {
    Type: 'bind', Source: tmp, Destination: '/c', RW: false, Mode: '', Propagation: 'rslave', createSource: false, copyData: false, nonRecursive: false,
    spec: { Type: 'bind', Source: tmp, Target: '/c', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
  });
  const vol = parseMountFlag('source=v1,target=/data,volume-nocopy,"volume-label=a=b,c",volume-opt=type=tmpfs');
  assert.equal(vol.Type, 'volume');
  assert.equal(vol.Mode, 'z');
  assert.equal(vol.copyData, false);
  assert.deepEqual(vol.volumeLabels, { a: 'b,c' });
  assert.deepEqual(vol.volumeOptions, { type: 'tmpfs' });
  const t = parseMountFlag('type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770');
  assert.equal(t.tmpfsData, 'mode=1770,size=64m');
  assert.equal(parseMountFlag('type=tmpfs,dst=/t,tmpfs-size=1000').tmpfsData, 'size=1000');
  assert.equal(parseMountFlag(`type=bind,src=${tmp},dst=/c,bind-recursive=disabled`).nonRecursive, true);
  assert.throws(() => parseMountFlag('type=bind,src=./x,dst=/c,bind-create-src'), { message: "invalid mount config for type \"bind\": invalid mount path: './x' mount path must be absolute" } as object);
});

test('--mount: refused in docker\'s words', () => {
  const flag = (raw: string, why: string): [string, string] => [raw, `invalid argument "${raw}" for "--mount" flag: ${why}`];
  const cases: Array<[string, string]> = [
    flag('type=bind,src=/x,dst=/c,bogus=1', "unknown option 'bogus' in 'bogus=1'"),
    flag('type=bind,dst=/c,src', "invalid field 'src' must be a key=value pair"),
    flag('type=bind,dst=/c,src=', "invalid value for 'src': value is empty"),
    flag('type=volume,dst=/c,ro=maybe', `invalid value for 'ro': invalid boolean value ("maybe"): must be one of "true", "1", "false", or "0" (default "true")`),
    flag('type=tmpfs,dst=/c,bind-propagation=shared', "cannot mix 'bind-*' options with mount type 'tmpfs'"),
    flag('type=bind,src=/x,dst=/c,volume-nocopy', "cannot mix 'volume-*' options with mount type 'bind'"),
    flag('type=tmpfs,dst=/c,tmpfs-size=lots', 'invalid value for tmpfs-size: lots'),
    flag('type=bind,src=/x,dst=/c,bind-nonrecursive', 'bind-nonrecursive is deprecated, use bind-recursive=disabled instead'),
    ['type=volume,src=v', 'invalid mount config for type "volume": field Target must not be empty'],
    ['type=volume,src=v,dst=rel', "invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute"],
    ['type=tmpfs,src=x,dst=/c', 'invalid mount config for type "tmpfs": field Source must not be specified'],
    ['type=bind,src=/no/such/dir/here,dst=/c', 'invalid mount config for type "bind": bind source path does not exist: /no/such/dir/here'],
    ['type=bind,src=rel,dst=/c', "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"],
    ['type=disk,dst=/c', 'invalid mount config for type "disk": mount type unknown'],
  ];
  for (const [raw, message] of cases) assert.throws(() => parseMountFlag(raw), { message, exitCode: 125 } as object, raw);
});

test('planMounts: duplicates refused, -v /p and the image\'s VOLUMEs only where nothing else mounts', () => {
  const plan = planMounts({ volume: ['named:/data', '/scratch', '/data'], mount: ['type=tmpfs,dst=/t'] }, { '/data': {}, '/cache/': {}, 'relative': {}, '/': {} }, ['/run']);
  assert.deepEqual(plan.map((p) => [p.Type, p.Source, p.Destination]), [
    ['volume', 'named', '/data'], ['tmpfs', '', '/t'], ['volume', '', '/scratch'], ['volume', '', '/cache'],
  ]);
  const dup = (o: { volume?: string[]; mount?: string[] }, tmpfs: string[] = []): void =>
    assert.throws(() => planMounts(o, undefined, tmpfs), { message: 'Duplicate mount point: /p' });
  dup({ volume: ['a1:/p', '/h:/p/'] });
  dup({ volume: ['a1:/p'], mount: ['type=tmpfs,dst=/p'] });
  dup({ mount: ['type=tmpfs,dst=/p', 'type=volume,dst=/p'] });
  dup({ volume: ['a1:/p'] }, ['/p']);
});
