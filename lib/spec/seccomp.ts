// seccomp, as docker confines a container by default. A profile is data in docker's format
// (profiles/seccomp/default.json is docker's own default profile, shipped as it is): this
// module chooses the profile from --security-opt and --privileged, resolves its per-arch,
// per-capability and minKernel conditions for one container into flat rules (pure, as moby's
// setupSeccomp does), and has the addon compile those with libseccomp into a classic BPF
// program. The monitor only loads that program (seccomp(2)): it never compiles a profile.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GockerError, InvalidOptionError } from '../errors';
import { native, packageRoot } from '../native';

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

/** One argument condition, as the OCI runtime spec has it; values are uint64 kept as decimal strings (JSON numbers lose bits past 2^53). */
export interface SeccompArg {
  index: number;
  value: string;
  valueTwo: string;
  op: string;
}

export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

/** docker's profile format (moby/profiles' seccomp.Seccomp). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures: string[] | null }>;
  flags?: string[];
  syscalls: SeccompSyscall[];
}

/** A profile resolved for one container: the OCI runtime spec's linux.seccomp. */
export interface ResolvedSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags: string[];
  syscalls: Array<Omit<SeccompSyscall, 'includes' | 'excludes'>>;
}

/** What a profile is resolved against: the host's arch in docker's (libseccomp's) naming, its kernel, the container's capabilities. */
export interface SeccompTarget {
  arch: string;
  kernel: [number, number];
  /** capability names, with or without CAP_ */
  caps: string[];
}

/** What the addon compiles: one rule per libseccomp call, actions as SECCOMP_RET_* values. */
export interface CompiledRules {
  defaultAction: number;
  architectures: string[];
  rules: Array<{ name: string; action: number; args: Array<[number, number, bigint, bigint]> }>;
}

// The kernel's SECCOMP_RET_* values, which libseccomp's SCMP_ACT_* are. Under runc an ERRNO or
// TRACE without errnoRet returns EPERM; KILL is KILL_THREAD.
const EPERM = 1;
const ACTIONS: Record<string, (ret: number) => number> = {
  SCMP_ACT_KILL: () => 0,
  SCMP_ACT_KILL_THREAD: () => 0,
  SCMP_ACT_KILL_PROCESS: () => 0x80000000,
  SCMP_ACT_TRAP: () => 0x00030000,
  SCMP_ACT_ERRNO: (ret) => (0x00050000 | (ret & 0xffff)) >>> 0,
  SCMP_ACT_TRACE: (ret) => (0x7ff00000 | (ret & 0xffff)) >>> 0,
  SCMP_ACT_LOG: () => 0x7ffc0000,
  SCMP_ACT_ALLOW: () => 0x7fff0000,
};
const OPS: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};
const ARCHES = new Set(['X86', 'X86_64', 'X32', 'ARM', 'AARCH64', 'LOONGARCH64', 'MIPS', 'MIPS64', 'MIPS64N32', 'MIPSEL', 'MIPSEL64',
  'MIPSEL64N32', 'PPC', 'PPC64', 'PPC64LE', 'S390', 'S390X', 'PARISC', 'PARISC64', 'RISCV64'].map((a) => `SCMP_ARCH_${a}`));
/** The seccomp(2) flags a profile may ask for; the monitor passes them on. */
const FILTER_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1, SECCOMP_FILTER_FLAG_LOG: 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

// moby's nativeToSeccomp, keyed by Node's process.arch through docker's (GOARCH-derived) names.
const NODE_TO_NATIVE: Record<string, string> = {
  x64: 'amd64', ia32: 'x86', arm: 'arm', arm64: 'arm64', loong64: 'loongarch64', mips: 'mips', mipsel: 'mipsle',
  ppc: 'ppc', ppc64: os.endianness() === 'LE' ? 'ppc64le' : 'ppc64', riscv64: 'riscv64', s390: 's390', s390x: 's390x',
};
const NATIVE_TO_SCMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86', amd64: 'SCMP_ARCH_X86_64', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64', loongarch64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64', mips64n32: 'SCMP_ARCH_MIPS64N32', mipsel64: 'SCMP_ARCH_MIPSEL64', mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL', ppc: 'SCMP_ARCH_PPC', ppc64: 'SCMP_ARCH_PPC64', ppc64le: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390', s390x: 'SCMP_ARCH_S390X',
};

/** This host, as a profile sees it. */
function hostTarget(caps: string[]): SeccompTarget {
  return { arch: NODE_TO_NATIVE[process.arch] ?? process.arch, kernel: parseKernel(os.release()) ?? [0, 0], caps };
}

