// seccomp profiles in docker's format, resolved as moby's setupSeccomp does (arch, caps and
// minKernel conditions), flattened into libseccomp's rules as runc adds them, and chosen from
// --security-opt and --privileged as docker chooses. Pure: no addon, no root.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CAPS } from '../../lib/spec/caps';
import {
  checkSecurityOpts, chosenProfile, flatten, parseProfile, resolveProfile, type ResolvedSeccomp, type SeccompTarget,
} from '../../lib/spec/seccomp';
import { compactJson, securityOptsFromFlags } from '../../cli/runflags';

// --security-opt as a run reads it: docker's CLI reads seccomp=FILE (cli/runflags.ts), the
// engine checks what it sends (lib/spec/seccomp.ts).
const normaliseSecurityOpts = (opts: string[], read: (f: string) => string): string[] => checkSecurityOpts(securityOptsFromFlags(opts, read));

// The shipped file, from the source tree (dist/test/unit -> the package root).
const DEFAULT = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'profiles', 'seccomp', 'default.json'), 'utf8');
const target = (o: Partial<SeccompTarget> = {}): SeccompTarget => ({ arch: 'amd64', kernel: [6, 1], caps: DEFAULT_CAPS, ...o });
const resolve = (o: Partial<SeccompTarget> = {}, text = DEFAULT): ResolvedSeccomp => resolveProfile(parseProfile(text), target(o))!;
const rulesFor = (r: ResolvedSeccomp, name: string): ResolvedSeccomp['syscalls'] => r.syscalls.filter((s) => s.names.includes(name));
const allowed = (r: ResolvedSeccomp, name: string): boolean => rulesFor(r, name).some((s) => s.action === 'SCMP_ACT_ALLOW');

test('default profile on amd64 with docker\'s default capabilities', () => {
  const r = resolve();
  assert.equal(r.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(r.defaultErrnoRet, 1);
  assert.deepEqual(r.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  for (const n of ['read', 'execve', 'arch_prctl', 'modify_ldt', 'chroot', 'ptrace']) assert.ok(allowed(r, n), n);
  // Not without CAP_SYS_ADMIN (or the cap named), nor another arch's calls.
  for (const n of ['unshare', 'mount', 'setns', 'keyctl', 'add_key', 'reboot', 's390_pci_mmio_read', 'set_tls', 'bpf']) assert.ok(!allowed(r, n), n);
  // The argument rules: clone without namespace flags (arg 0 on amd64), personality's few values.
  assert.deepEqual(rulesFor(r, 'clone'), [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: '2114060288', valueTwo: '0', op: 'SCMP_CMP_MASKED_EQ' }] }]);
  assert.deepEqual(rulesFor(r, 'personality').map((s) => s.args![0].value), ['0', '8', '131072', '131080', '4294967295']);
  // clone3 answers ENOSYS, so that libc falls back to clone, whose flags can be checked.
  assert.deepEqual(rulesFor(r, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
});

test('per-capability includes and excludes follow the container\'s capabilities', () => {
  const admin = resolve({ caps: [...DEFAULT_CAPS, 'SYS_ADMIN'] });
  for (const n of ['unshare', 'mount', 'setns', 'clone', 'clone3']) assert.ok(allowed(admin, n), n);
  // The clone argument rule and clone3's ENOSYS are excluded for CAP_SYS_ADMIN.
  assert.ok(rulesFor(admin, 'clone').every((s) => !s.args));
  assert.ok(rulesFor(admin, 'clone3').every((s) => s.action === 'SCMP_ACT_ALLOW'));
  // Names with CAP_ work as well; dropping SYS_CHROOT takes chroot away.
  assert.ok(allowed(resolve({ caps: ['CAP_SYS_PTRACE'] }), 'kcmp'));
  assert.ok(!allowed(resolve({ caps: DEFAULT_CAPS.filter((c) => c !== 'SYS_CHROOT') }), 'chroot'));
  // includes.caps: every cap must be there; excludes.caps: any one excludes.
  const p = JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [
    { names: ['both'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_A', 'CAP_B'] } },
    { names: ['notany'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_A', 'CAP_C'] } },
  ] });
  assert.deepEqual(resolve({ caps: ['A'] }, p).syscalls.map((s) => s.names[0]), []);
  assert.deepEqual(resolve({ caps: ['A', 'B'] }, p).syscalls.map((s) => s.names[0]), ['both']);
  assert.deepEqual(resolve({ caps: ['B'] }, p).syscalls.map((s) => s.names[0]), ['notany']);
});

test('per-architecture: archMap entry and arch includes/excludes', () => {
  const arm = resolve({ arch: 'arm64' });
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(allowed(arm, 'set_tls'));
  assert.ok(!allowed(arm, 'arch_prctl'));
  const s390 = resolve({ arch: 's390x' });
  assert.deepEqual(s390.architectures, ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
  // s390's clone takes its flags second.
  assert.deepEqual(rulesFor(s390, 'clone').map((s) => s.args![0].index), [1]);
  assert.deepEqual(resolve({ arch: 'riscv64' }).architectures, ['SCMP_ARCH_RISCV64']);
});

test('minKernel: rules for newer kernels only where the kernel is at least that', () => {
  assert.ok(allowed(resolve({ kernel: [4, 8] }), 'ptrace'));
  assert.ok(!allowed(resolve({ kernel: [4, 7] }), 'ptrace'));
  assert.ok(!allowed(resolve({ kernel: [3, 19] }), 'process_vm_readv'));
  const p = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['old'], action: 'SCMP_ACT_ERRNO', excludes: { minKernel: '5.10' } }] });
  assert.equal(resolve({ kernel: [5, 4] }, p).syscalls.length, 1);
  assert.equal(resolve({ kernel: [5, 10] }, p).syscalls.length, 0);
  assert.throws(() => parseProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5' } }] })), /invalid kernel version/);
});

test('flatten: SECCOMP_RET_* actions, default errno EPERM, a rule\'s args kept together for the compiler', () => {
  const f = flatten(resolve());
  assert.equal(f.defaultAction, 0x00050001);
  assert.deepEqual(f.rules.find((r) => r.name === 'clone3'), { name: 'clone3', action: 0x00050026, args: [] });
  assert.deepEqual(f.rules.find((r) => r.name === 'clone')!.args, [[0, 7, 2114060288n, 0n]]);
  assert.equal(f.rules.find((r) => r.name === 'read')!.action, 0x7fff0000);
  const p = parseProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [
    { names: ['a'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_GT' }, { index: 0, value: 5, op: 'SCMP_CMP_LT' }] },
    { names: ['b'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] },
    { names: ['c'], action: 'SCMP_ACT_ALLOW' },
  ] }));
  const g = flatten(resolveProfile(p, target())!);
  assert.deepEqual(g.rules, [
    { name: 'a', action: 0x00050001, args: [[0, 6, 1n, 0n], [0, 2, 5n, 0n]] },
    { name: 'b', action: 0x80000000, args: [[0, 4, 1n, 0n], [1, 4, 2n, 0n]] },
  ]);
});

