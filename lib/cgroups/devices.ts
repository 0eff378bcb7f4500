// The device cgroup: which device nodes a container may open or create. Docker's default
// is an allow-list: without it, CAP_MKNOD lets a container `mknod /x b 8 0` and read the
// host's disk. cgroup v1 takes the rules as devices.deny/devices.allow lines; cgroup v2 has
// no interface file, only a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup,
// which program() assembles here and the monitor loads and attaches.

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

// The program's context (struct bpf_cgroup_dev_ctx): access_type is (access << 16) | type,
// then major and minor, each a u32. It returns 1 to allow, 0 to deny.
const ACC: Record<string, number> = { m: 1, r: 2, w: 4 }; // BPF_DEVCG_ACC_*
const DEV: Record<string, number> = { b: 1, c: 2 }; // BPF_DEVCG_DEV_*

// eBPF opcodes used (include/uapi/linux/bpf_common.h and bpf.h).
const LDX_MEM_W = 0x61;
const ALU64_MOV_X = 0xbf;
const ALU64_MOV_K = 0xb7;
const ALU64_AND_K = 0x57;
const ALU64_RSH_K = 0x77;
const JMP_JNE_K = 0x55;
const EXIT = 0x95;

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

/**
 * The rules as a BPF_PROG_TYPE_CGROUP_DEVICE program: the first rule that matches a request
 * allows it (every rule here allows); none matching denies. Registers: r2 access bits, r3
 * device type, r4 major, r5 minor, r6 scratch.
 */
export function program(rules: readonly DeviceRule[]): Buffer {
  const out: Buffer[] = [
    insn(LDX_MEM_W, 2, 1, 0, 0),
    insn(LDX_MEM_W, 4, 1, 4, 0),
    insn(LDX_MEM_W, 5, 1, 8, 0),
    insn(ALU64_MOV_X, 3, 2, 0, 0),
    insn(ALU64_AND_K, 3, 0, 0, 0xffff),
    insn(ALU64_RSH_K, 2, 0, 0, 16),
  ];
  for (const r of rules) {
    // Each test jumps past the rest of this rule's block when it fails; the block ends
    // with "return 1". Built backwards so the jump distances are known.
    const tests: Array<(skip: number) => Buffer[]> = [];
    if (r.type !== 'a') tests.push((skip) => [insn(JMP_JNE_K, 3, 0, skip, DEV[r.type])]);
    const mask = [...r.access].reduce((m, c) => m | (ACC[c] ?? 0), 0);
    if (mask !== 7) {
      // Every access asked for must be in the rule: (asked & ~allowed) == 0.
      tests.push((skip) => [insn(ALU64_MOV_X, 6, 2, 0, 0), insn(ALU64_AND_K, 6, 0, 0, ~mask & 7), insn(JMP_JNE_K, 6, 0, skip, 0)]);
    }
    if (r.major >= 0) tests.push((skip) => [insn(JMP_JNE_K, 4, 0, skip, r.major)]);
    if (r.minor >= 0) tests.push((skip) => [insn(JMP_JNE_K, 5, 0, skip, r.minor)]);
    let tail: Buffer[] = [insn(ALU64_MOV_K, 0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0)];
    for (let i = tests.length - 1; i >= 0; i--) {
      // The jump is the test's last instruction; it skips what follows it in the block.
      const block = tests[i](tail.length);
      tail = [...block, ...tail];
    }
    out.push(...tail);
  }
  out.push(insn(ALU64_MOV_K, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0));
  return Buffer.concat(out);
}