function parseKernel(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The profile docker applies when none is named: docker's own, shipped with the package. */
function defaultProfilePath(): string {
  // The package root, not __dirname: the CLI's bundle runs from dist/cli.
  return path.join(packageRoot(), 'profiles', 'seccomp', 'default.json');
}

const invalidOpt = (msg: string): GockerError => new InvalidOptionError('securityOpt', msg, { exitCode: 125 });

/**
 * HostConfig.SecurityOpt as dockerd takes it: no-new-privileges[=bool], and seccomp= with
 * unconfined, builtin or a profile's JSON. docker's CLI reads seccomp=FILE and sends the
 * file's JSON (cli/runflags.ts): the engine reads no file of its caller's, and the record
 * (and inspect) holds the profile itself, so a later start needs no file either. Options
 * gocker does not know are refused.
 */
export function checkSecurityOpts(opts: string[]): string[] {
  return opts.map((opt) => {
    if (typeof opt !== 'string') throw invalidOpt(`invalid --security-opt: ${JSON.stringify(opt)}`);
    if (/^no-new-privileges(=(true|false)|:(true|false))?$/.test(opt)) return opt;
    const m = /^seccomp[=:](.+)$/s.exec(opt);
    if (!m) throw invalidOpt(`invalid --security-opt: "${opt}"`);
    const v = m[1];
    if (v === 'unconfined' || v === 'builtin' || v.startsWith('{')) return opt;
    throw invalidOpt(`invalid --security-opt: "${opt}": seccomp= takes unconfined, builtin or a profile's JSON, not a file's name (read the file and give its JSON)`);
  });
}

/** The profile text a container runs under, from its (normalised) SecurityOpt; undefined: unconfined. */
export function chosenProfile(securityOpt: string[], privileged: boolean, readDefault: () => string = () => fs.readFileSync(defaultProfilePath(), 'utf8')): string | undefined {
  let choice = 'builtin';
  for (const s of securityOpt) {
    const m = /^seccomp[=:](.+)$/s.exec(s);
    if (m) choice = m[1];
  }
  // As moby's WithSeccomp: unconfined, or privileged whatever profile was named.
  if (choice === 'unconfined' || privileged) return undefined;
  return choice === 'builtin' ? readDefault() : choice;
}

/** JSON.parse, with the argument values kept exact (uint64 past 2^53) as decimal strings. */
export function parseProfile(text: string): SeccompProfile {
  const bad = (why: string): GockerError => engineError(`Decoding seccomp profile failed: ${why}`);
  let raw: unknown;
  try {
    // "value" and "valueTwo" are only ever keys here when followed by a colon outside a
    // string (a quote inside a string is escaped), so quoting their numbers is safe.
    raw = JSON.parse(text.replace(/("value(?:Two)?"\s*:\s*)(\d+)/g, '$1"$2"'));
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('not a JSON object');
  const p = raw as Record<string, unknown>;
  const strings = (v: unknown, what: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`${what} must be a list of strings`);
    return v as string[];
  };
  const errno = (v: unknown, what: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) throw bad(`${what} must be an errno number`);
    return v;
  };
  const action = (v: unknown, what: string): string => {
    if (typeof v !== 'string') throw bad(`${what} must be a string`);
    if (v === 'SCMP_ACT_NOTIFY') throw bad(`${what}: SCMP_ACT_NOTIFY needs a listener, which gocker does not provide`);
    if (!(v in ACTIONS)) throw bad(`${what}: unknown action "${v}"`);
    return v;
  };
  const filter = (v: unknown, what: string): SeccompFilter | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} must be an object`);
    const f = v as Record<string, unknown>;
    const minKernel = f.minKernel === undefined || f.minKernel === null || f.minKernel === '' ? undefined : f.minKernel;
    if (minKernel !== undefined && (typeof minKernel !== 'string' || !/^\d+\.\d+$/.test(minKernel) || /^0+\.0+$/.test(minKernel))) {
      throw bad(`invalid kernel version: ${JSON.stringify(minKernel)}, expected "<kernel>.<major>"`);
    }
    return { caps: strings(f.caps, `${what}.caps`), arches: strings(f.arches, `${what}.arches`), minKernel: minKernel as string | undefined };
  };
  const arch = (a: string): string => {
    if (!ARCHES.has(a)) throw bad(`unknown architecture "${a}"`);
    return a;
  };
  if (p.architectures && p.archMap) throw bad("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  const archMap = p.archMap === undefined || p.archMap === null ? undefined : p.archMap;
  if (archMap !== undefined && !Array.isArray(archMap)) throw bad('archMap must be a list');
  const flags = strings(p.flags, 'flags');
  for (const f of flags ?? []) if (!(f in FILTER_FLAGS)) throw bad(`unsupported seccomp flag "${f}"`);
  if (p.syscalls !== undefined && p.syscalls !== null && !Array.isArray(p.syscalls)) throw bad('syscalls must be a list');
  const syscalls = ((p.syscalls ?? []) as unknown[]).map((s, i): SeccompSyscall => {
    const what = `syscalls[${i}]`;
    if (typeof s !== 'object' || s === null) throw bad(`${what} must be an object`);
    const c = s as Record<string, unknown>;
    let names = strings(c.names, `${what}.names`) ?? [];
    if (c.name !== undefined && c.name !== '') {
      if (names.length) throw bad("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
      if (typeof c.name !== 'string') throw bad(`${what}.name must be a string`);
      names = [c.name];
    }
    const act = action(c.action, `${what}.action`);
    const errnoRet = errno(c.errnoRet, `${what}.errnoRet`);
    if (errnoRet !== undefined && act !== 'SCMP_ACT_ERRNO' && act !== 'SCMP_ACT_TRACE') throw bad(`${what}: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE`);
    if (c.args !== undefined && c.args !== null && !Array.isArray(c.args)) throw bad(`${what}.args must be a list`);
    const args = ((c.args ?? []) as unknown[]).map((a, j): SeccompArg => {
      const aw = `${what}.args[${j}]`;
      const o = (a ?? {}) as Record<string, unknown>;
      const u64 = (v: unknown, k: string): string => {
        if (v === undefined || v === null) return '0';
        if (typeof v !== 'string' || !/^\d+$/.test(v) || BigInt(v) > 0xffffffffffffffffn) throw bad(`${aw}.${k} must be an unsigned 64-bit number`);
        return BigInt(v).toString();
      };
      if (typeof o.index !== 'number' || !Number.isInteger(o.index) || o.index < 0 || o.index > 5) throw bad(`${aw}.index must be 0 to 5`);
      if (typeof o.op !== 'string' || !(o.op in OPS)) throw bad(`${aw}: unknown operator ${JSON.stringify(o.op)}`);
      return { index: o.index, value: u64(o.value, 'value'), valueTwo: u64(o.valueTwo, 'valueTwo'), op: o.op };
    });
    const out: SeccompSyscall = { names, action: act };
    if (errnoRet !== undefined) out.errnoRet = errnoRet;
    if (args.length) out.args = args;
    const includes = filter(c.includes, `${what}.includes`);
    const excludes = filter(c.excludes, `${what}.excludes`);
    if (includes) out.includes = includes;
    if (excludes) out.excludes = excludes;
    return out;
  });
  const defaultAction = p.defaultAction === undefined || p.defaultAction === '' ? '' : action(p.defaultAction, 'defaultAction');
  return {
    defaultAction,
    defaultErrnoRet: errno(p.defaultErrnoRet, 'defaultErrnoRet'),
    architectures: strings(p.architectures, 'architectures')?.map(arch),
    archMap: (archMap as Array<Record<string, unknown>> | undefined)?.map((a) => ({
      architecture: arch(String(a?.architecture)),
      subArchitectures: strings(a?.subArchitectures, 'subArchitectures')?.map(arch) ?? null,
    })),
    flags,
    syscalls,
  };
}

const kernelAtLeast = (have: [number, number], want: string): boolean => {
  const [k, m] = want.split('.').map(Number);
  return have[0] > k || (have[0] === k && have[1] >= m);
};

/**
 * moby's setupSeccomp: the architectures of the host's archMap entry, and the rules whose
 * includes all hold (arch, every cap, minKernel) and whose excludes none do (arch, any cap,
 * minKernel). undefined when the profile has neither a default action nor rules (docker
 * takes that as seccomp disabled).
 */
export function resolveProfile(p: SeccompProfile, t: SeccompTarget): ResolvedSeccomp | undefined {
  if (!p.defaultAction && p.syscalls.length === 0) return undefined;
  if (!p.defaultAction) throw engineError('Decoding seccomp profile failed: defaultAction is missing');
  const caps = new Set(t.caps.map((c) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`)));
  const architectures = [...(p.architectures ?? [])];
  const scmp = NATIVE_TO_SCMP[t.arch];
  const entry = p.archMap?.find((a) => a.architecture === scmp);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  const syscalls: ResolvedSeccomp['syscalls'] = [];
  for (const s of p.syscalls) {
    const ex = s.excludes;
    if (ex) {
      if (ex.arches?.includes(t.arch)) continue;
      if (ex.caps?.some((c) => caps.has(c))) continue;
      if (ex.minKernel && kernelAtLeast(t.kernel, ex.minKernel)) continue;
    }
    const inc = s.includes;
    if (inc) {
      if (inc.arches?.length && !inc.arches.includes(t.arch)) continue;
      if (inc.caps?.some((c) => !caps.has(c))) continue;
      if (inc.minKernel && !kernelAtLeast(t.kernel, inc.minKernel)) continue;
    }
    const { includes: _i, excludes: _e, ...rule } = s;
    syscalls.push(rule);
  }
  return { defaultAction: p.defaultAction, defaultErrnoRet: p.defaultErrnoRet, architectures, flags: p.flags ?? [], syscalls };
}

