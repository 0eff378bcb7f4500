// The event log and `gocker events`, against real containers and images: the events of a
// run/stop/rm, die recorded by the monitor with no CLI waiting, docker's line, --filter,
// --since/--until, --format, the follow mode ended by --until, rotation, and the library's
// events() ended by an AbortSignal.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { Gocker } from '../../lib/index';
import { MAX_BYTES, recordEvent } from '../../lib/events';
import { StorePaths } from '../../lib/store/paths';

const roots = tempRoots('gocker-events-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A Unix timestamp with fraction, as docker's --since and --until take it. */
const ts = (ms: number): string => (ms / 1000).toFixed(3);
const past = (args: string[]) => g(['events', '--until', ts(Date.now() + 5), ...args]);

before(async () => {
  await importBusybox(roots.args);
  // An image with labels, which its containers' events carry (run has no --label yet).
  g(['create', '--name', 'base', '--network', 'none', 'busybox', 'true']);
  const c = g(['commit', '-c', 'LABEL team=blue', '-c', 'LABEL role=worker', 'base', 'labelled']);
  if (c.status !== 0) throw new Error(`commit: ${c.stderr}`);
  g(['rm', 'base']);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

test('run, stop, rm: create, start, kill, die, stop, destroy in docker\'s line', () => {
  const t0 = Date.now();
  const id = g(['run', '-d', '--name', 'ev1', '--network', 'none', 'labelled', 'sleep', '100']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(g(['stop', '-t', '1', 'ev1']).status, 0);
  assert.equal(g(['rm', 'ev1']).status, 0);
  const r = past(['--since', ts(t0), '--filter', 'container=ev1']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean);
  // The attributes sorted by key, as docker's CLI prints them.
  const attrs = (...extra: string[]): string => ['image=labelled', 'name=ev1', 'role=worker', 'team=blue', ...extra].sort().join(', ');
  const expected = [
    `create ${id} (${attrs()})`, `start ${id} (${attrs()})`,
    // sleep as PID 1 ignores SIGTERM: killed after the grace period.
    `kill ${id} (${attrs('signal=15')})`, `kill ${id} (${attrs('signal=9')})`,
    `die ${id} (${attrs('exitCode=137')})`, `stop ${id} (${attrs()})`, `destroy ${id} (${attrs()})`,
  ];
  assert.equal(lines.length, expected.length, r.stdout);
  for (const [i, e] of expected.entries()) {
    assert.match(lines[i], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) /);
    assert.equal(lines[i].slice(lines[i].indexOf(' ') + 1), `container ${e}`);
  }
});

test('die is recorded by the monitor when no CLI waits, and the filters are docker\'s', async () => {
  const t0 = Date.now();
  const id = g(['run', '-d', '--name', 'ev2', '--network', 'none', 'labelled', 'sh', '-c', 'sleep 0.3; exit 3']).stdout.trim();
  // No gocker command until it has exited: the die is the monitor's.
  const monitor = Number(fs.readFileSync(path.join(roots.runroot, 'containers', id, 'monitor.pid'), 'utf8'));
  for (let i = 0; i < 200 && fs.existsSync(`/proc/${monitor}`); i++) await sleep(25);
  const log = fs.readFileSync(path.join(roots.root, 'events', 'events.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const die = log.find((e) => e.Action === 'die' && e.Actor.ID === id);
  assert.deepEqual(die?.Actor.Attributes, { exitCode: '3', image: 'labelled', name: 'ev2', role: 'worker', team: 'blue' });
  const fmt = ['--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'];
  assert.equal(past(['--since', ts(t0), '--filter', 'event=die', ...fmt]).stdout, 'container die ev2\n');
  // Values of one key are alternatives; keys all hold.
  assert.equal(past(['--since', ts(t0), '--filter', 'event=die', '--filter', 'event=create', ...fmt]).stdout, 'container create ev2\ncontainer die ev2\n');
  assert.equal(past(['--since', ts(t0), '--filter', 'event=die', '--filter', 'container=nope', ...fmt]).stdout, '');
  assert.equal(past(['--since', ts(t0), '--filter', `container=${id.slice(0, 10)}`, '--filter', 'event=start', ...fmt]).stdout, 'container start ev2\n');
  assert.equal(past(['--since', ts(t0), '--filter', 'label=role=worker', '--filter', 'event=die', ...fmt]).stdout, 'container die ev2\n');
  assert.equal(past(['--since', ts(t0), '--filter', 'label=role', '--filter', 'event=die', ...fmt]).stdout, 'container die ev2\n');
  assert.equal(past(['--since', ts(t0), '--filter', 'label=role=boss', ...fmt]).stdout, '');
  assert.equal(past(['--since', ts(t0), '--filter', 'image=labelled', '--filter', 'event=die', ...fmt]).stdout, 'container die ev2\n');
  // Exact, as docker's: the container's image attribute is the name it was run by.
  assert.equal(past(['--since', ts(t0), '--filter', 'image=labelled:latest', '--filter', 'event=die', ...fmt]).stdout, '');
  assert.equal(past(['--since', ts(t0), '--filter', 'scope=local', '--filter', 'event=die', ...fmt]).stdout, 'container die ev2\n');
  assert.equal(past(['--since', ts(t0), '--filter', 'volume=v1', ...fmt]).stdout, '');
  assert.equal(past(['--since', ts(t0), '--filter', 'image=busybox', '--filter', 'event=die', ...fmt]).stdout, '');
  // The store's first event is the import of busybox, before() this file's tests.
  const images = past(['--since', '0', '--filter', 'type=image', '--format', '{{.Type}} {{.Action}}']);
  assert.equal(images.stdout.split('\n')[0], 'image import');
  const bad = g(['events', '--filter', 'colour=red']);
  assert.deepEqual([bad.status, bad.stderr], [1, "Error response from daemon: invalid filter 'colour'\n"]);
  assert.equal(g(['rm', 'ev2']).status, 0);
});

test('--since and --until bound the events (timestamps and docker\'s relative durations); --format json is the API\'s message', async () => {
  const t0 = Date.now();
  g(['run', '--rm', '--name', 'ev3', '--network', 'none', 'busybox', 'true']);
  await sleep(50);
  const t1 = Date.now();
  g(['run', '--rm', '--name', 'ev4', '--network', 'none', 'busybox', 'true']);
  const names = (args: string[]): string[] => [...new Set(g(['events', ...args, '--filter', 'event=create', '--format', '{{.Actor.Attributes.name}}']).stdout.split('\n').filter(Boolean))];
  assert.deepEqual(names(['--since', ts(t0), '--until', ts(t1)]), ['ev3']);
  assert.deepEqual(names(['--since', ts(t1), '--until', ts(Date.now())]), ['ev4']);
  assert.deepEqual(names(['--since', new Date(t0).toISOString(), '--until', '0s']), ['ev3', 'ev4']);
  assert.deepEqual(names(['--since', '10m', '--until', '0s']).slice(-2), ['ev3', 'ev4']);
  assert.deepEqual(names(['--since', '0', '--until', ts(t0)]).filter((n) => n === 'ev3' || n === 'ev4'), []);
  const bad = g(['events', '--since', 'yesterday']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /failed to parse "yesterday" as a timestamp or duration/);

  const json = g(['events', '--since', ts(t1), '--until', '0s', '--format', 'json', '--filter', 'event=destroy']);
  const lines = json.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, json.stdout);
  const m = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(m), ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  assert.deepEqual([m.status, m.from, m.Type, m.Action, m.scope, m.Actor.Attributes.name], ['destroy', 'busybox', 'container', 'destroy', 'local', 'ev4']);
  assert.equal(m.id, m.Actor.ID);
  assert.equal(Math.floor(m.timeNano / 1e9), m.time);
  const tmpl = g(['events', '--since', ts(t1), '--until', '0s', '--filter', 'event=destroy', '--format', '{{.Status}} {{.ID}} {{.From}} {{.Scope}} {{.Time}} {{json .Actor.Attributes}}']);
  assert.equal(tmpl.stdout, `destroy ${m.id} busybox local ${m.time} ${JSON.stringify(m.Actor.Attributes)}\n`);
  const badTmpl = g(['events', '--format', '{{.Nope', '--until', '0s']);
  assert.equal(badTmpl.status, 1);
  assert.match(badTmpl.stderr, /template parsing error/);
});

test('follow: new events as they come (inotify, not polling), until --until passes', async () => {
  const end = Date.now() + 4000;
  const child = spawn(BIN, [...roots.args, 'events', '--until', ts(end), '--filter', 'container=ev5', '--format', '{{.Action}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await sleep(700);
    assert.equal(out, '');
    const r = g(['run', '--rm', '--name', 'ev5', '--network', 'none', 'busybox', 'true']);
    assert.equal(r.status, 0, r.stderr);
    // Seen as they happen, long before --until.
    for (let i = 0; i < 100 && !out.includes('destroy'); i++) await sleep(20);
    assert.equal(out, 'create\nstart\ndie\ndestroy\n');
    assert.ok(Date.now() < end - 500);
    assert.equal(await exited, 0);
    // Ended by --until, soon after it passed.
    assert.ok(Date.now() >= end && Date.now() < end + 2000, `ended ${Date.now() - end} ms after --until`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
});

test('the library: events() follows as an async iterator until its AbortSignal', async () => {
  const gk = new Gocker({ root: roots.root, runroot: roots.runroot });
  const ac = new AbortController();
  const seen: string[] = [];
  const reading = (async () => {
    for await (const ev of gk.events({ filters: { container: ['ev6'] }, signal: ac.signal })) {
      seen.push(`${ev.Type} ${ev.Action} ${ev.Actor.Attributes.name}`);
      if (ev.Action === 'destroy') ac.abort();
    }
  })();
  await sleep(300);
  const r = g(['run', '--rm', '--name', 'ev6', '--network', 'none', 'busybox', 'sh', '-c', 'exit 2']);
  assert.equal(r.status, 2);
  const timeout = setTimeout(() => ac.abort(), 10_000);
  await reading;
  clearTimeout(timeout);
  assert.deepEqual(seen, ['container create ev6', 'container start ev6', 'container die ev6', 'container destroy ev6']);
});

test('the log is bounded: rotated past its size, and read across the two files in order', async () => {
  const paths = new StorePaths(roots.root, roots.runroot);
  const file = path.join(roots.root, 'events', 'events.log');
  const t0 = Date.now();
  const actor = { ID: 'sha256:'.padEnd(71, '0'), Attributes: { name: 'x'.repeat(200) } };
  let n = 0;
  while (!fs.existsSync(`${file}.1`) && n < 100_000) {
    recordEvent(paths, 'image', 'tag', actor);
    n++;
  }
  assert.ok(fs.existsSync(`${file}.1`), 'rotated');
  recordEvent(paths, 'image', 'untag', actor);
  assert.ok(fs.statSync(`${file}.1`).size > MAX_BYTES && fs.statSync(file).size < MAX_BYTES);
  const gk = new Gocker({ root: roots.root, runroot: roots.runroot });
  const got: string[] = [];
  for await (const ev of gk.events({ since: t0, until: Date.now() + 1 })) got.push(ev.Action);
  assert.equal(got.length, n + 1);
  assert.equal(got[n], 'untag');
  // Bounded: a second rotation drops the oldest file, it does not add one.
  const first = fs.statSync(`${file}.1`).ino;
  for (let i = 0; i < 100_000 && fs.statSync(`${file}.1`).ino === first; i++) recordEvent(paths, 'image', 'tag', actor);
  recordEvent(paths, 'image', 'tag', actor);
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'events')).sort(), ['events.log', 'events.log.1']);
});

test('an OOM kill: oom, then die with 137, both from the monitor', () => {
  const t0 = Date.now();
  const r = g(['run', '--name', 'ev7', '--network', 'none', '--memory', '64m', 'busybox', 'sh', '-c', 'x=$(head -c 300000000 /dev/zero | tr "\\0" a); echo survived']);
  assert.equal(r.status, 137, r.stderr);
  const got = past(['--since', ts(t0), '--filter', 'container=ev7', '--format', '{{.Action}} {{.Actor.Attributes.exitCode}}']).stdout;
  // A key the map lacks prints <no value>, as Go's template does.
  assert.equal(got, 'create <no value>\nstart <no value>\noom <no value>\ndie 137\n');
  assert.equal(g(['rm', 'ev7']).status, 0);
});

test('pause, unpause, rename; and images: tag, save, untag, delete, load', () => {
  const t0 = Date.now();
  const id = g(['run', '-d', '--name', 'ev8', '--network', 'none', 'busybox', 'sleep', '100']).stdout.trim();
  for (const args of [['pause', 'ev8'], ['unpause', 'ev8'], ['rename', 'ev8', 'ev8b'], ['rm', '-f', 'ev8b']]) assert.equal(g(args).status, 0, args.join(' '));
  const fmt = ['--format', '{{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes "oldName"}}'];
  assert.equal(past(['--since', ts(t0), '--filter', `container=${id}`, '--filter', 'event=pause', '--filter', 'event=unpause', '--filter', 'event=rename', '--filter', 'event=destroy', ...fmt]).stdout,
    'pause ev8 \nunpause ev8 \nrename ev8b /ev8\ndestroy ev8b \n');

  const t1 = Date.now();
  const imageId = g(['image', 'inspect', '-f', '{{.Id}}', 'busybox']).stdout.trim();
  const tar = path.join(roots.root, '..', 'ev-save.tar');
  assert.equal(g(['tag', 'busybox', 'evimg:v1']).status, 0);
  assert.equal(g(['save', '-o', tar, 'evimg:v1']).status, 0);
  assert.equal(g(['rmi', 'evimg:v1']).status, 0);
  assert.equal(g(['load', '-i', tar]).status, 0);
  assert.equal(g(['rmi', 'evimg:v1']).status, 0);
  const images = past(['--since', ts(t1), '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}']).stdout;
  assert.equal(images, [`tag ${imageId} evimg:v1`, `save ${imageId} evimg:v1`, `untag ${imageId} ${imageId}`, `load ${imageId} evimg:v1`, `untag ${imageId} ${imageId}`, ''].join('\n'));
  fs.rmSync(tar, { force: true });
  // delete: an image no name and no container holds any more.
  const t2 = Date.now();
  g(['tag', 'busybox', 'evimg:v2']);
  const c = g(['create', '--name', 'ev9', '--network', 'none', 'busybox', 'true']);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(g(['commit', 'ev9', 'evdel:v1']).status, 0);
  const delId = g(['image', 'inspect', '-f', '{{.Id}}', 'evdel:v1']).stdout.trim();
  assert.equal(g(['rm', 'ev9']).status, 0);
  assert.equal(g(['rmi', 'evdel:v1', 'evimg:v2']).status, 0);
  const del = past(['--since', ts(t2), '--filter', 'event=delete', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}']).stdout;
  assert.equal(del, `image delete ${delId}\n`);
});

test('exec, commit, attach, networks and volumes: their events as docker records them', async () => {
  const t0 = Date.now();
  const id = g(['run', '-d', '--name', 'ev-x', 'busybox', 'sh', '-c', 'while :; do echo tick; sleep 0.2; done']).stdout.trim();
  try {
    assert.equal(g(['exec', 'ev-x', 'sh', '-c', 'exit 3']).status, 3);
    assert.equal(g(['commit', '-m', 'snap', 'ev-x', 'ev-snap']).status, 0);
    const imageId = g(['image', 'inspect', '-f', '{{.Id}}', 'ev-snap']).stdout.trim();
    // attach to a container without a tty: its output, until the attach is killed.
    const a = spawn(BIN, [...roots.args, 'attach', '--no-stdin', 'ev-x'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => a.stdout.once('data', () => resolve()));
    a.kill('SIGKILL');
    await new Promise((r) => a.once('close', r));
    assert.equal(g(['network', 'create', 'ev-net']).status, 0);
    const netId = g(['network', 'inspect', '-f', '{{.Id}}', 'ev-net']).stdout.trim();
    assert.equal(g(['network', 'connect', 'ev-net', 'ev-x']).status, 0);
    assert.equal(g(['network', 'disconnect', 'ev-net', 'ev-x']).status, 0);
    assert.equal(g(['network', 'rm', 'ev-net']).status, 0);
    assert.equal(g(['volume', 'create', 'ev-vol']).status, 0);
    assert.equal(g(['volume', 'rm', 'ev-vol']).status, 0);

    const of = (...filters: string[]): string[] => {
      const r = past(['--since', ts(t0), '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}', ...filters.flatMap((f) => ['--filter', f])]);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    const execs = of('container=ev-x', 'event=exec_create', 'event=exec_start', 'event=exec_die');
    assert.equal(execs.length, 3, execs.join('\n'));
    const execId = /"execID":"([0-9a-f]+)"/.exec(execs[0])?.[1];
    assert.ok(execId);
    assert.match(execs[0], new RegExp(`^container exec_create: sh -c exit 3 ${id} .*"execID":"${execId}"`));
    assert.match(execs[1], new RegExp(`^container exec_start: sh -c exit 3 ${id} .*"execID":"${execId}"`));
    assert.match(execs[2], new RegExp(`^container exec_die ${id} .*"execID":"${execId}".*"exitCode":"3"|^container exec_die ${id} .*"exitCode":"3".*"execID":"${execId}"`));
    const commit = of('event=commit');
    assert.equal(commit.length, 1);
    assert.match(commit[0], new RegExp(`^container commit ${id} `));
    assert.match(commit[0], /"comment":"snap"/);
    assert.match(commit[0], new RegExp(`"imageID":"${imageId}"`));
    assert.match(commit[0], /"imageRef":"ev-snap"/);
    assert.deepEqual(of('event=attach').map((l) => l.split(' ').slice(0, 3).join(' ')), [`container attach ${id}`]);
    assert.deepEqual(of('type=network', 'network=ev-net'), [
      `network create ${netId} {"name":"ev-net","type":"bridge"}`,
      `network connect ${netId} {"container":"${id}","name":"ev-net","type":"bridge"}`,
      `network disconnect ${netId} {"container":"${id}","name":"ev-net","type":"bridge"}`,
      `network destroy ${netId} {"name":"ev-net","type":"bridge"}`,
    ]);
    assert.deepEqual(of('volume=ev-vol'), ['volume create ev-vol {"driver":"local"}', 'volume destroy ev-vol {"driver":"local"}']);
    // A container's key leaves out the other objects' events, as docker's filter does.
    assert.ok(of('container=ev-x').every((l) => l.startsWith('container ')));
  } finally {
    g(['rm', '-f', 'ev-x']);
    g(['network', 'rm', 'ev-net']);
    g(['volume', 'rm', '-f', 'ev-vol']);
    g(['rmi', 'ev-snap']);
  }
});

test('exec -d: its exec_die, with the exit code, is recorded once the command ends, though no CLI waits', async () => {
  const t0 = Date.now();
  const id = g(['run', '-d', '--name', 'ev-xd', '--network', 'none', 'labelled', 'sleep', '100']).stdout.trim();
  try {
    const r = g(['exec', '-d', 'ev-xd', 'sh', '-c', 'sleep 0.3; exit 4']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', '']);
    const fmt = ['--format', '{{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}', '--filter', 'container=ev-xd'];
    const execs = (): string[] => past(['--since', ts(t0), ...fmt]).stdout.split('\n').filter((l) => l.startsWith('exec_'));
    for (let i = 0; i < 100 && execs().length < 3; i++) await sleep(100);
    const lines = execs();
    assert.equal(lines.length, 3, lines.join('\n'));
    const execId = /"execID":"([0-9a-f]+)"/.exec(lines[0])?.[1];
    assert.ok(execId);
    // docker's attributes: the container's (image, name, labels), the exec's id, and at the end its code.
    const attrs = (extra: Record<string, string>): string => JSON.stringify(Object.fromEntries(Object.entries({ execID: execId, image: 'labelled', name: 'ev-xd', role: 'worker', team: 'blue', ...extra }).sort(([a], [b]) => (a < b ? -1 : 1))));
    assert.deepEqual(lines, [
      `exec_create: sh -c sleep 0.3; exit 4 ${id} ${attrs({})}`,
      `exec_start: sh -c sleep 0.3; exit 4 ${id} ${attrs({})}`,
      `exec_die ${id} ${attrs({ exitCode: '4' })}`,
    ]);
    // One that cannot start is no exec that ran: no exec_die for it.
    const t1 = Date.now();
    // (dockerd refuses its start: exit 1, as docker's exec -d.)
    const missing = g(['exec', '-d', 'ev-xd', '/no/such/command']);
    assert.equal(missing.status, 1, missing.stderr);
    assert.match(missing.stderr, /^Error response from daemon: OCI runtime exec failed: exec failed: unable to start container process: .*: unknown\n$/);
    await sleep(300);
    assert.deepEqual(past(['--since', ts(t1), '--filter', 'event=exec_die', ...fmt]).stdout, '');
  } finally {
    g(['rm', '-f', 'ev-xd']);
  }
});

test('volumes: mount at each start and unmount at each exit, named and anonymous, with docker\'s attributes and order', async () => {
  const t0 = Date.now();
  const id = g(['run', '-d', '--name', 'ev-v', '--network', 'none', '-v', 'ev-named:/data', '-v', 'ev-named:/ro:ro', '-v', '/anon', 'busybox', 'sh', '-c', 'sleep 0.5']).stdout.trim();
  const anon = g(['inspect', '-f', '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}', 'ev-v']).stdout.trim();
  assert.match(anon, /^[0-9a-f]{64}$/);
  try {
    const fmt = ['--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}'];
    const since = (t: number): string[] => past(['--since', ts(t), ...fmt]).stdout.split('\n').filter(Boolean);
    for (let i = 0; i < 100 && !since(t0).some((l) => l.startsWith('container die ')); i++) await sleep(100);
    const mount = (name: string, dest: string, rw: boolean): string =>
      `volume mount ${name} ${JSON.stringify({ container: id, destination: dest, driver: 'local', propagation: '', 'read/write': String(rw) })}`;
    const unmount = (name: string): string => `volume unmount ${name} ${JSON.stringify({ container: id, driver: 'local' })}`;
    // Which of its volumes goes first is not docker's to say (a map's order): each run of mounts or unmounts sorted.
    const sortRuns = (ls: string[]): string[] => {
      const out: string[] = [];
      let group: string[] = [];
      const kind = (l: string): string => /^volume (un)?mount /.exec(l)?.[0] ?? '';
      for (const l of [...ls, '']) {
        if (group.length && kind(l) !== kind(group[0])) out.push(...group.sort().splice(0));
        if (kind(l)) group.push(l);
        else if (l) out.push(l);
      }
      return out;
    };
    const run = sortRuns(since(t0).map((l) => (l.startsWith('container ') ? l.split(' ').slice(0, 2).join(' ') : l)));
    // dockerd: the volumes made at create, mounted before the start, unmounted in the exit's
    // cleanup, before the die.
    assert.deepEqual(run, [
      'volume create ev-named {"driver":"local"}', `volume create ${anon} {"driver":"local"}`,
      'container create',
      ...[mount('ev-named', '/data', true), mount('ev-named', '/ro', false), mount(anon, '/anon', true)].sort(),
      'container start',
      ...[unmount('ev-named'), unmount('ev-named'), unmount(anon)].sort(),
      'container die',
    ].map((l) => l), run.join('\n'));
    // As docker's filters have them: type=volume, volume=NAME.
    const typed = past(['--since', ts(t0), '--filter', 'type=volume', '--filter', 'event=mount', '--filter', 'event=unmount', '--format', '{{.Action}} {{.Actor.ID}}']);
    assert.equal(typed.stdout.split('\n').filter(Boolean).length, 6, typed.stdout);
    assert.deepEqual(past(['--since', ts(t0), '--filter', `volume=${anon}`, '--format', '{{.Action}}']).stdout, 'create\nmount\nunmount\n');
    // A second start mounts and unmounts them again.
    const t1 = Date.now();
    assert.equal(g(['start', '-a', 'ev-v']).status, 0);
    await sleep(200);
    assert.deepEqual(past(['--since', ts(t1), '--filter', 'volume=ev-named', '--format', '{{.Action}}']).stdout, 'mount\nmount\nunmount\nunmount\n');
  } finally {
    g(['rm', '-f', '-v', 'ev-v']);
    g(['volume', 'rm', '-f', 'ev-named']);
  }
});
