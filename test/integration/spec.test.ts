// The monitor's side of the spec: config.json as gocker writes it runs; hand-broken ones are
// refused whole, before anything is made, with one line saying which field and why, so that
// garbage never becomes uid 0, an unchanged capability set or an ignored confinement.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { cgroupManager } from '../../lib/cgroups';
import { parseSpecJson, specJson, type OciSpec } from '../../lib/spec';

const roots = tempRoots('gocker-spec-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const MONITOR = path.join(REPO, 'build', 'Release', 'gocker-monitor');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-spec-cases-'));
let id = '';
let base = '';
// Three bytes: no whole sock_filter instruction.
const SHORT = path.join(work, 'short.bpf');
fs.writeFileSync(SHORT, 'abc');

before(async () => {
  await importBusybox(roots.args);
  // A container that ran and exited: its config.json is what each case starts from, with
  // its cgroup made again as its start makes it (an exited container holds none; rm takes
  // this one).
  const r = g(['run', '--name', 'base', '-v', `${work}:/host:ro`, '--tmpfs', '/scratch:size=1m', '--ulimit', 'core=-1', 'busybox', 'true']);
  assert.equal(r.status, 0, r.stderr);
  id = g(['inspect', '-f', '{{.Id}}', 'base']).stdout.trim();
  base = fs.readFileSync(path.join(roots.root, 'containers', id, 'config.json'), 'utf8');
  await cgroupManager().create(g(['inspect', '-f', '{{.CgroupPath}}', 'base']).stdout.trim(), {});
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The mount points of this mount namespace. */
const mountPoints = (): string[] => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter(Boolean);

/** What is in the container's cgroups: the monitor's child would be there once placed. */
function cgroupTasks(spec: OciSpec): string {
  const files = [...JSON.parse(spec.annotations['io.gocker.cgroup.join-self']) as string[], ...JSON.parse(spec.annotations['io.gocker.cgroup.join-pid']) as string[]];
  assert.ok(files.length > 0);
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('');
}

let n = 0;
/**
 * Runs the monitor on the base spec changed by edit (an object edit, or a text edit), its
 * report files in a directory of its own.
 */
function runMonitor(edit: (s: OciSpec) => void, text?: (t: string) => string): { status: number | null; stderr: string; dir: string; file: string; spec: OciSpec } {
  const dir = path.join(work, `case-${++n}`);
  fs.mkdirSync(dir);
  const spec = parseSpecJson(base) as OciSpec;
  spec.process.args = ['true'];
  spec.annotations['io.gocker.pid-file'] = path.join(dir, 'pid');
  spec.annotations['io.gocker.exit-file'] = path.join(dir, 'exit.json');
  spec.annotations['io.gocker.started-file'] = path.join(dir, 'started');
  edit(spec);
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, (text ?? ((t) => t))(specJson(spec)), { mode: 0o600 });
  const r = spawnSync(MONITOR, [file], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, dir, file, spec };
}

test('the spec gocker wrote runs under the monitor as it is (the harness below is sound)', () => {
  const r = runMonitor(() => undefined);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const exit = JSON.parse(fs.readFileSync(path.join(r.dir, 'exit.json'), 'utf8'));
  assert.equal(exit.exitCode, 0);
  assert.equal(exit.error, '');
  assert.ok(fs.existsSync(path.join(r.dir, 'started')));
});

const refusals: Array<[string, (s: OciSpec) => void, RegExp, ((t: string) => string)?]> = [
  ['an unknown capability', (s) => { s.process.capabilities.bounding.push('CAP_SYS_GODMODE'); }, /process\.capabilities\.bounding\[14\]: unknown capability "CAP_SYS_GODMODE"/],
  ['a capability by number', (s) => { (s.process.capabilities.effective as unknown[])[0] = 21; }, /process\.capabilities\.effective\[0\]: must be a string, not 21/],
  ['no capabilities at all', (s) => { delete (s.process as Partial<OciSpec['process']>).capabilities; }, /process\.capabilities: missing/],
  ['no bounding set', (s) => { delete (s.process.capabilities as Partial<OciSpec['process']['capabilities']>).bounding; }, /process\.capabilities\.bounding: missing/],
  ['effective beyond permitted', (s) => { s.process.capabilities.effective.push('CAP_SYS_ADMIN'); }, /process\.capabilities: effective must be within permitted/],
  ['a uid that is not a number', (s) => { (s.process.user as unknown as Record<string, unknown>).uid = 'abc'; }, /process\.user\.uid: must be a number from 0 to 4294967294, not "abc"/],
  ['a negative uid', (s) => { s.process.user.uid = -1; }, /process\.user\.uid: must be a number from 0 to 4294967294, not -1/],
  ['a fractional gid', (s) => { s.process.user.gid = 1.5; }, /process\.user\.gid: must be a number .* not 1\.5/],
  ['uid -1 as unsigned', (s) => { s.process.user.uid = 4294967295; }, /process\.user\.uid: must be a number from 0 to 4294967294, not 4294967295/],
  ['no process.user', (s) => { delete (s.process as Partial<OciSpec['process']>).user; }, /process\.user: missing/],
  ['a user field it does not carry out', (s) => { (s.process.user as unknown as Record<string, unknown>).username = 'app'; }, /process\.user\.username: not supported by gocker-monitor/],
  ['a umask past 0777', (s) => { (s.process.user as unknown as Record<string, unknown>).umask = 0o1000; }, /process\.user\.umask: must be a number from 0 to 511, not 512/],
  ['an unknown mount option', (s) => { s.mounts.find((m) => m.destination === '/host')!.options.push('shared-ish'); }, /mounts\[\d+\]\.options: unknown or unsupported option "shared-ish" for a bind mount/],
  ['two propagations on a mount that is no bind', (s) => { s.mounts.find((m) => m.destination === '/scratch')!.options.push('shared', 'runbindable'); }, /mounts\[\d+\]\.options: more than one propagation: "runbindable"/],
  ['two propagations on one bind (its rprivate, then rshared)', (s) => { s.mounts.find((m) => m.destination === '/host')!.options.push('rshared'); }, /mounts\[\d+\]\.options: more than one propagation: "rshared"/],
  ['a tmpfs option the kernel would be handed unknown', (s) => { s.mounts.find((m) => m.destination === '/scratch')!.options.push('foo=bar'); }, /unknown or unsupported option "foo=bar" for a tmpfs mount/],
  ['two options in one', (s) => { s.mounts.find((m) => m.destination === '/scratch')!.options.push('size=1m,exec'); }, /unknown or unsupported option "size=1m,exec"/],
  ['a mount type it does not make', (s) => { s.mounts.push({ destination: '/x', type: 'nfs', source: 'host:/x', options: [] }); }, /mounts\[\d+\]\.type: unsupported mount type "nfs"/],
  ['a bind without bind', (s) => { s.mounts.find((m) => m.destination === '/host')!.options = ['ro']; }, /a bind mount needs "bind" or "rbind"/],
  ['a relative mount destination', (s) => { s.mounts[0].destination = 'proc'; }, /mounts\[0\]\.destination: must be an absolute path/],
  ['a user namespace without its mappings', (s) => { s.linux.namespaces.push({ type: 'user' }); }, /linux\.uidMappings: a new user namespace needs its mappings/],
  ['a user namespace to join, not handed over', (s) => { s.linux.namespaces.push({ type: 'user', path: '/proc/self/fd/5' }); }, /linux\.namespaces: joining a user namespace needs io\.gocker\.launch\.hand-over/],
  ['an unknown namespace type', (s) => { (s.linux.namespaces as Array<{ type: string }>).push({ type: 'bogus' }); }, /unsupported namespace type "bogus"/],
  // A path would be opened after the engine checked whose namespace it is: only an fd it passed.
  ['a network namespace to join by path', (s) => { s.linux.namespaces[1].path = '/proc/1/ns/net'; }, /linux\.namespaces\[1\]\.path: must be \/proc\/self\/fd\/N \(an fd the engine passed\), not "\/proc\/1\/ns\/net"/],
  ['a mount namespace to join', (s) => { s.linux.namespaces[4].path = '/proc/self/fd/5'; }, /linux\.namespaces\[4\]\.path: joining an existing mount namespace is not supported/],
  ['two namespaces to join on one fd', (s) => { s.linux.namespaces[1].path = '/proc/self/fd/5'; s.linux.namespaces[2].path = '/proc/self/fd/5'; }, /linux\.namespaces: two namespaces joined through one fd/],
  // Without its own uts namespace, sethostname would rename the host.
  ['a hostname without a uts namespace', (s) => { s.linux.namespaces = s.linux.namespaces.filter((x) => x.type !== 'uts'); }, /hostname: set without a uts namespace of the container's own/],
  ['a network namespace on an fd that is no fd', (s) => { s.linux.namespaces[1].path = '/proc/self/fd/1'; }, /linux\.namespaces\[1\]\.path: must be from 3 to 1023, not 1/],
  ['held fds not a list', (s) => { s.annotations['io.gocker.launch.hold-fds'] = '5'; }, /annotations\.io\.gocker\.launch\.hold-fds: must be a JSON list/],
  ['a held fd that is no number', (s) => { s.annotations['io.gocker.launch.hold-fds'] = '["5","x"]'; }, /io\.gocker\.launch\.hold-fds\[1\]: must be a number, not "x"/],
  ['a held fd given twice', (s) => { s.annotations['io.gocker.launch.hold-fds'] = '["5","5"]'; }, /io\.gocker\.launch\.hold-fds: fd 5 given twice, or also as another of the launch's fds/],
  ['a held fd that is the go fd', (s) => { s.annotations['io.gocker.launch.go-fd'] = '3'; s.annotations['io.gocker.launch.hold-fds'] = '["3"]'; }, /io\.gocker\.launch\.hold-fds: fd 3 given twice, or also as another of the launch's fds/],
  ['no mount namespace', (s) => { s.linux.namespaces = s.linux.namespaces.filter((x) => x.type !== 'mount'); }, /linux\.namespaces: must include mount/],
  ['a hook the monitor leaves to its caller', (s) => { (s as unknown as Record<string, unknown>).hooks = { prestart: [{ path: '/bin/true' }] }; }, /^gocker-monitor: invalid spec \S+: hooks\.prestart: not supported by gocker-monitor \(its caller runs those\)$/],
  ['a startContainer hook without the state to give it', (s) => { (s as unknown as Record<string, unknown>).hooks = { startContainer: [{ path: '/bin/true' }] }; }, /hooks\.startContainer: needs io\.gocker\.hooks\.state/],
  ['a shm mount without its size', (s) => { s.annotations['io.gocker.shm.path'] = '/run/x/shm'; }, /io\.gocker\.shm\.path and io\.gocker\.shm\.size go together/],
  ['a sysctl no namespace of the container holds', (s) => { s.linux.sysctl = { 'kernel.x': '1' }; }, /linux\.sysctl\.kernel\.x: not in a namespace of the container's own/],
  ['a sysctl name that climbs out of /proc/sys', (s) => { s.linux.sysctl = { 'net.ipv4/../../kernel.core_pattern': '|/x' }; }, /linux\.sysctl\.net\.ipv4\/\.\.\/\.\.\/kernel\.core_pattern: not a sysctl name/],
  ['a net sysctl in the host\'s network namespace', (s) => { s.linux.namespaces = s.linux.namespaces.filter((x) => x.type !== 'network'); s.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; }, /linux\.sysctl\.net\.ipv4\.ip_forward: needs a network namespace other than the host's/],
  ['an IPC sysctl in the host\'s IPC namespace', (s) => { s.linux.namespaces = s.linux.namespaces.filter((x) => x.type !== 'ipc'); s.linux.sysctl = { 'kernel.shmmax': '1' }; }, /linux\.sysctl\.kernel\.shmmax: needs an IPC namespace other than the host's/],
  ['an oomScoreAdj out of range', (s) => { (s.process as unknown as Record<string, unknown>).oomScoreAdj = 1001; }, /process\.oomScoreAdj: must be a number from -1000 to 1000, not 1001/],
  ['hand-over without inherited stdio', (s) => { s.annotations['io.gocker.launch.hand-over'] = 'true'; }, /annotations\.io\.gocker\.launch\.hand-over: only with io\.gocker\.launch\.stdio-inherit/],
  ['uid mappings without a user namespace', (s) => { (s.linux as unknown as Record<string, unknown>).uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }, /linux\.uidMappings: given without a user namespace/],
  ['an AppArmor profile', (s) => { (s.process as unknown as Record<string, unknown>).apparmorProfile = 'x'; }, /process\.apparmorProfile: not supported/],
  ['resources nobody applies', (s) => { (s.linux.resources as unknown as Record<string, unknown>).blockIO = { weight: 10 }; }, /linux\.resources\.blockIO: not supported/],
  ['a seccomp profile without its program', (s) => { delete s.annotations['io.gocker.seccomp.bpf']; }, /linux\.seccomp: needs its compiled program in io\.gocker\.seccomp\.bpf/],
  ['a seccomp program without its profile', (s) => { delete s.linux.seccomp; }, /io\.gocker\.seccomp\.bpf: a program without linux\.seccomp/],
  ['a seccomp program named by a relative path', (s) => { s.annotations['io.gocker.seccomp.bpf'] = 'seccomp.bpf'; }, /io\.gocker\.seccomp\.bpf: must be an absolute path/],
  ['a seccomp program that is not there', (s) => { s.annotations['io.gocker.seccomp.bpf'] = '/nonexistent/seccomp.bpf'; }, /io\.gocker\.seccomp\.bpf: \/nonexistent\/seccomp\.bpf: No such file or directory/],
  ['a seccomp program that is not whole instructions', (s) => { s.annotations['io.gocker.seccomp.bpf'] = SHORT; }, /io\.gocker\.seccomp\.bpf: \S+short\.bpf: not a BPF program/],
  ['a seccomp listener', (s) => { (s.linux.seccomp as unknown as Record<string, unknown>).listenerPath = '/run/x.sock'; }, /linux\.seccomp\.listenerPath: not supported/],
  ['an io.gocker annotation it does not know', (s) => { s.annotations['io.gocker.privileged'] = 'true'; }, /annotations\.io\.gocker\.privileged: not supported by gocker-monitor/],
  // The exit handoff's socket (exit-handoff.ts): checked at the start, as a held fd is, so
  // that an exit is never offered where nobody can take it.
  ['an exit handoff without an exit command to stand in for', (s) => { s.annotations['io.gocker.launch.exit-handoff-fd'] = '6'; }, /io\.gocker\.launch\.exit-handoff-fd: without io\.gocker\.launch\.exit-command/],
  ['an exit handoff fd that is the go fd', (s) => { s.annotations['io.gocker.launch.exit-command'] = '["/bin/true"]'; s.annotations['io.gocker.launch.go-fd'] = '3'; s.annotations['io.gocker.launch.exit-handoff-fd'] = '3'; }, /io\.gocker\.launch\.exit-handoff-fd: fd 3 is also another of the launch's fds/],
  ['an exit handoff fd that is no socket (not open)', (s) => { s.annotations['io.gocker.launch.exit-command'] = '["/bin/true"]'; s.annotations['io.gocker.launch.exit-handoff-fd'] = '9'; }, /io\.gocker\.launch\.exit-handoff-fd: fd 9 is not a stream socket/],
  ['no exit file', (s) => { delete s.annotations['io.gocker.exit-file']; }, /annotations\.io\.gocker\.exit-file: missing/],
  ['a report fd that is the go fd', (s) => { s.annotations['io.gocker.launch.go-fd'] = '3'; s.annotations['io.gocker.launch.report-fd'] = '3'; }, /io\.gocker\.launch\.report-fd: the same fd as the go fd/],
  ['a release FIFO by a relative path', (s) => { s.annotations['io.gocker.launch.release-fifo'] = 'release'; }, /io\.gocker\.launch\.release-fifo: must be an absolute path/],
  ['a layer that is not a short link', (s) => { s.annotations['io.gocker.overlay.lowerdir'] = '/etc'; }, /io\.gocker\.overlay\.lowerdir: must be l\/<link> entries/],
  ['an overlay dir with a comma', (s) => { s.annotations['io.gocker.overlay.upperdir'] += ',lowerdir=/'; }, /io\.gocker\.overlay\.upperdir: may not contain ',' or ':'/],
  ['an unknown rlimit', (s) => { s.process.rlimits.push({ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }); }, /process\.rlimits\[1\]\.type: unknown resource "RLIMIT_BOGUS"/],
  ['an rlimit past uint64', (s) => { s.process.rlimits[0].hard = 18446744073709551616n; }, /process\.rlimits\[0\]\.hard: must be a number from 0 to 18446744073709551615/],
  ['a device path not in its clean form', (s) => { s.linux.devices.push({ path: '/dev/../etc/evil', type: 'c', major: 1, minor: 3, fileMode: 0o666 }); }, /linux\.devices\[6\]\.path: must name a file in the container, in its clean form, not "\/dev\/\.\.\/etc\/evil"/],
  ['an env entry without =', (s) => { s.process.env.push('JUSTANAME'); }, /process\.env\[\d+\]: must be NAME=VALUE/],
  ['a NUL in an argument', (s) => { s.process.args = ['true\0false']; }, /process\.args\[0\]: may not contain a NUL byte/],
  ['no command', (s) => { s.process.args = []; }, /process\.args: no command specified/],
  ['an ociVersion 2', (s) => { s.ociVersion = '2.0.0'; }, /ociVersion: unsupported version "2\.0\.0"/],
  ['a key given twice', () => undefined, /"uid": given twice in one object/, (t) => t.replace('"uid":0,', '"uid":1000,"uid":0,')],
  ['not JSON at all', () => undefined, /not JSON: parse error at line 1, column 1/, () => 'uid=0\0caps=\0'],
  ['not an object', () => undefined, /the spec: must be an object, not \[\]/, () => '[]'],
];

for (const [what, edit, want, text] of refusals) {
  test(`refused: ${what}`, () => {
    const mountsBefore = mountPoints();
    const r = runMonitor(edit, text);
    assert.equal(r.status, 125, `${what}: ${r.stderr}`);
    // One line, naming the file, the field and why.
    assert.match(r.stderr, new RegExp(`^gocker-monitor: invalid spec ${r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: [^\n]+\n$`));
    assert.match(r.stderr.trimEnd(), want);
    // Nothing made: no process (none in the container's cgroups), no mount, no pid or
    // started file; the exit file, where the spec named one, says the same.
    assert.equal(cgroupTasks(parseSpecJson(base) as OciSpec), '');
    assert.deepEqual(mountPoints(), mountsBefore);
    assert.deepEqual(fs.readdirSync(r.dir).filter((f) => f !== 'config.json' && f !== 'exit.json'), []);
    if (fs.existsSync(path.join(r.dir, 'exit.json'))) {
      const exit = JSON.parse(fs.readFileSync(path.join(r.dir, 'exit.json'), 'utf8'));
      assert.equal(exit.exitCode, 125);
      // The same reason, without the spec file's path: the engine says it to users, whose file it is not.
      assert.equal(`gocker-monitor: ${exit.error.replace(/^invalid spec: /, `invalid spec ${r.file}: `)}\n`, r.stderr);
      assert.ok(!exit.error.includes(r.file), exit.error);
    } else {
      assert.match(what, /exit file|JSON|object/, 'a spec that names an exit file gets its refusal there');
    }
  });
}

test('start of a container whose stored spec was tampered with: refused with the monitor\'s reason, nothing left running', () => {
  const r = g(['run', '--name', 'tampered', 'busybox', 'true']);
  assert.equal(r.status, 0, r.stderr);
  const tid = g(['inspect', '-f', '{{.Id}}', 'tampered']).stdout.trim();
  const file = path.join(roots.root, 'containers', tid, 'config.json');
  const spec = parseSpecJson(fs.readFileSync(file, 'utf8')) as OciSpec;
  (spec.process.user as unknown as Record<string, unknown>).uid = '0 or whatever';
  fs.writeFileSync(file, specJson(spec));
  const start = g(['start', 'tampered']);
  assert.equal(start.status, 1);
  assert.match(start.stderr, /^Error response from daemon: invalid spec: process\.user\.uid: must be a number from 0 to 4294967294, not "0 or whatever"\nError: failed to start containers: tampered\n$/);
  assert.equal(g(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}}', 'tampered']).stdout, 'exited false 125\n');
  assert.equal(g(['rm', 'tampered']).status, 0);
});

test('a container from before config.json (a key=value spec) is refused at start with what to do; diff and rm still work', () => {
  const r = g(['run', '--name', 'old', 'busybox', 'touch', '/made-before']);
  assert.equal(r.status, 0, r.stderr);
  const oid = g(['inspect', '-f', '{{.Id}}', 'old']).stdout.trim();
  const dir = path.join(roots.root, 'containers', oid);
  // What an older gocker kept: NUL-separated key=value records, and no config.json.
  const lower = (parseSpecJson(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as OciSpec).annotations['io.gocker.overlay.lowerdir'];
  fs.rmSync(path.join(dir, 'config.json'));
  fs.writeFileSync(path.join(dir, 'spec'), `store_root=${roots.root}\0overlay_options=lowerdir=${lower},upperdir=${dir}/upper,workdir=${dir}/work\0arg=true\0uid=0\0gid=0\0caps=0,1,2\0`, { mode: 0o600 });
  const run = path.join(roots.runroot, 'containers', oid);
  const state = (): string => fs.readdirSync(run).sort().map((f) => (f === 'merged' ? f : `${f}=${fs.readFileSync(path.join(run, f), 'utf8')}`)).join('\n');
  const before = state();
  const start = g(['start', 'old']);
  assert.equal(start.status, 1);
  assert.equal(start.stderr, `Error response from daemon: container ${oid.slice(0, 12)} was created by an older gocker (its spec is not a config.json): remove it and create it again\nError: failed to start containers: old\n`);
  assert.equal(g(['inspect', '-f', '{{.State.Status}}', 'old']).stdout, 'exited\n');
  // Refused before anything of a start: no monitor, the state files as the last run left them.
  assert.equal(state(), before);
  // What it holds can still be looked at (and committed, exported, copied out) before it goes.
  const diff = g(['diff', 'old']);
  assert.equal(diff.status, 0, diff.stderr);
  assert.match(diff.stdout, /^A \/made-before$/m);
  const rm = g(['rm', 'old']);
  assert.equal(rm.status, 0, rm.stderr);
  assert.equal(fs.existsSync(dir), false);
});