test('parseProfile keeps uint64 values exact and refuses what docker refuses', () => {
  const p = parseProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_MASKED_EQ"}]}]}');
  assert.deepEqual(p.syscalls[0].args, [{ index: 1, value: '18446744073709551615', valueTwo: '9007199254740993', op: 'SCMP_CMP_MASKED_EQ' }]);
  assert.deepEqual(parseProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"x","action":"SCMP_ACT_ERRNO"}]}').syscalls[0].names, ['x']);
  const bad = (o: unknown, re: RegExp): void => {
    assert.throws(() => parseProfile(JSON.stringify(o)), (e: Error & { exitCode?: number }) => re.test(e.message) && e.exitCode === 125);
  };
  bad({ defaultAction: 'SCMP_ACT_NOPE', syscalls: [] }, /unknown action "SCMP_ACT_NOPE"/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'x', names: ['y'], action: 'SCMP_ACT_ALLOW' }] }, /use either 'name' or 'names'/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86'], archMap: [], syscalls: [] }, /use either 'architectures' or 'archMap'/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_NOTIFY' }] }, /listener/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, /index/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'EQ' }] }] }, /operator/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }, /unsigned 64-bit/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }, /errnoRet/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'], syscalls: [] }, /unsupported seccomp flag/);
  // Neither a default action nor rules: docker runs that unconfined.
  assert.equal(resolveProfile(parseProfile('{}'), target()), undefined);
});

test('--security-opt: a profile file becomes its compact JSON, as docker\'s CLI sends it', () => {
  const files: Record<string, string> = { '/p.json': '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [ {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "comment": "a  b"} ]\n}\n', '/bad.json': '{ nope' };
  const read = (f: string): string => {
    if (f in files) return files[f];
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  };
  assert.deepEqual(normaliseSecurityOpts(['seccomp=/p.json', 'no-new-privileges', 'seccomp=unconfined', 'seccomp:builtin'], read), [
    'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","comment":"a  b"}]}',
    'no-new-privileges', 'seccomp=unconfined', 'seccomp:builtin',
  ]);
  assert.throws(() => normaliseSecurityOpts(['seccomp=/missing.json'], read), { message: 'opening seccomp profile (/missing.json) failed: open /missing.json: no such file or directory', exitCode: 125 });
  assert.throws(() => normaliseSecurityOpts(['seccomp=/bad.json'], read), /compacting json for seccomp profile \(\/bad\.json\) failed/);
  assert.throws(() => normaliseSecurityOpts(['seccomp='], read), /invalid --security-opt: "seccomp="/);
  assert.throws(() => normaliseSecurityOpts(['apparmor=x'], read), /invalid --security-opt/);
  assert.equal(compactJson('{ "a" : "x \\" y",\t"b": [1, 2] }'), '{"a":"x \\" y","b":[1,2]}');
});

test('the profile chosen: docker\'s by default, the named one, none unconfined or privileged', () => {
  const def = (): string => 'DEFAULT';
  assert.equal(chosenProfile([], false, def), 'DEFAULT');
  assert.equal(chosenProfile(['seccomp=builtin'], false, def), 'DEFAULT');
  assert.equal(chosenProfile(['seccomp={"x":1}'], false, def), '{"x":1}');
  assert.equal(chosenProfile(['seccomp=unconfined'], false, def), undefined);
  // As moby: --privileged runs unconfined whatever profile is named.
  assert.equal(chosenProfile(['seccomp={"x":1}'], true, def), undefined);
  assert.equal(chosenProfile([], true, def), undefined);
});
