// docker's resource flags, with docker's validation messages.
import * as fs from 'node:fs';
import { InvalidOptionError, OptionSyntaxError } from '../errors';
import { ramInBytes } from '../format/size';
import { ParseIntError, parseInt64 } from '../strconv';
import type { DeviceRule } from './devices';

export interface Resources {
  /** bytes; 0 = unlimited */
  memory?: number;
  /** memory + swap in bytes; -1 = unlimited swap */
  memorySwap?: number;
  /** CPUs * 1e9 */
  nanoCpus?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  /** 0 or -1 = unlimited */
  pidsLimit?: number;
  /** the device allow-list (deny all else); undefined leaves the cgroup's as it is */
  devices?: readonly DeviceRule[];
}

export interface ResourceFlags {
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: number | string;
  cpusetCpus?: string;
  pidsLimit?: number | string;
}

// option: the ResourceFlags field the value came in. bad: a value out of range (the daemon's
// refusal); unreadable: one that does not parse (the flag's, docker's CLI's refusal).
const bad = (option: keyof ResourceFlags | 'shmSize', msg: string): InvalidOptionError => new InvalidOptionError(option, msg, { exitCode: 125 });
const unreadable = (option: keyof ResourceFlags | 'shmSize', value: string, flag: string, why: string): InvalidOptionError =>
  new OptionSyntaxError(option, `invalid argument "${value}" for "${flag}" flag: ${why}`, { exitCode: 125 });

/** docker's RAMInBytes (lib/format/size.ts), refused in the flag's words. */
export function parseSize(value: string, flag: string, option: keyof ResourceFlags | 'shmSize' = 'memory'): number {
  try {
    return ramInBytes(value);
  } catch (e) {
    throw unreadable(option, value, flag, (e as Error).message);
  }
}

/**
 * --memory-swap in bytes: -1 (unlimited) as given, else a size; a negative size (an int64
 * overflow) is no limit too, as dockerd sets swap only when it is positive.
 */
export function parseMemorySwap(value: string): number {
  return value.trim() === '-1' ? -1 : Math.max(-1, parseSize(value, '--memory-swap', 'memorySwap'));
}

/** docker's default /dev/shm size (the daemon's DefaultShmSize). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/**
 * --shm-size in bytes: a size as docker's CLI reads it (its MemBytes flag, RAMInBytes), a
 * negative one (only an int64 overflow makes one) refused as dockerd refuses it, and 0 the
 * default 64 MiB, as dockerd makes it. Not --memory's check: a /dev/shm below 6MB is fine.
 */
export function parseShmSize(value: string): number {
  const size = parseSize(value, '--shm-size', 'shmSize');
  if (size < 0) throw bad('shmSize', 'SHM size can not be less than 0');
  return size || DEFAULT_SHM_SIZE;
}

/**
 * An int64 flag's value as docker's CLI reads it (pflag: strconv.ParseInt(s, 0, 64)), a
 * library's number as that int64; refused in the flag's words, as docker's CLI refuses it.
 */
export function parseInt64Flag(v: number | string, flag: string, option: keyof ResourceFlags): number {
  try {
    if (typeof v !== 'number') return Number(parseInt64(String(v)));
    if (!Number.isInteger(v)) throw new ParseIntError(String(v), 'invalid syntax');
    if (BigInt(v) >= 2n ** 63n || BigInt(v) < -(2n ** 63n)) throw new ParseIntError(String(v), 'value out of range');
    return v;
  } catch (e) {
    if (e instanceof ParseIntError) throw unreadable(option, String(v), flag, e.message);
    throw e;
  }
}

/** The host's CPUs: read only for the flags that need them, not on every run. */
function hostCpus(): { cpus: number; onlineCpus: string } {
  const cpus = (require('node:os') as typeof import('node:os')).cpus().length;
  try {
    return { cpus, onlineCpus: fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim() };
  } catch {
    return { cpus, onlineCpus: `0-${cpus - 1}` };
  }
}

/** '0-2,4' -> [0,1,2,4]; undefined when malformed. */
export function parseCpuList(s: string): number[] | undefined {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return undefined;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

export function parseResources(f: ResourceFlags, hostInfo?: { cpus: number; onlineCpus: string }): Resources {
  const r: Resources = {};
  let known = hostInfo;
  const host = (): { cpus: number; onlineCpus: string } => (known ??= hostCpus());
  if (f.memory !== undefined && f.memory !== '') {
    r.memory = parseSize(String(f.memory), '-m, --memory');
    // As dockerd: any size but 0 below the minimum, the negative one an int64 overflow makes too.
    if (r.memory !== 0 && r.memory < 6 * 1024 * 1024) throw bad('memory', 'Minimum memory limit allowed is 6MB');
  }
  if (f.memorySwap !== undefined && f.memorySwap !== '') {
    const swap = parseMemorySwap(String(f.memorySwap));
    // As docker: 0 is "not set" (memory-swap then defaults to twice --memory), and only a
    // positive total needs a --memory to be a total of.
    if (swap > 0 && !r.memory) throw bad('memorySwap', 'You should always set the Memory limit when using Memoryswap limit, see usage');
    if (swap > 0 && swap < r.memory!) throw bad('memorySwap', 'Minimum memoryswap limit should be larger than memory limit, see usage');
    if (swap !== 0 && r.memory) r.memorySwap = swap;
  }
  if (f.cpus !== undefined && f.cpus !== '') {
    const v = Number(f.cpus);
    if (!/^\d*\.?\d+$/.test(String(f.cpus).trim()) || !Number.isFinite(v)) {
      throw unreadable('cpus', String(f.cpus), '--cpus', `failed to parse ${f.cpus} as a rational number`);
    }
    const nano = Math.round(v * 1e9);
    if (nano !== 0 && (nano < 1e7 || nano > host().cpus * 1e9)) {
      throw bad('cpus', `Range of CPUs is from 0.01 to ${host().cpus.toFixed(2)}, as there are only ${host().cpus} CPUs available`);
    }
    if (nano) r.nanoCpus = nano;
  }
  if (f.cpuShares !== undefined && f.cpuShares !== '') {
    const v = parseInt64Flag(f.cpuShares, '-c, --cpu-shares', 'cpuShares');
    if (v < 0) throw unreadable('cpuShares', String(f.cpuShares), '-c, --cpu-shares', `strconv.ParseInt: parsing "${f.cpuShares}": invalid syntax`);
    if (v) r.cpuShares = Math.max(2, Math.min(262144, v));
  }
  if (f.cpusetCpus !== undefined && f.cpusetCpus !== '') {
    const want = parseCpuList(f.cpusetCpus);
    if (!want) throw bad('cpusetCpus', `Invalid value ${f.cpusetCpus} for cpuset cpus`);
    const have = new Set(parseCpuList(host().onlineCpus) ?? []);
    const missing = want.filter((c) => !have.has(c));
    if (missing.length) throw bad('cpusetCpus', `Requested CPUs are not available - requested ${f.cpusetCpus}, available: ${host().onlineCpus}`);
    r.cpusetCpus = f.cpusetCpus;
  }
  if (f.pidsLimit !== undefined && f.pidsLimit !== '') {
    const v = parseInt64Flag(f.pidsLimit, '--pids-limit', 'pidsLimit');
    if (v > 0) r.pidsLimit = v;
  }
  return r;
}

/** cpu.shares (v1, 2..262144) to cpu.weight (v2, 1..10000), as runc and crun convert it. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}
