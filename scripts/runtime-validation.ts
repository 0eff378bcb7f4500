// opencontainers/runtime-tools' validation suite against gocker-runtime, runc and crun on this
// machine: one table of its programs' TAP results per runtime, and the same as JSON.
//
// Run as root: node dist/scripts/runtime-validation.js RUNTIME_TOOLS_SRC [TEST...]
//
// RUNTIME_TOOLS_SRC is a runtime-tools source tree: Debian's golang-github-opencontainers-
// runtime-tools-dev has the library but not validation/ or cmd/runtimetest, so this takes an
// upstream checkout, at the commit Debian 12 packages (0105384; its newest commits need Go 1.21).
// It is built offline from its own vendor/ (GOFLAGS=-mod=vendor GOPROXY=off) into a temporary
// directory with Debian's golang-go. Nothing is installed: a missing tool is named, with its
// Debian package. The rootfs the suite unpacks into each bundle is busybox-static's
// (test/helpers/fixtures), not the tarball the checkout carries.
//
// Each program runs with RUNTIME set to a wrapper that gives the runtime a --root of this run's
// own, and TMPDIR (where the suite makes its bundles) in the temporary directory; whatever a
// program leaves (containers, the cgroups the suite names, the hugetlb mount crun needs on a
// hybrid host) is removed afterwards, on failure or interruption too.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { machine, which } from '../bench/common';
import { RUNTIME } from '../test/helpers/containerd';
import { busyboxRootfs } from '../test/helpers/fixtures';
import { hugetlbForCrun } from '../test/helpers/hugetlb';

const TIMEOUT_MS = Number(process.env.VALIDATION_TIMEOUT ?? 120) * 1000;

interface Result {
  /** TAP points: ok (not skipped), not ok, ok # SKIP */
  pass: number;
  fail: number;
  skip: number;
  planned?: number;
  exit: number | null;
  /** the not-ok points' descriptions */
  failures: string[];
  /** YAML "error" diagnostics: how the lifecycle programs (hooks, prestart, poststop, ...) fail, with no point at all */
  errors: string[];
  /** what else the program said: the runtime's errors it passes on */
  notes: string[];
}

interface Runtime {
  name: string;
  bin?: string;
  why?: string;
}

function die(msg: string): never {
  console.error(`runtime-validation: ${msg}`);
  process.exit(1);
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** TAP 13 as tap-go writes it: `ok N - desc`, `not ok N - desc`, `ok N # SKIP why`, `1..N`, YAML blocks. */
export function parseTap(out: string, stderr: string, exit: number | null): Result {
  const r: Result = { pass: 0, fail: 0, skip: 0, exit, failures: [], errors: [], notes: [] };
  const notes = new Set<string>();
  for (const line of out.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^not ok \d+\s*(?:-\s*)?(.*)$/.exec(line))) {
      r.fail++;
      r.failures.push(m[1].trim());
    } else if (/^ok \d+/.test(line)) {
      if (/#\s*skip/i.test(line)) r.skip++;
      else r.pass++;
    } else if ((m = /^1\.\.(\d+)/.exec(line))) {
      r.planned = Number(m[1]);
    } else if ((m = /^\s*"error": (".+")\s*,?$/.exec(line))) {
      // Some programs give every point an "error" (empty when it passed).
      r.errors.push((JSON.parse(m[1]) as string).split('\n')[0]);
    } else if (line.trim() && !/^(TAP version|\s)/.test(line)) {
      notes.add(line.trim());
    }
  }
  for (const line of stderr.split('\n')) if (line.trim()) notes.add(line.trim());
  r.notes = [...notes].slice(0, 8);
  if (exit !== 0) r.notes.unshift(exit === null ? 'killed' : `exit ${exit}`);
  return r;
}

/**
 * A program passes when it exits 0 with no failed point and no "error" diagnostic: the
 * lifecycle programs report through the diagnostic alone, with no point (`1..0`).
 */
function passed(r: Result): boolean {
  // With points, an "error" diagnostic can be what a passing point expected (misc_props).
  return r.exit === 0 && r.fail === 0 && (r.pass + r.skip > 0 || r.errors.length === 0);
}

function cell(r: Result | undefined): string {
  if (!r) return '-';
  if (r.pass + r.fail + r.skip === 0) return r.exit !== 0 ? 'error' : passed(r) ? 'pass' : 'fail';
  const s = `${r.pass}/${r.pass + r.fail}${r.skip ? ` (${r.skip} skip)` : ''}`;
  return r.exit !== 0 && r.fail === 0 ? `${s}, exit ${r.exit}` : s;
}

