// ps --filter (every key docker's takes), -n, -l, -s; images --filter; history -H=false: real
// containers and images in a store of this file's own, with docker's output and errors.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';

const roots = tempRoots('gocker-filters-');
const g = (args: string[]): CliResult => gocker([...roots.args, ...args]);
const names = (args: string[]): string[] => {
  const r = g(['ps', ...args, '--format', '{{.Names}}']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
};
const ok = (args: string[]): string => {
  const r = g(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

before(async () => {
  await importBusybox(roots.args);
  // Created in this order, newest last: ps lists newest first.
  ok(['run', '--name', 'fl-zero', '--network', 'none', '-v', 'fl-vol:/data', 'busybox', 'true']);
  assert.equal(g(['run', '--name', 'fl-three', '--network', 'none', 'busybox', 'sh', '-c', 'exit 3']).status, 3);
  ok(['run', '-d', '--name', 'fl-up', 'busybox', 'sh', '-c', 'head -c 3000 /dev/zero > /big; exec sleep 600']);
  // An image built on busybox (commit keeps its layers and adds one), with a label of its own.
  ok(['commit', '-c', 'LABEL tier=web', '-c', 'LABEL team=a', 'fl-up', 'derived:1']);
  ok(['create', '--name', 'fl-made', '--network', 'none', 'derived:1', 'true']);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

test('ps --filter: status, exited, name (a regexp), id, label, ancestor, before, since, network, volume', () => {
  assert.deepEqual(names([]), ['fl-up']);
  assert.deepEqual(names(['-a']), ['fl-made', 'fl-up', 'fl-three', 'fl-zero']);
  // status= lists stopped containers without -a, as docker's.
  assert.deepEqual(names(['-f', 'status=exited']), ['fl-three', 'fl-zero']);
  assert.deepEqual(names(['-f', 'status=created']), ['fl-made']);
  assert.deepEqual(names(['-a', '-f', 'exited=3']), ['fl-three']);
  assert.deepEqual(names(['-a', '-f', 'exited=0']), ['fl-zero']);
  // name= is a regular expression, matched with and without the leading slash.
  assert.deepEqual(names(['-a', '-f', 'name=^fl-(up|zero)$']), ['fl-up', 'fl-zero']);
  assert.deepEqual(names(['-a', '-f', 'name=^/fl-made']), ['fl-made']);
  assert.deepEqual(names(['-a', '-f', 'name=thr']), ['fl-three']);
  // A value that is no regexp matches nothing (Go's regexp.MatchString fails; docker skips it).
  assert.deepEqual(names(['-a', '-f', 'name=fl-(']), []);
  assert.deepEqual(names(['-a', '-f', 'name=fl-(', '-f', 'name=zero$']), ['fl-zero']);
  const id = ok(['inspect', '-f', '{{.Id}}', 'fl-three']).trim();
  assert.deepEqual(names(['-a', '-f', `id=${id.slice(0, 10)}`]), ['fl-three']);
  // Labels come from the image: the derived one has tier=web, busybox none.
  assert.deepEqual(names(['-a', '-f', 'label=tier']), ['fl-made']);
  assert.deepEqual(names(['-a', '-f', 'label=tier=web']), ['fl-made']);
  assert.deepEqual(names(['-a', '-f', 'label=tier=db']), []);
  // label= values must all hold (docker's MatchKVList).
  assert.deepEqual(names(['-a', '-f', 'label=tier=web', '-f', 'label=team=b']), []);
  assert.deepEqual(names(['-a', '-f', 'label=tier=web', '-f', 'label=team=a']), ['fl-made']);
  // ancestor=: the image by name, name:tag, id, and the images built on it.
  const bbId = ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).trim();
  for (const ref of ['busybox', 'busybox:latest', bbId, bbId.slice(7, 19)]) assert.deepEqual(names(['-a', '-f', `ancestor=${ref}`]), ['fl-made', 'fl-up', 'fl-three', 'fl-zero'], ref);
  // By digest: the manifest the store keeps for it, as NAME@sha256:...
  const manifest = fs.readFileSync(path.join(roots.root, 'images', bbId.slice(7), 'manifest.json'));
  const digest = `sha256:${crypto.createHash('sha256').update(manifest).digest('hex')}`;
  assert.deepEqual(names(['-a', '-f', `ancestor=busybox@${digest}`]), ['fl-made', 'fl-up', 'fl-three', 'fl-zero']);
  assert.deepEqual(names(['-a', '-f', 'ancestor=derived:1']), ['fl-made']);
  assert.deepEqual(names(['-a', '-f', 'ancestor=derived:1', '-f', 'ancestor=no-such-image']), ['fl-made']);
  assert.deepEqual(names(['-a', '-f', 'ancestor=no-such-image']), []);
  assert.deepEqual(names(['-a', '-f', 'before=fl-up']), ['fl-three', 'fl-zero']);
  assert.deepEqual(names(['-a', '-f', 'since=fl-three']), ['fl-made', 'fl-up']);
  assert.deepEqual(names(['-a', '-f', 'since=fl-zero', '-f', 'before=fl-made']), ['fl-up', 'fl-three']);
  assert.deepEqual(names(['-a', '-f', 'network=none']), ['fl-made', 'fl-three', 'fl-zero']);
  assert.deepEqual(names(['-a', '-f', 'network=bridge']), ['fl-up']);
  const bridgeId = ok(['network', 'inspect', '-f', '{{.Id}}', 'bridge']).trim();
  assert.deepEqual(names(['-a', '-f', `network=${bridgeId.slice(0, 8)}`]), ['fl-up']);
  assert.deepEqual(names(['-a', '-f', 'volume=fl-vol']), ['fl-zero']);
  assert.deepEqual(names(['-a', '-f', 'volume=/data']), ['fl-zero']);
});

test('ps: values of one key are OR\'ed, keys AND\'ed; bad filters get docker\'s errors', () => {
  assert.deepEqual(names(['-f', 'status=exited', '-f', 'status=running']), ['fl-up', 'fl-three', 'fl-zero']);
  assert.deepEqual(names(['-f', 'status=exited', '-f', 'status=running', '-f', 'name=three', '-f', 'name=up']), ['fl-up', 'fl-three']);
  assert.deepEqual(names(['-f', 'status=exited', '-f', 'name=up']), []);
  const key = g(['ps', '-f', 'colour=red']);
  assert.equal(key.status, 1);
  assert.equal(key.stderr, "Error response from daemon: invalid filter 'colour'\n");
  const status = g(['ps', '-f', 'status=sleeping']);
  assert.equal(status.status, 1);
  assert.equal(status.stderr, "Error response from daemon: invalid filter 'status=sleeping'\n");
  const exited = g(['ps', '-a', '-f', 'exited=x']);
  assert.equal(exited.status, 1);
  assert.equal(exited.stderr, 'Error response from daemon: invalid filter \'exited=x\': strconv.Atoi: parsing "x": invalid syntax\n');
  const form = g(['ps', '-f', 'status']);
  assert.equal(form.status, 125);
  assert.equal(form.stderr, 'invalid argument "status" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee \'gocker ps --help\'.\n');
  const missing = g(['ps', '-f', 'before=no-such']);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'Error response from daemon: No such container: no-such\n');
});

test('ps -n, -l: the newest containers in any state, after the filters; -s: docker\'s SIZE column', () => {
  assert.deepEqual(names(['-n', '2']), ['fl-made', 'fl-up']);
  assert.deepEqual(names(['-n', '2', '-f', 'status=exited']), ['fl-three', 'fl-zero']);
  assert.deepEqual(names(['-l']), ['fl-made']);
  assert.deepEqual(names(['--latest', '-f', 'exited=3']), ['fl-three']);
  assert.equal(ok(['ps', '-l', '-q']), `${ok(['inspect', '-f', '{{.Id}}', 'fl-made']).trim().slice(0, 12)}\n`);

  const image = ok(['images', '--format', '{{.Size}}', 'busybox']).trim();
  const table = ok(['ps', '-s']).split('\n');
  assert.match(table[0], /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\s+SIZE$/);
  // fl-up wrote 3000 bytes into its root: docker's "3kB (virtual ...)", its image's size added.
  const vsize = /\(virtual ([0-9.]+)(MB|kB)\)$/.exec(table[1]);
  assert.ok(table[1].endsWith(`3kB (virtual ${vsize?.[1]}${vsize?.[2]})`), table[1]);
  assert.match(table[1], /\sfl-up\s+3kB \(virtual /);
  assert.equal(ok(['ps', '-a', '-f', 'name=fl-zero', '--format', '{{.Size}}']), `0B (virtual ${image})\n`);
  // A stopped container's writable layer is counted too.
  assert.match(ok(['ps', '-a', '-s', '-f', 'name=fl-zero']).split('\n')[1], new RegExp(`\\s0B \\(virtual ${image.replace('.', '\\.')}\\)$`));
});

test('system df -v: docker\'s tables of images, containers, local volumes and an empty build cache', () => {
  const out = ok(['system', 'df', '-v']);
  const sections = out.split(/\n(?=Containers space usage:|Local Volumes space usage:|Build cache usage:)/);
  assert.equal(sections.length, 4, out);
  const rows = (section: string): string[][] => section.split('\n').slice(3).filter(Boolean).map((l) => l.split(/ {2,}/));
  // Images: every column docker has; sizes as `images` shows them; busybox's layers are all
  // shared with derived:1, which adds one of its own; the containers made from each.
  const [images, containers, volumes, cache] = sections;
  assert.match(images, /^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
  const bySize = (ref: string): string => ok(['images', '--format', '{{.Size}}', ref]).trim();
  const imageRows = rows(images);
  assert.equal(imageRows.length, 2, images);
  const [derived, busybox] = imageRows;
  assert.deepEqual([derived[0], derived[1], derived[2]], ['derived', '1', ok(['images', '-q', 'derived:1']).trim()]);
  assert.deepEqual([busybox[0], busybox[1], busybox[2]], ['busybox', 'latest', ok(['images', '-q', 'busybox']).trim()]);
  assert.match(derived[3], / ago$/);
  assert.equal(derived[4], bySize('derived:1'));
  assert.equal(busybox[4], bySize('busybox'));
  const bbBytes = Number(ok(['image', 'inspect', '-f', '{{.Size}}', 'busybox']).trim());
  const derivedBytes = Number(ok(['image', 'inspect', '-f', '{{.Size}}', 'derived:1']).trim());
  const human4 = (n: number): string => {
    const units = ['B', 'kB', 'MB', 'GB'];
    let i = 0;
    while (n >= 999.5 && i < units.length - 1) { n /= 1000; i++; }
    return i === 0 ? `${n}B` : `${Number(n.toPrecision(4))}${units[i]}`;
  };
  assert.deepEqual(busybox.slice(5), [human4(bbBytes), '0B', '3']);
  assert.deepEqual(derived.slice(5), [human4(bbBytes), human4(derivedBytes - bbBytes), '1']);
  // Containers: newest first, docker's columns, each size as ps -s shows it but for the
  // virtual size, which docker leaves out here.
  assert.match(containers, /^Containers space usage:\n\nCONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES\n/);
  const ctrRows = rows(containers);
  assert.deepEqual(ctrRows.map((r) => r[r.length - 1]), ['fl-made', 'fl-up', 'fl-three', 'fl-zero']);
  const ps = ok(['ps', '-a', '--format', '{{.ID}}|{{.Image}}|{{.Command}}|{{.Size}}|{{.Names}}']).split('\n').filter(Boolean).map((l) => l.replace(/ \(virtual [^)]*\)/, '').split('|'));
  for (const [i, r] of ctrRows.entries()) {
    assert.deepEqual([r[0], r[1], r[2], r[4], r[7]], ps[i], r.join(' | '));
    assert.equal(r[3], r[7] === 'fl-zero' ? '1' : '0');
  }
  assert.equal(ctrRows[1][4], '3kB');
  assert.match(volumes, /^Local Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\n/);
  assert.deepEqual(rows(volumes), [['fl-vol', '1', '0B']]);
  assert.equal(cache, 'Build cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n');
});

test('system df -v --format: as docker\'s, the template runs once on the whole usage (Images, Containers, Volumes, BuildCache)', () => {
  const ids = ok(['ps', '-a', '--no-trunc', '--format', '{{.ID}}']).split('\n').filter(Boolean);
  // {{json .}} and json: one object, its rows as each list's json shows them, untruncated; nothing after it.
  const json = ok(['system', 'df', '-v', '--format', '{{json .}}']);
  // (the fields that say how long ago may tick between the two)
  const timeless = (j: string): string => j.replace(/"(CreatedSince|RunningFor|Status)":"[^"]*"/g, '');
  assert.equal(timeless(ok(['system', 'df', '-v', '--format', 'json'])), timeless(json));
  assert.ok(!json.endsWith('\n'), json);
  const du = JSON.parse(json) as { Images: Array<Record<string, string>>; Containers: Array<Record<string, string>>; Volumes: Array<Record<string, string>>; BuildCache: unknown[] };
  assert.deepEqual(Object.keys(du), ['Images', 'Containers', 'Volumes', 'BuildCache']);
  assert.deepEqual(du.Images.map((i) => `${i.Repository}:${i.Tag}`), ['derived:1', 'busybox:latest']);
  assert.equal(du.Images[1].ID, ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).trim());
  assert.deepEqual(Object.keys(du.Images[0]), ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize']);
  assert.deepEqual(du.Containers.map((c) => c.ID), ids);
  assert.deepEqual(du.Containers.map((c) => c.Names), ['fl-made', 'fl-up', 'fl-three', 'fl-zero']);
  assert.equal(du.Containers[1].Size, '3kB');
  assert.deepEqual(du.Volumes.map((v) => [v.Name, v.Links, v.Driver]), [['fl-vol', '1', 'local']]);
  assert.deepEqual(du.BuildCache, []);
  // A template of its own ranges over the lists; 'table' adds no header here.
  assert.equal(ok(['system', 'df', '-v', '--format', 'table {{range .Volumes}}{{.Name}}={{.Links}} {{end}}{{len .Containers}}']), 'fl-vol=1 4');
  // A row's field on the whole: docker's execution error, exit 1.
  const bad = g(['system', 'df', '-v', '--format', 'table {{.Type}}']);
  assert.deepEqual([bad.status, bad.stdout, bad.stderr], [1, '', 'template: :1:2: executing "" at <.Type>: can\'t evaluate field Type in type *formatter.diskUsageContext\n']);
  // raw: each row in docker's raw form under its type.
  const raw = ok(['system', 'df', '-v', '--format', 'raw']);
  assert.match(raw, /^type: Image\nrepository: derived\ntag: 1\ndigest: <none>\nimage_id: sha256:[0-9a-f]{64}\ncreated_at: .*\nvirtual_size: .*\n\ntype: Image\n/);
  assert.match(raw, new RegExp(`\ntype: Container\ncontainer_id: ${ids[1]}\nimage: busybox\n(.*\n){6}ports: *\nsize: 3kB\n\n`));
  assert.ok(raw.endsWith('type: Volume\nname: fl-vol\ndriver: local\n\n'), raw);
});

test('images --filter: reference globs, label, before, since, dangling; docker\'s errors', () => {
  ok(['tag', 'busybox', 'fl/other:v2']);
  const rows = (args: string[]): string[] => ok(['images', ...args, '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter(Boolean);
  assert.deepEqual(rows(['-f', 'reference=*/other']), ['fl/other:v2']);
  assert.deepEqual(rows(['-f', 'reference=busy*']), ['busybox:latest']);
  assert.deepEqual(rows(['-f', 'reference=derived:?']).sort(), ['derived:1']);
  // Several references: either; with the positional too.
  assert.deepEqual(rows(['-f', 'reference=busy*', '-f', 'reference=derived:*']).sort(), ['busybox:latest', 'derived:1']);
  assert.deepEqual(rows(['-f', 'reference=busy*', 'fl/*']).sort(), ['busybox:latest', 'fl/other:v2']);
  assert.deepEqual(rows(['-f', 'label=tier']), ['derived:1']);
  assert.deepEqual(rows(['-f', 'label=tier=web', '-f', 'label=team=a']), ['derived:1']);
  assert.deepEqual(rows(['-f', 'label=tier=db']), []);
  assert.deepEqual(rows(['-f', 'since=busybox']), ['derived:1']);
  assert.deepEqual(rows(['-f', 'before=derived:1']).sort(), ['busybox:latest', 'fl/other:v2']);
  assert.deepEqual(rows(['-f', 'dangling=true']), []);
  assert.deepEqual(rows(['-f', 'dangling=false']).sort(), ['busybox:latest', 'derived:1', 'fl/other:v2']);
  assert.equal(ok(['images', '-f', 'dangling=true']), 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');

  const key = g(['images', '--filter', 'colour=red']);
  assert.equal(key.status, 1);
  assert.equal(key.stderr, "Error response from daemon: invalid filter 'colour'\n");
  const dangling = g(['images', '--filter', 'dangling=maybe']);
  assert.equal(dangling.status, 1);
  assert.equal(dangling.stderr, "Error response from daemon: invalid filter 'dangling=maybe'\n");
  const before = g(['images', '--filter', 'before=no-such:1']);
  assert.equal(before.status, 1);
  assert.equal(before.stderr, 'Error response from daemon: No such image: no-such:1\n');
  const form = g(['images', '-f', 'dangling']);
  assert.equal(form.status, 125);
  assert.equal(form.stderr, 'invalid argument "dangling" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee \'gocker images --help\'.\n');
});

test('history -H=false: sizes in bytes and RFC 3339 dates, as docker prints them', () => {
  const created = ok(['image', 'inspect', '-f', '{{.Created}}', 'derived:1']).trim();
  const human = ok(['history', '--format', '{{.CreatedSince}}|{{.Size}}', 'derived:1']).split('\n')[0];
  assert.match(human, /ago\|[0-9.]+(B|kB|MB)$/);
  for (const flag of ['-H=false', '--human=false']) {
    const out = ok(['history', flag, 'derived:1']).split('\n');
    assert.match(out[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    const fields = ok(['history', flag, '--format', '{{.CreatedSince}}|{{.CreatedAt}}|{{.Size}}', 'derived:1']).split('\n').filter(Boolean);
    for (const f of fields) {
      const [since, at, size] = f.split('|');
      assert.equal(since, at);
      assert.match(since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
      assert.match(size, /^\d+$/);
    }
    // The top entry is the commit: its date is the image's, to the second.
    assert.equal(Date.parse(fields[0].split('|')[0]), Math.floor(Date.parse(created) / 1000) * 1000);
    assert.ok(out[1].includes(fields[0].split('|')[0]), out[1]);
  }
  // The bytes are what the layers hold: the table's sizes, summed, are the image's.
  const bytes = ok(['history', '-H=false', '--format', '{{.Size}}', 'derived:1']).split('\n').filter(Boolean).map(Number);
  const total = Number(ok(['image', 'inspect', '-f', '{{.Size}}', 'derived:1']).trim());
  assert.equal(bytes.reduce((a, b) => a + b, 0), total);
});

test('ps --filter publish=, expose= (ports and ranges, tcp unless said), health=, is-task=, as docker reads them', () => {
  // As dockerd's list: publish= is the host port a running container's port is published
  // on, expose= the container's port, either enough; a stopped container has no ports.
  // Before: publish= matched the container's port (8080), even of a container not running.
  ok(['run', '-d', '--name', 'fl-pub', '-p', '127.0.0.1::8080', '--expose', '9000/udp', 'busybox', 'sleep', '600']);
  try {
    const host = Number(/^127\.0\.0\.1:(\d+)$/m.exec(ok(['port', 'fl-pub', '8080']))![1]);
    assert.notEqual(host, 8080);
    assert.deepEqual(names(['-f', `publish=${host}`]), ['fl-pub']);
    assert.deepEqual(names(['-f', `publish=${host - 1}-${host + 1}/tcp`]), ['fl-pub']);
    assert.deepEqual(names(['-f', `publish=${host}/udp`]), []);
    assert.deepEqual(names(['-f', 'publish=8080']), [], 'the container\'s port, not the host\'s');
    assert.deepEqual(names(['-f', 'publish=9000/udp']), [], 'exposed, not published');
    assert.deepEqual(names(['-f', 'expose=9000/udp']), ['fl-pub']);
    assert.deepEqual(names(['-f', 'expose=8080']), ['fl-pub'], '-p exposes 8080/tcp too');
    assert.deepEqual(names(['-f', `expose=${host}`]), []);
    assert.deepEqual(names(['-f', 'expose=9000']), [], '9000/tcp');
    assert.deepEqual(names(['-f', 'expose=8999-9001/udp', '-f', 'publish=1']), ['fl-pub'], 'either matching is enough');
    assert.deepEqual(names(['-f', 'expose=1', '-f', `publish=${host}`]), ['fl-pub'], 'either matching is enough');
    ok(['stop', '-t', '0', 'fl-pub']);
    assert.deepEqual(names(['-a', '-f', `publish=${host}`]), [], 'stopped: no ports');
    assert.deepEqual(names(['-a', '-f', 'expose=8080']), [], 'stopped: no ports');
    // No health checks in gocker: every container's health is "none"; no swarm tasks.
    assert.equal(names(['-a', '-f', 'health=none']).length, 5);
    assert.deepEqual(names(['-a', '-f', 'health=healthy']), []);
    assert.equal(names(['-a', '-f', 'is-task=false']).length, 5);
    assert.deepEqual(names(['-a', '-f', 'is-task=true']), []);
    for (const [f, said] of [
      ['publish=80:80', "filter for 'publish' should not contain ':': 80:80"],
      ['expose=http', 'error while looking up for expose http: strconv.ParseUint: parsing "http": invalid syntax'],
      ['health=sick', 'Unrecognised filter value for health: sick'],
      ['is-task=maybe', "invalid filter 'is-task=[maybe]'"],
    ]) {
      const r = g(['ps', '-f', f]);
      assert.equal(r.stderr, `Error response from daemon: ${said}\n`, f);
      assert.equal(r.status, 1, f);
    }
  } finally {
    g(['rm', '-f', 'fl-pub']);
  }
});

test('name=, id= and reference= patterns take time linear in the name: a backtracking pattern does not hold ps, volume ls or images, by the CLI or the library', () => {
  // A JavaScript RegExp backtracks: ^(a+)+b$ against 30 a's is 2^30 steps (minutes), and a
  // glob of nine stars against 40 a's the same. docker's Go regexp and path.Match take none.
  const long = 'a'.repeat(30);
  const repo = 'a'.repeat(40);
  const regexp = '^(a+)+b$';
  const glob = `${'*a'.repeat(9)}*b`;
  ok(['create', '--name', long, '--network', 'none', 'busybox', 'true']);
  ok(['volume', 'create', long]);
  ok(['tag', 'busybox', `${repo}:latest`]);
  try {
    const timed = (args: string[]): { r: CliResult; ms: number } => {
      const t = Date.now();
      const r = g(args);
      return { r, ms: Date.now() - t };
    };
    for (const args of [
      ['ps', '-a', '-q', '-f', `name=${regexp}`],
      ['ps', '-a', '-q', '-f', `id=${regexp}`],
      ['volume', 'ls', '-q', '-f', `name=${regexp}`],
      ['images', '-q', '-f', `reference=${glob}`],
      ['images', '-q', glob],
    ]) {
      const { r, ms } = timed(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', args.join(' '));
      assert.ok(ms < 2000, `${args.join(' ')} took ${ms} ms`);
    }
    // The same patterns, made to match, still do; a long name matches as a short one.
    assert.deepEqual(names(['-a', '-f', 'name=^(a+)+$']), [long]);
    assert.equal(ok(['volume', 'ls', '-q', '-f', 'name=^(a+)+$']), `${long}\n`);
    assert.equal(ok(['images', '--format', '{{.Repository}}', `${'*a'.repeat(9)}*`]), `${repo}\n`);

    // The library's lists, in a process of their own: a backtracking match there would hold
    // this one. Bounded, so that it fails rather than hangs.
    const script = `
      const { Gocker } = require('gocker');
      const g = new Gocker({ root: ${JSON.stringify(roots.root)}, runroot: ${JSON.stringify(roots.runroot)} });
      (async () => {
        const out = {};
        const time = async (k, f) => { const t = Date.now(); const v = await f(); out[k] = { ms: Date.now() - t, n: v.length }; };
        await time('containers', () => g.containers({ all: true, filters: { name: [${JSON.stringify(regexp)}] } }));
        await time('volumes', () => g.listVolumes({ filters: { name: [${JSON.stringify(regexp)}] } }));
        await time('images', () => g.imageRows({ filters: { reference: [${JSON.stringify(glob)}] } }));
        await time('matching', () => g.listVolumes({ filters: { name: ['^(a+)+$'] } }));
        process.stdout.write(JSON.stringify(out));
      })().catch((e) => { process.stderr.write(String(e.stack)); process.exitCode = 1; });
    `;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr || `killed by ${r.signal}`);
    const out = JSON.parse(r.stdout) as Record<string, { ms: number; n: number }>;
    for (const k of ['containers', 'volumes', 'images']) {
      assert.equal(out[k].n, 0, k);
      assert.ok(out[k].ms < 2000, `${k} took ${out[k].ms} ms`);
    }
    assert.equal(out.matching.n, 1);
  } finally {
    g(['rm', '-f', long]);
    g(['volume', 'rm', long]);
    g(['rmi', `${repo}:latest`]);
  }
});