/**
 * One rule per name, with its conditions together (the compiler, native/seccomp_bpf.cc, makes
 * a rule that tests one argument twice an OR, as runc does). A rule with the default action
 * is left out (libseccomp refuses it, and it changes nothing).
 */
export function flatten(r: ResolvedSeccomp): CompiledRules {
  const act = (a: string, ret?: number): number => ACTIONS[a](ret ?? EPERM);
  const defaultAction = act(r.defaultAction, r.defaultErrnoRet);
  const rules: CompiledRules['rules'] = [];
  for (const s of r.syscalls) {
    const action = act(s.action, s.errnoRet);
    if (action === defaultAction) continue;
    const conds = (s.args ?? []).map((a): [number, number, bigint, bigint] => [a.index, OPS[a.op], BigInt(a.value), BigInt(a.valueTwo)]);
    for (const name of s.names) rules.push({ name, action, args: conds });
  }
  return { defaultAction, architectures: r.architectures, rules };
}

/**
 * The BPF program a container runs under, with the resolved profile it was compiled from (the
 * spec's linux.seccomp), or undefined for none: its profile resolved for its capabilities on
 * this host, compiled by libseccomp. A profile that cannot be compiled is refused here,
 * before anything of the container exists.
 *
 * Resolving and compiling take 16-19 ms for docker's profile here (a third of a container's
 * start), and the result depends only on the profile, the capabilities, the arch, the
 * kernel's version and libseccomp's: kept under cacheDir (in the runroot, which only root can
 * reach) by a hash of those, the program in KEY.bpf and the profile in KEY.json, each written
 * whole and renamed into place (the profile last: it is what says the entry is there).
 */
