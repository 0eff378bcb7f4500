// The device cgroup's rules and the cgroup v2 BPF program assembled from them. The kernel
// runs the program in the integration tests; here a small evaluator of the few eBPF
// instructions the assembler emits checks its decisions over a table of requests.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ALLOW_ALL, DEFAULT_DEVICE_RULES, deviceProgram } from '../../lib/cgroups';
import { v1Line, type DeviceRule } from '../../lib/cgroups/devices';

const M = 1, R = 2, W = 4; // BPF_DEVCG_ACC_*
const BLOCK = 1, CHAR = 2; // BPF_DEVCG_DEV_*

/** Runs a program on one request; only the opcodes the assembler may emit are known. */
function evaluate(prog: Buffer, type: number, access: number, major: number, minor: number): number {
  const ctx = [(access << 16) | type, major, minor];
  const r = new Array<bigint>(11).fill(0n);
  const mask = (1n << 64n) - 1n;
  for (let pc = 0, steps = 0; pc * 8 < prog.length; pc++, steps++) {
    assert.ok(steps < 10_000, 'runs away');
    const code = prog.readUInt8(pc * 8);
    const dst = prog.readUInt8(pc * 8 + 1) & 0xf;
    const src = prog.readUInt8(pc * 8 + 1) >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = BigInt(prog.readInt32LE(pc * 8 + 4)) & mask;
    switch (code) {
      case 0x61: assert.equal(src, 1); assert.equal(off % 4, 0); r[dst] = BigInt(ctx[off / 4] >>> 0); break;
      case 0xbf: r[dst] = r[src]; break;
      case 0xb7: r[dst] = imm; break;
      case 0x57: r[dst] &= imm; break;
      case 0x77: r[dst] >>= imm; break;
      case 0x55: if (r[dst] !== imm) pc += off; break;
      case 0x95: return Number(r[0]);
      default: assert.fail(`unexpected opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  return assert.fail('fell off the end');
}

test('docker\'s default device rules: mknod anything, open only the standard nodes', () => {
  const p = deviceProgram(DEFAULT_DEVICE_RULES);
  assert.equal(p.length % 8, 0);
  const allow = (type: number, access: number, major: number, minor: number): boolean => evaluate(p, type, access, major, minor) === 1;
  // The host's disk: a node may be made (CAP_MKNOD), not opened.
  assert.equal(allow(BLOCK, M, 8, 0), true);
  assert.equal(allow(BLOCK, R, 8, 0), false);
  assert.equal(allow(BLOCK, R | W, 8, 0), false);
  assert.equal(allow(BLOCK, M | R, 8, 0), false);
  assert.equal(allow(CHAR, R | W, 1, 3), true); // null
  assert.equal(allow(CHAR, R | W | M, 1, 9), true); // urandom
  assert.equal(allow(CHAR, R, 1, 1), false); // /dev/mem
  assert.equal(allow(CHAR, R | W, 136, 7), true); // pts/7
  assert.equal(allow(CHAR, R | W, 5, 2), true); // ptmx
  assert.equal(allow(CHAR, R, 10, 237), false); // loop-control
  assert.equal(allow(CHAR, W, 1, 11), false); // kmsg
  assert.equal(allow(BLOCK, R, 1, 3), false, 'a block device with a char device\'s numbers');
});

test('all-devices and type-wide rules; v1 lines', () => {
  const all = deviceProgram(ALLOW_ALL);
  assert.equal(evaluate(all, BLOCK, R | W | M, 8, 0), 1);
  const rules: DeviceRule[] = [{ type: 'b', major: 7, minor: -1, access: 'rw' }];
  const p = deviceProgram(rules);
  assert.equal(evaluate(p, BLOCK, R, 7, 3), 1);
  assert.equal(evaluate(p, BLOCK, M, 7, 3), 0);
  assert.equal(evaluate(p, CHAR, R, 7, 3), 0);
  assert.equal(evaluate(deviceProgram([]), CHAR, R, 1, 3), 0, 'no rules: nothing');
  assert.deepEqual([...DEFAULT_DEVICE_RULES.slice(0, 3), ...ALLOW_ALL].map(v1Line), ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'a']);
});
