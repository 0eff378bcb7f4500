// The OCI runtime-spec config.json (runtime-spec 1.0.2), the part of it gocker writes and
// gocker-monitor reads. Numbers that are uint64 in the spec (rlimits, seccomp argument
// values) are bigint here: a JSON number past 2^53 written from a JS number loses its low
// bits, and RLIM_INFINITY is 2^64 - 1.

export const OCI_VERSION = '1.0.2';

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

export interface OciRlimit {
  /** RLIMIT_NOFILE, ... */
  type: string;
  /** bigint as built; a number once read back where it fits one */
  soft: bigint | number;
  hard: bigint | number;
}

export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits: OciRlimit[];
  noNewPrivileges: boolean;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciNamespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'cgroup' | 'user';
  /** an existing namespace to join instead of a new one */
  path?: string;
}

export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid?: number;
  gid?: number;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access: string;
}

export interface OciResources {
  devices: OciDeviceRule[];
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string };
  pids?: { limit: number };
}

export interface OciSeccompArg {
  index: number;
  value: bigint | number;
  valueTwo: bigint | number;
  op: string;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls: Array<{ names: string[]; action: string; errnoRet?: number; args?: OciSeccompArg[] }>;
}

export interface OciLinux {
  namespaces: OciNamespace[];
  devices: OciDevice[];
  resources: OciResources;
  cgroupsPath: string;
  /** written under /proc/sys in the container before its process starts */
  sysctl?: Record<string, string>;
  seccomp?: OciSeccomp;
  maskedPaths: string[];
  readonlyPaths: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  /** none with --uts host */
  hostname?: string;
  mounts: OciMount[];
  linux: OciLinux;
  annotations: Record<string, string>;
}

/**
 * exec's spec: the process to start in a running container, the container's seccomp filter,
 * and gocker's annotations saying which container and where the monitor reports. The same
 * document shape as config.json, read by the same validator, without what only a new
 * container has (root, mounts, namespaces).
 */
export interface OciExecSpec {
  ociVersion: string;
  process: OciProcess;
  linux?: { seccomp?: OciSeccomp };
  annotations: Record<string, string>;
}

// A JSON string no spec holds (the builder and the monitor refuse NUL in every string).
const BIG = '\u0000bigint:';

/**
 * JSON text of a spec (or of an exec spec): JSON.stringify's, with the uint64 fields written
 * as the exact integers they are. indent: spaces per level (0: compact, what the monitor reads).
 */
export function specJson(value: unknown, indent = 0): string {
  let big = false;
  const mark = (v: unknown): unknown => {
    if (typeof v !== 'bigint') return v;
    big = true;
    return BIG + v.toString();
  };
  // Copies of just the objects that hold uint64 fields, with markers for their bigints: a
  // replacer function would be called for every value (three times JSON.stringify's time).
  const s = value as Partial<OciSpec> | null;
  let out = value;
  if (s && typeof s === 'object' && (s.process?.rlimits?.length || s.linux?.seccomp)) {
    out = {
      ...s,
      process: s.process && { ...s.process, rlimits: s.process.rlimits?.map((r) => ({ ...r, soft: mark(r.soft), hard: mark(r.hard) })) },
      linux: s.linux && {
        ...s.linux,
        seccomp: s.linux.seccomp && {
          ...s.linux.seccomp,
          syscalls: s.linux.seccomp.syscalls?.map((c) => (c.args ? { ...c, args: c.args.map((a) => ({ ...a, value: mark(a.value), valueTwo: mark(a.valueTwo) })) } : c)),
        },
      },
    };
  }
  const text = JSON.stringify(out, null, indent || undefined);
  return big ? text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1') : text;
}

/**
 * JSON.parse of a spec, losing nothing: the uint64 fields past 2^53 (rlimits, seccomp argument
 * values; RLIM_INFINITY is 2^64 - 1) come back as the bigint they are, so the spec can be
 * written out again unchanged.
 */
export function parseSpecJson(text: string): unknown {
  // Most specs have no integer that long: JSON.parse alone.
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  // Strings are matched whole, so digits inside one are left alone.
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![.eE\d])/g, (m) => (m[0] === '"' ? m : JSON.stringify(BIG + m)));
  const spec = JSON.parse(marked) as { process?: { rlimits?: unknown }; linux?: { seccomp?: { syscalls?: unknown } } };
  const exact = (v: unknown): unknown => {
    if (typeof v !== 'string' || !v.startsWith(BIG)) return v;
    const n = BigInt(v.slice(BIG.length));
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  };
  const each = (list: unknown, f: (o: Record<string, unknown>) => void): void => {
    if (Array.isArray(list)) for (const o of list) if (o && typeof o === 'object') f(o as Record<string, unknown>);
  };
  each(spec.process?.rlimits, (r) => {
    r.soft = exact(r.soft);
    r.hard = exact(r.hard);
  });
  each(spec.linux?.seccomp?.syscalls, (s) => each(s.args, (a) => {
    a.value = exact(a.value);
    a.valueTwo = exact(a.valueTwo);
  }));
  return spec;
}