export function seccompProgram(securityOpt: string[], privileged: boolean, caps: string[], cacheDir?: string): { bpf: Buffer; profile: ResolvedSeccomp } | undefined {
  const text = chosenProfile(securityOpt, privileged);
  if (text === undefined) return undefined;
  const target = hostTarget(caps);
  const n = native();
  const key = cacheDir === undefined ? undefined
    : n.sha256([text, [...caps].sort().join(','), target.arch, target.kernel.join('.'), n.seccompVersion(), n.sourceHash].join('\0'));
  const file = key && path.join(cacheDir!, key);
  if (file) {
    try {
      const profile = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as ResolvedSeccomp;
      const bpf = fs.readFileSync(`${file}.bpf`);
      // A program is whole instructions (8 bytes each).
      if (bpf.length > 0 && bpf.length % 8 === 0 && typeof profile?.defaultAction === 'string') return { bpf, profile };
    } catch {
      /* not compiled yet */
    }
  }
  const profile = resolveProfile(parseProfile(text), target);
  if (!profile) return undefined;
  let bpf: Buffer;
  try {
    bpf = n.seccompCompile(flatten(profile));
  } catch (e) {
    throw engineError(`seccomp profile cannot be compiled: ${(e as Error).message}`);
  }
  if (file) {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(cacheDir!, { recursive: true, mode: 0o700 });
      for (const [ext, data] of [['bpf', bpf], ['json', JSON.stringify(profile)]] as const) {
        fs.writeFileSync(tmp, data, { mode: 0o600 });
        fs.renameSync(tmp, `${file}.${ext}`);
      }
    } catch {
      // A cache only: the next start compiles again.
      fs.rmSync(tmp, { force: true });
    }
  }
  return { bpf, profile };
}