/** The cgroup directories the suite names (cgroups.AbsCgroupPath, RelCgroupPath), under each hierarchy, at its root and under this process's own cgroup. */
function suiteCgroups(): string[] {
  const root = '/sys/fs/cgroup';
  const own = new Map<string, string>();
  for (const l of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean)) {
    const [, ctrls, p] = l.split(':');
    for (const c of ctrls === '' ? ['unified'] : ctrls.split(',')) own.set(c.replace(/^name=/, ''), p);
  }
  const hierarchies = fs.existsSync(path.join(root, 'cgroup.controllers')) ? [root] : fs.readdirSync(root).map((h) => path.join(root, h));
  const out: string[] = [];
  for (const h of hierarchies) {
    const bases = new Set(['/', own.get(path.basename(h)) ?? own.get('unified') ?? '/']);
    for (const b of bases) {
      for (const rel of ['testdir/cgrouptest/container', 'testdir/cgrouptest', 'testdir', 'cgrouptest']) out.push(path.join(h, b, rel));
    }
  }
  return out;
}

/**
 * Mounts a program left on the host under dir, deepest first, detached (lazily) if busy: the
 * programs that leave the mount namespace out (linux_ns_itype) have runc and crun mount the
 * bundle's /proc, /dev and /sys in the host's.
 */
function unmountUnder(dir: string): void {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(`${dir}/`));
  for (const m of [...new Set(mounts)].sort().reverse()) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
}

