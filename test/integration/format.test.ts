// --format on the list commands (ps, images, history, stats, system df), info, version and
// inspect, against real containers and images: docker's field names, `table` with docker's
// headers and tabwriter columns, `json` one object a line, Go templates, and docker's errors
// and exit codes.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-format-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const out = (args: string[]): string => {
  const r = g(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-format-vol-'));
let webId = '';
let doneId = '';

before(async () => {
  await importBusybox(roots.args);
  // An image with labels (commit -c LABEL), for .Labels and .Label.
  out(['run', '--name', 'base', 'busybox', 'true']);
  out(['commit', '-c', 'LABEL com.example.role=db tier=back', 'base', 'labelled:1']);
  out(['rm', 'base']);
  webId = out(['run', '-d', '--name', 'web', '-v', `${hostDir}:/data`, 'labelled:1', 'sleep', '300']).trim();
  const done = g(['run', '--name', 'done', 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(done.status, 3);
  doneId = out(['inspect', '-f', '{{.Id}}', 'done']).trim();
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(hostDir, { recursive: true, force: true });
});

/**
 * tabwriter's alignment: the header's columns start where its cells do, and in every line
 * each column is preceded by at least the 3 spaces of padding.
 */
function assertAligned(text: string, columns: number): void {
  const lines = text.trimEnd().split('\n');
  const head = [...lines[0].matchAll(/(?<=^|\s{3})\S/g)].map((m) => m.index!);
  assert.equal(head.length, columns, lines[0]);
  for (const l of lines.slice(1)) {
    for (const h of head.slice(1)) if (l.length > h) assert.equal(l.slice(h - 3, h), '   ', `${l}\n${lines[0]}`);
  }
}

describe('ps --format', () => {
  test('table TEMPLATE: docker\'s headers, columns at least 10 wide and 3 apart', () => {
    const t = out(['ps', '-a', '--format', 'table {{.ID}}\\t{{.Names}}\\t{{.State}}\\t{{.Label "com.example.role"}}']);
    assert.equal(t, [
      'CONTAINER ID   NAMES     STATE     role',
      `${doneId.slice(0, 12)}   done      exited    `,
      `${webId.slice(0, 12)}   web       running   db`,
      '',
    ].join('\n'));
    // The default table is docker's: PORTS is empty and still 10 wide.
    const plain = out(['ps']).split('\n');
    assert.match(plain[0], /^CONTAINER ID   IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS     NAMES$/);
    assert.match(plain[1], new RegExp(`^${webId.slice(0, 12)}   labelled:1   "sleep 300"\\s+.* ago\\s+Up .*\\s{13}web$`));
    assertAligned(out(['ps', '-a']), 7);
  });

  test('templates: fields, Label, if/else, range, printf, len, join, split, lower, title', () => {
    const t = out(['ps', '-a', '--no-trunc', '--format',
      '{{.Names}}|{{.ID}}|{{.Image}}|{{.Command}}|{{.Labels}}|{{.Mounts}}|{{.Networks}}|{{.State}}|{{.LocalVolumes}}|{{.Ports}}']);
    assert.equal(t, [
      `done|${doneId}|busybox|"sh -c exit 3"|||bridge|exited|0|`,
      `web|${webId}|labelled:1|"sleep 300"|com.example.role=db,tier=back|${hostDir}|bridge|running|0|`,
      '',
    ].join('\n'));
    const logic = out(['ps', '-a', '--format',
      '{{if eq .State "running"}}{{printf "%-5s" .Names}}up{{else}}{{.Names | printf "%5s"}}down{{end}} {{len .Names}} {{range $i, $l := split .Labels ","}}{{if $i}};{{end}}{{$l}}{{else}}-{{end}} {{title .State}} {{lower "AB"}} {{join (split .Image ":") "@"}} {{$n := .Names}}{{if and (ne $n "web") (not .Labels)}}bare{{end}}']);
    // split of "" is one empty string (Go's strings.Split): range runs once, not its else.
    assert.equal(logic, ' donedown 4  Exited ab busybox bare\nweb  up 3 com.example.role=db;tier=back Running ab labelled@1 \n');
    // CreatedAt and RunningFor from the record, as docker prints them.
    const [createdAt, runningFor] = out(['ps', '--format', '{{.CreatedAt}}|{{.RunningFor}}']).trim().split('|');
    const created = new Date(out(['inspect', '-f', '{{.Created}}', 'web']).trim());
    assert.match(createdAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/);
    assert.equal(Date.parse(createdAt.replace(/^(\S+) (\S+) ([+-]\d\d)(\d\d) \S+$/, '$1T$2$3:$4')), Math.floor(created.getTime() / 1000) * 1000);
    assert.match(runningFor, /^(\d+ seconds|Less than a second|1 second|About a minute) ago$/);
  });

  test('json: one object a line, docker\'s keys; .Size only when the template reads it', () => {
    const lines = out(['ps', '-a', '--format', 'json']).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.deepEqual(lines.map((l) => l.Names), ['done', 'web']);
    assert.deepEqual(Object.keys(lines[1]), ['Command', 'CreatedAt', 'HealthStatus', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
    assert.equal(lines[1].ID, webId.slice(0, 12));
    assert.equal(lines[1].Labels, 'com.example.role=db,tier=back');
    // docker asks for sizes only when the template names .Size; `json` does not.
    assert.equal(lines[1].Size, '0B');
    out(['exec', 'web', 'sh', '-c', 'head -c 20000 /dev/zero > /grown']);
    const size = out(['ps', '--format', '{{.Size}}']).trim();
    const m = /^(\d+(?:\.\d+)?)kB \(virtual (\d+(?:\.\d+)?)MB\)$/.exec(size);
    assert.ok(m, size);
    assert.ok(Number(m[1]) >= 20 && Number(m[1]) < 30, size);
    assert.match(JSON.parse(out(['ps', '--format', '{{json .}}'])).Size, /^\d+(\.\d+)?kB \(virtual /);
  });

  test('.ID as docker has it, .Id and bad templates as docker refuses them', () => {
    assert.equal(out(['ps', '--format', '{{.ID}}']), `${webId.slice(0, 12)}\n`);
    const id = g(['ps', '--format', '{{.Id}}']);
    assert.equal(id.status, 1);
    assert.equal(id.stdout, '');
    assert.equal(id.stderr, 'failed to execute template: template: :1:2: executing "" at <.Id>: can\'t evaluate field Id in type *formatter.ContainerContext\n');
    const parse = g(['ps', '--format', '{{.ID']);
    assert.equal(parse.status, 1);
    assert.equal(parse.stderr, 'failed to parse template: template: :1: unclosed action\n');
    const fn = g(['ps', '--format', '{{nosuch .ID}}']);
    assert.equal(fn.stderr, 'failed to parse template: template: :1: function "nosuch" not defined\n');
    // -q wins over --format, with docker's warning; a second --format wins over the first.
    const q = g(['ps', '-q', '--format', '{{.Names}}']);
    assert.equal(q.stdout, `${webId.slice(0, 12)}\n`);
    assert.equal(q.stderr, 'WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
    assert.equal(out(['ps', '--format', '{{.ID}}', '--format', '{{.Names}}']), 'web\n');
  });
});

describe('images, history, stats and system df --format', () => {
  test('images', () => {
    const id = out(['image', 'inspect', '-f', '{{.Id}}', 'labelled:1']).trim();
    const size = out(['images', '--format', '{{.Size}}', 'labelled']).trim();
    assert.match(size, /^\d+(\.\d+)?MB$/);
    assert.equal(out(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Digest}} {{.Containers}}', 'labelled']), `labelled:1 ${id.slice(7, 19)} <none> N/A\n`);
    assert.equal(out(['images', '--no-trunc', '--format', '{{.ID}}', 'labelled']), `${id}\n`);
    const t = out(['images', '--format', 'table {{.Repository}}\\t{{.Tag}}\\t{{.Size}}']);
    assert.match(t, /^REPOSITORY   TAG       SIZE\n/);
    assertAligned(t, 3);
    const json = out(['images', '--format', 'json']).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.deepEqual(json.map((j) => j.Repository).sort(), ['busybox', 'labelled']);
    assert.deepEqual(Object.keys(json[0]), ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize']);
    const bad = g(['images', '--format', '{{.Id}}']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr, 'template parsing error: template: :1:2: executing "" at <.Id>: can\'t evaluate field Id in type *formatter.imageContext\n');
  });

  test('history', () => {
    const rows = out(['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', 'labelled:1']).trim().split('\n');
    assert.equal(rows.length, 2);
    const id = out(['image', 'inspect', '-f', '{{.Id}}', 'labelled:1']).trim();
    assert.match(rows[0], new RegExp(`^${id.slice(7, 19)}\\|`));
    assert.match(rows[1], /^<missing>\|gocker import \S+\|\d+(\.\d+)?MB\|Imported from \S+$/);
    const t = out(['history', '--format', 'table {{.ID}}\\t{{.CreatedSince}}', 'busybox']).split('\n');
    assert.match(t[0], /^IMAGE          CREATED$/);
    assert.match(t[1], /^[0-9a-f]{12}   (\d+ seconds|Less than a second|1 second|About a minute) ago$/);
    const json = JSON.parse(out(['history', '--format', 'json', 'busybox']).trim()) as Record<string, string>;
    assert.deepEqual(Object.keys(json), ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size']);
    assert.match(json.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  });

  test('stats --no-stream', () => {
    assert.equal(out(['stats', '--no-stream', '--format', '{{.Container}} {{.Name}} {{.ID}} {{.PIDs}}', 'web']), `web web ${webId.slice(0, 12)} 1\n`);
    assert.equal(out(['stats', '--no-stream', '--format', '{{.Container}}', webId.slice(0, 5)]), `${webId.slice(0, 5)}\n`);
    const t = out(['stats', '--no-stream', '--format', 'table {{.Name}}\\t{{.MemUsage}}\\t{{.CPUPerc}}']).split('\n');
    assert.match(t[0], /^NAME      MEM USAGE \/ LIMIT\s+CPU %$/);
    assert.match(t[1], /^web       [\d.]+(B|KiB|MiB) \/ [\d.]+(MiB|GiB)\s+\d+\.\d\d%$/);
    const json = JSON.parse(out(['stats', '--no-stream', '--format', 'json', 'web'])) as Record<string, string>;
    assert.deepEqual(Object.keys(json), ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
    assert.equal(json.Container, 'web');
    // Nothing running and nothing named: docker prints nothing, not even the header.
    const other = tempRoots('gocker-format-empty-');
    try {
      const r = gocker([...other.args, 'stats', '--no-stream']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '');
    } finally {
      other.remove();
    }
  });

  test('system df', () => {
    assert.match(out(['system', 'df', '--format', 'table {{.Type}}\\t{{.Active}}']), /^TYPE            ACTIVE\nImages          2\nContainers      1\nLocal Volumes   0\nBuild Cache     0\n$/);
    assert.deepEqual(out(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}']).split('\n'), ['Images=2', 'Containers=2', 'Local Volumes=0', 'Build Cache=0', '']);
  });
});

describe('info, version and inspect --format', () => {
  test('info: docker\'s fields and gocker\'s own; json; errors exit 64 and 1', () => {
    assert.equal(out(['info', '--format', '{{.Driver}}|{{.Images}}|{{.Containers}}|{{.ContainersRunning}}|{{.ContainersStopped}}|{{.OSType}}|{{.DockerRootDir}}|{{.ServerVersion}}']),
      `overlay2|2|2|1|1|linux|${roots.root}|${JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version}\n`);
    assert.equal(out(['info', '-f', '{{.NCPU}} {{.MemTotal}} {{.Architecture}} {{.KernelVersion}}']), `${os.availableParallelism()} ${os.totalmem()} ${os.machine()} ${os.release()}\n`);
    assert.equal(out(['info', '-f', '{{range .DriverStatus}}{{index . 0}};{{end}}']), 'Backing Filesystem;Supports d_type;Using metacopy;Native Overlay Diff;userxattr;\n');
    const json = out(['info', '--format', 'json']);
    assert.equal(json.split('\n').length, 2, 'one line');
    const info = JSON.parse(json) as { Driver: string; CgroupVersion: string; cgroups: { mode: string } };
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.CgroupVersion, info.cgroups.mode === 'v2' ? '2' : '1');
    const parse = g(['info', '--format', '{{.Driver']);
    assert.equal(parse.status, 64);
    assert.equal(parse.stderr, 'template parsing error: template: :1: unclosed action\n');
    const exec = g(['info', '--format', '{{.Driver}} {{.Nope}}']);
    assert.equal(exec.status, 1);
    assert.equal(exec.stdout, 'overlay2 \n');
    assert.equal(exec.stderr, 'template: :1:14: executing "" at <.Nope>: can\'t evaluate field Nope in type system.dockerInfo\n');
  });

  test('version', () => {
    const v = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;
    assert.equal(out(['version', '--format', '{{.Client.Version}} {{.Server.Version}} {{.Client.Os}}']), `${v} ${v} linux\n`);
    const json = JSON.parse(out(['version', '-f', 'json'])) as { Client: { Version: string }; Server: { Components: Array<{ Name: string }> } };
    assert.equal(json.Client.Version, v);
    assert.equal(json.Server.Components[0].Name, 'Engine');
    // docker writes it through a tabwriter: a tab pads to 20 columns.
    assert.equal(out(['version', '-f', '{{.Client.Os}}\t{{.Client.Version}}']), `linux${' '.repeat(15)}${v}\n`);
    const bad = g(['version', '-f', '{{.Client.Nope}}']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, 'template: version:1:9: executing "version" at <.Client.Nope>: can\'t evaluate field Nope in type system.clientVersion\n');
    assert.equal(g(['version', '-f', '{{if}}']).status, 64);
  });

  test('inspect: .Id and .ID, labels, the raw fallback\'s errors, json, the last -f', () => {
    assert.equal(out(['inspect', '-f', '{{.Id}}', 'web']), `${webId}\n`);
    assert.equal(out(['inspect', '-f', '{{.ID}}', 'web']), `${webId}\n`);
    assert.equal(out(['inspect', '-f', '{{.Config.Labels.tier}}|{{.Config.Labels.nope}}|{{index .Config.Labels "nope"}}|{{len .Config.Labels}}', 'web']), 'back|<no value>||2\n');
    assert.equal(out(['inspect', '-f', '{{range .Mounts}}{{.Source}}:{{.Destination}}{{end}} {{if .State.Running}}{{printf "%d" .State.Pid | len | lt 0}}{{end}}', 'web']), `${hostDir}:/data true\n`);
    assert.equal(out(['inspect', '-f', '{{.Name}}', '-f', '{{.State.Status}}', 'web', 'done']), 'running\nexited\n');
    assert.deepEqual(JSON.parse(out(['inspect', '--format', 'json', 'web'])).map((o: { Id: string }) => o.Id), [webId]);
    assert.equal(out(['inspect', '--format', 'json', 'web']).split('\n').length, 2, 'compact');
    const bad = g(['inspect', '-f', '{{.Nope}}', 'web', 'done']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, '\n');
    assert.equal(bad.stderr, 'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"\n'.repeat(2));
    const parse = g(['inspect', '-f', '{{.Id', 'web']);
    assert.equal(parse.status, 64);
    assert.equal(parse.stderr, 'template parsing error: template: :1: unclosed action\n');
    assert.equal(out(['image', 'inspect', '-f', '{{.ID}} {{.Config.Labels}}', 'labelled:1']).trim(), `${out(['image', 'inspect', '-f', '{{.Id}}', 'labelled:1']).trim()} map[com.example.role:db tier:back]`);
  });
});
