// The device cgroup: which device nodes a container may open or create. Docker's default
// is an allow-list: without it, CAP_MKNOD lets a container `mknod /x b 8 0` and read the
// host's disk. cgroup v1 takes the rules as devices.deny/devices.allow lines; cgroup v2 has
// no interface file, only a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup,
// which the addon assembles (program()) and the monitor loads and attaches.
import { native } from '../native';

export interface DeviceRule {
  /** 'a' (all), 'c' (char) or 'b' (block) */
  type: 'a' | 'c' | 'b';
  /** -1: any */
  major: number;
  minor: number;
  /** a subset of 'rwm' */
  access: string;
}

/**
 * docker's defaults for an unprivileged container, after a deny-all: mknod of any node (the
 * node is useless unless a rule below allows opening it), the standard character devices,
 * the console, ptys (new and old numbering) and /dev/net/tun.
 */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  { type: 'c', major: -1, minor: -1, access: 'm' },
  { type: 'b', major: -1, minor: -1, access: 'm' },
  { type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { type: 'c', major: 136, minor: -1, access: 'rwm' }, // pts/*
  { type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun
];

/** --privileged: every device. */
export const ALLOW_ALL: readonly DeviceRule[] = [{ type: 'a', major: -1, minor: -1, access: 'rwm' }];

/** One devices.allow line, as the v1 controller parses it: 'c 1:3 rwm', 'b *:* m'. */
export function v1Line(r: DeviceRule): string {
  const n = (x: number): string => (x < 0 ? '*' : String(x));
  return r.type === 'a' ? 'a' : `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/**
 * The rules as a BPF_PROG_TYPE_CGROUP_DEVICE program: the first rule that matches a request
 * allows it (every rule here allows); none matching denies. Assembled by the addon
 * (native/devices_bpf.cc), whose assembler gocker-runtime uses for a bundle's rules too.
 */
export function program(rules: readonly DeviceRule[]): Buffer {
  return native().deviceProgram(rules.map((r) => ({ ...r })));
}