async function main(): Promise<void> {
  const [src, ...only] = process.argv.slice(2);
  if (!src) die('usage: node dist/scripts/runtime-validation.js RUNTIME_TOOLS_SRC [TEST...] (an opencontainers/runtime-tools checkout)');
  if (process.getuid?.() !== 0) die('needs root (the runtimes make namespaces, mounts and cgroups)');
  for (const p of ['validation/util', 'cmd/runtimetest', 'vendor/modules.txt']) {
    if (!fs.existsSync(path.join(src, p))) die(`${src}: no ${p}; expected an opencontainers/runtime-tools checkout with its vendor/ (Debian's -dev package lacks validation/)`);
  }
  for (const [tool, pkg] of [['go', 'golang-go'], ['tar', 'tar'], ['busybox', 'busybox-static']]) {
    if (!which(tool)) die(`${tool} not found (apt-get install ${pkg})`);
  }
  if (!fs.existsSync(RUNTIME)) die(`${RUNTIME} not built (npx node-gyp rebuild)`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-validation-'));
  const runtimes: Runtime[] = [{ name: 'gocker', bin: RUNTIME }];
  for (const peer of ['runc', 'crun']) {
    const bin = which(peer);
    runtimes.push(bin ? { name: peer, bin } : { name: peer, why: `not installed (apt-get install ${peer})` });
  }
  const cgroupsBefore = new Set(suiteCgroups().filter((d) => fs.existsSync(d)));
  const cleanups: Array<() => void> = [];
  const cleanup = (): void => {
    for (const f of cleanups.splice(0).reverse()) {
      try {
        f();
      } catch (e) {
        console.error(`runtime-validation: cleanup: ${(e as Error).message}`);
      }
    }
  };
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  // As /tmp (where the suite puts its bundles by default): a container whose root user is
  // mapped to another uid must still reach its bundle.
  fs.chmodSync(work, 0o755);
  cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
  cleanups.push(() => unmountUnder(work));
  const removeCgroups = (): void => {
    // Deepest first; a directory that is not empty of processes stays, and is named.
    for (const d of suiteCgroups()) {
      if (cgroupsBefore.has(d) || !fs.existsSync(d)) continue;
      try {
        fs.rmdirSync(d);
      } catch (e) {
        console.error(`runtime-validation: left ${d}: ${(e as Error).message}`);
      }
    }
  };
  cleanups.push(removeCgroups);

  try {
    // The suite's programs, runtimetest (static: it runs inside the busybox rootfs), and the
    // rootfs, side by side in bin/, where the programs look for them (their working directory).
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    const goEnv = { ...process.env, GOPATH: path.join(work, 'gopath'), GOCACHE: path.join(work, 'gocache'), GOFLAGS: '-mod=vendor', GOPROXY: 'off', GOTOOLCHAIN: 'local' };
    const t0 = Date.now();
    const b1 = run('go', ['build', '-tags', 'netgo osusergo', '-o', path.join(bin, 'runtimetest'), './cmd/runtimetest'], { cwd: src, env: { ...goEnv, CGO_ENABLED: '0' } });
    if (b1.status !== 0) die(`go build ./cmd/runtimetest: ${b1.stderr.trim()}`);
    const b2 = run('go', ['build', '-o', `${bin}/`, './validation/...'], { cwd: src, env: goEnv });
    if (b2.status !== 0) die(`go build ./validation/...: ${b2.stderr.trim()}`);
    console.error(`built the suite in ${((Date.now() - t0) / 1000).toFixed(1)} s (${run('go', ['version']).stdout.trim()})`);
    const rootfs = await busyboxRootfs();
    const tar = run('tar', ['--numeric-owner', '-czf', path.join(bin, `rootfs-${process.arch === 'x64' ? 'amd64' : process.arch}.tar.gz`), '-C', rootfs, '.']);
    if (tar.status !== 0) die(`tar: ${tar.stderr.trim()}`);

    const tests = fs.readdirSync(bin).filter((f) => f !== 'runtimetest' && !f.endsWith('.tar.gz')).filter((t) => !only.length || only.includes(t)).sort();
    if (!tests.length) die(`no such test: ${only.join(' ')}`);
    const results = new Map<string, Map<string, Result>>(tests.map((t) => [t, new Map()]));
    for (const rt of runtimes) {
      if (!rt.bin) continue;
      const state = path.join(work, `state-${rt.name}`);
      const tmp = path.join(work, `tmp-${rt.name}`);
      fs.mkdirSync(state);
      fs.mkdirSync(tmp);
      fs.chmodSync(tmp, 0o1777);
      const wrapper = path.join(work, `${rt.name}-runtime`);
      fs.writeFileSync(wrapper, `#!/bin/sh\nexec '${rt.bin}' --root '${state}' "$@"\n`, { mode: 0o755 });
      // What a program leaves: its containers, deleted by force before the next program runs.
      const sweep = (): void => {
        const l = run(wrapper, ['list', '-q']);
        for (const id of l.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) run(wrapper, ['delete', '--force', id]);
        unmountUnder(tmp);
      };
      cleanups.push(sweep);
      const unmount = rt.name === 'crun' ? hugetlbForCrun() : undefined;
      if (unmount) cleanups.push(unmount);
      try {
        const t1 = Date.now();
        for (const t of tests) {
          const p = run(path.join(bin, t), [], { cwd: bin, env: { ...process.env, RUNTIME: wrapper, TMPDIR: tmp }, timeout: TIMEOUT_MS });
          const exit = p.signal ? null : p.status;
          const r = parseTap(p.stdout, p.stderr + (p.signal ? `\nkilled by ${p.signal} after ${TIMEOUT_MS / 1000} s` : ''), exit);
          results.get(t)!.set(rt.name, r);
          sweep();
        }
        console.error(`${rt.name}: ${tests.length} programs in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      } finally {
        sweep();
        // Also what this runtime left in the cgroups the suite names, before the next one
        // runs: on a hybrid host a v2 cgroup left with hugetlb would keep crun's hugetlb v1
        // mount from taking the controller.
        removeCgroups();
        cleanups.splice(cleanups.indexOf(sweep), 1);
        if (unmount) {
          cleanups.splice(cleanups.indexOf(unmount), 1);
          unmount();
        }
      }
    }

    const m = machine();
    const names = runtimes.map((r) => r.name);
    console.log(`opencontainers/runtime-tools validation (${fs.readFileSync(path.join(src, 'VERSION'), 'utf8').trim().replace(/\s+/g, ' ')}) — ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Linux ${m.kernel}, ${m.date}`);
    console.log('cells: TAP points passed / tested (skips apart); pass or fail: a program that reports by diagnostic alone; "error": it stopped before its first point\n');
    console.log(`| test | ${names.join(' | ')} |\n|---|${names.map(() => '---|').join('')}`);
    for (const t of tests) console.log(`| ${t} | ${runtimes.map((rt) => (rt.bin ? cell(results.get(t)!.get(rt.name)) : '-')).join(' | ')} |`);
    const totals = runtimes.map((rt) => {
      if (!rt.bin) return `skipped: ${rt.why}`;
      const rs = tests.map((t) => results.get(t)!.get(rt.name)!);
      const pass = rs.reduce((a, r) => a + r.pass, 0), fail = rs.reduce((a, r) => a + r.fail, 0);
      return `${rs.filter(passed).length}/${tests.length} programs, ${pass}/${pass + fail} points`;
    });
    console.log(`| **all** | ${totals.join(' | ')} |`);
    for (const rt of runtimes) {
      if (!rt.bin) continue;
      const failing = tests.filter((t) => !passed(results.get(t)!.get(rt.name)!));
      if (!failing.length) continue;
      console.log(`\n${rt.name} fails:`);
      for (const t of failing) {
        const r = results.get(t)!.get(rt.name)!;
        console.log(`  ${t}: ${[...new Set([...r.failures, ...r.errors])].slice(0, 4).join('; ')} | ${r.notes.slice(0, 4).join(' | ')}`);
      }
    }
    const out = path.resolve(process.env.VALIDATION_OUT ?? 'runtime-validation.json');
    const json = {
      machine: m,
      suite: { source: path.resolve(src), version: fs.readFileSync(path.join(src, 'VERSION'), 'utf8').trim() },
      runtimes: runtimes.map((r) => ({ name: r.name, path: r.bin, version: r.bin ? run(r.bin, ['--version']).stdout.trim().split('\n')[0] : undefined, skipped: r.why })),
      tests: Object.fromEntries(tests.map((t) => [t, Object.fromEntries(results.get(t)!)])),
    };
    fs.writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nJSON: ${out}`);
  } finally {
    cleanup();
  }
}

main().catch((e: unknown) => die((e as Error).message));
