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
  seccomp?: OciSeccomp;
  maskedPaths: string[];
  readonlyPaths: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
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

/**
 * JSON text of a spec: JSON.stringify's, with bigint written as the exact integer it is.
 * indent: spaces per level (0: compact, which is what the monitor reads).
 */
export function specJson(value: unknown, indent = 0): string {
  const pad = (depth: number): string => (indent ? `\n${' '.repeat(indent * depth)}` : '');
  const write = (v: unknown, depth: number): string => {
    if (typeof v === 'bigint') return v.toString();
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${v.map((x) => pad(depth + 1) + write(x, depth + 1)).join(',')}${pad(depth)}]`;
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return '{}';
      const sep = indent ? ': ' : ':';
      return `{${entries.map(([k, x]) => `${pad(depth + 1)}${JSON.stringify(k)}${sep}${write(x, depth + 1)}`).join(',')}${pad(depth)}}`;
    }
    return JSON.stringify(v);
  };
  return write(value, 0);
}

// A JSON string no spec holds (the builder and the monitor refuse NUL in every string).
const BIG = '\u0000bigint:';

/**
 * JSON.parse of a spec, losing nothing: an integer past 2^53 (RLIM_INFINITY, a seccomp
 * argument) comes back as the bigint it is, so the spec can be written out again unchanged.
 */
export function parseSpecJson(text: string): unknown {
  const parts: string[] = [];
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = c === '-' ? i + 1 : i;
      while (j < text.length && text[j] >= '0' && text[j] <= '9') j++;
      // Only long integers: they alone can be past 2^53.
      if (/[.eE]/.test(text[j] ?? '')) {
        // Not an integer: its fraction and exponent are no numbers of their own.
        while (j < text.length && /[0-9.eE+-]/.test(text[j])) j++;
      } else if (j - i > 15) {
        parts.push(text.slice(last, i), JSON.stringify(BIG + text.slice(i, j)));
        last = j;
      }
      i = j;
    } else {
      i++;
    }
  }
  parts.push(text.slice(last));
  return JSON.parse(parts.join(''), (_k, v: unknown) => {
    if (typeof v !== 'string' || !v.startsWith(BIG)) return v;
    const n = BigInt(v.slice(BIG.length));
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  });
}
