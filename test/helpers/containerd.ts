// A containerd of the caller's own (Debian's containerd): its root, state and sockets in a
// temporary directory, the CRI plugin off (or on, with gocker-runtime as its runtime handler
// `gocker`, as a Kubernetes node registers a RuntimeClass), busybox imported from a `gocker save`
// archive. stop() ends it by its pid and removes everything it and its shims made, for tests and
// bench/runtime alike.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, gocker, importBusybox, tempRoots } from './cli';

export const RUNTIME = path.join(REPO, 'build', 'Release', 'gocker-runtime');
export const IMAGE = 'docker.io/library/busybox:latest';
/** The CRI plugin's sandbox image: busybox committed with a CMD that sleeps, as pause does. */
export const PAUSE_IMAGE = 'localhost/gocker-test-pause:latest';
/** The containerd namespace the CRI plugin keeps its pods and images in. */
export const CRI_NS = 'k8s.io';
// Made by ctr and the shims, whatever containerd's own root and state are.
const RUN_DIRS = ['/run/containerd/fifo', '/run/containerd/s', '/run/containerd/runc', '/run/containerd'];

export interface Containerd {
  base: string;
  sock: string;
  /** the shim's runc --root (ctr's --runc-root), under which the shim adds the namespace */
  runcRoot: string;
  /** a containerd namespace of the caller's own: containerd's cgroupsPath is /NAMESPACE/ID */
  ns: string;
  /** with cri: the cgroup parent to give pods, so that their cgroups are under ns and go with stop() */
  cgroupParent: string;
  ctr(args: string[], timeout?: number): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

const CAP_SYS_RESOURCE = 24;
function hasCapability(cap: number): boolean {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return eff !== null && (BigInt(`0x${eff[1]}`) & (1n << BigInt(cap))) !== 0n;
}

/** The directories of a cgroup path under every hierarchy this host mounts. */
export function cgroupDirs(rel: string): string[] {
  const root = '/sys/fs/cgroup';
  if (fs.existsSync(path.join(root, 'cgroup.controllers'))) return [path.join(root, rel)];
  return fs.readdirSync(root).map((h) => path.join(root, h, rel));
}

/** rel's cgroup (a runtime's cgroup parent) in every hierarchy, and the containers' below it, removed. */
export function removeCgroupParent(rel: string): void {
  for (const d of cgroupDirs(rel)) {
    if (!fs.existsSync(d)) continue;
    for (const c of fs.readdirSync(d, { withFileTypes: true })) if (c.isDirectory()) fs.rmdirSync(path.join(d, c.name));
    fs.rmdirSync(d);
  }
}

/** What a failure left mounted under dir, deepest first. */
export function unmountUnder(dir: string): void {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(dir + '/'));
  for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m]);
}

export async function startContainerd(prefix: string, opts: { cri?: boolean } = {}): Promise<Containerd> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const sock = path.join(base, 'containerd.sock');
  const ns = `${path.basename(base)}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const runDirsBefore = new Set(RUN_DIRS.filter((d) => fs.existsSync(d)));
  // ctr leaves the FIFOs of a detached exec in a directory of their own there, and a shim
  // killed rather than stopped leaves its socket.
  const entries = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
  const before = new Map(RUN_DIRS.slice(0, 2).map((d) => [d, new Set(entries(d))]));
  const ctrIn = (namespace: string, args: string[], timeout = 60_000) => {
    const r = spawnSync('ctr', ['-a', sock, '-n', namespace, ...args], { encoding: 'utf8', timeout });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const ctr = (args: string[], timeout = 60_000) => ctrIn(ns, args, timeout);
  const runcRoot = path.join(base, 'runc-root');
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  fs.writeFileSync(path.join(base, 'config.toml'), [
    'version = 2',
    `root = "${base}/root"`,
    `state = "${base}/state"`,
    ...(opts.cri ? [] : ['disabled_plugins = ["io.containerd.grpc.v1.cri"]']),
    '[grpc]',
    `  address = "${sock}"`,
    '[ttrpc]',
    `  address = "${sock}.ttrpc"`,
    // The handler a RuntimeClass names: the runc v2 shim, with gocker-runtime for runc. No CNI
    // (the tests' pods use the node's network, as hostNetwork pods do).
    ...(opts.cri ? [
      `[${cri}]`,
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      // A pod sandbox's oomScoreAdj is -998, which needs CAP_SYS_RESOURCE: where the host's root
      // lacks it (some VMs and sandboxes do), the scores are kept no lower than containerd's
      // own, as on a rootless node; every runtime would fail the write otherwise.
      ...(hasCapability(CAP_SYS_RESOURCE) ? [] : ['  restrict_oom_score_adj = true']),
      '  stream_server_address = "127.0.0.1"',
      `[${cri}.cni]`,
      `  bin_dir = "${base}/cni/bin"`,
      `  conf_dir = "${base}/cni/conf"`,
      // The node's default stays runc (a pod without the RuntimeClass runs there).
      `[${cri}.containerd.runtimes.runc]`,
      '  runtime_type = "io.containerd.runc.v2"',
      `[${cri}.containerd.runtimes.runc.options]`,
      `  Root = "${base}/runc-default"`,
      `[${cri}.containerd.runtimes.gocker]`,
      '  runtime_type = "io.containerd.runc.v2"',
      `[${cri}.containerd.runtimes.gocker.options]`,
      `  BinaryName = "${RUNTIME}"`,
      `  Root = "${runcRoot}"`,
    ] : []),
    '',
  ].join('\n'));
  const log = fs.openSync(path.join(base, 'containerd.log'), 'w');
  const daemon: ChildProcess = spawn('containerd', ['--config', path.join(base, 'config.toml')], { stdio: ['ignore', log, log] });
  fs.closeSync(log);

  /** The containerd shims serving this containerd (by its socket in their argv). */
  const shims = (): number[] => {
    const out: number[] = [];
    for (const p of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        if (argv[0].endsWith('containerd-shim-runc-v2') && argv.includes(sock)) out.push(Number(p));
      } catch {
        // gone meanwhile
      }
    }
    return out;
  };
  const stop = async (): Promise<void> => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      for (const n of opts.cri ? [ns, CRI_NS] : [ns]) {
        for (const id of ctrIn(n, ['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
          ctrIn(n, ['task', 'rm', '-f', id]);
          ctrIn(n, ['containers', 'rm', id]);
        }
      }
      ctr(['images', 'rm', IMAGE]);
      const exited = new Promise((r) => daemon.once('exit', r));
      process.kill(daemon.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (daemon.exitCode === null && daemon.signalCode === null) process.kill(daemon.pid!, 'SIGKILL');
    }
    for (const pid of shims()) process.kill(pid, 'SIGKILL');
    // Snapshots a failure left mounted.
    unmountUnder(base);
    fs.rmSync(base, { recursive: true, force: true });
    removeCgroupParent(ns);
    for (const [dir, had] of before) for (const f of entries(dir)) if (!had.has(f)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    // The shim makes runc's default root for our namespace too (seen with a user namespace's
    // container), whatever --runc-root says.
    fs.rmSync(path.join('/run/containerd/runc', ns), { recursive: true, force: true });
    for (const d of RUN_DIRS) {
      if (runDirsBefore.has(d)) continue;
      try {
        fs.rmdirSync(d);
      } catch {
        // not empty: not only ours
      }
    }
  };
  try {
    for (let end = Date.now() + 20_000; ctr(['version'], 5000).status !== 0; await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > end || daemon.exitCode !== null) throw new Error(`containerd did not start: ${fs.readFileSync(path.join(base, 'containerd.log'), 'utf8').trim().split('\n').pop()}`);
    }
    // The busybox fixture, by way of gocker's own docker-archive.
    const roots = tempRoots(`${prefix}img-`);
    try {
      await importBusybox(roots.args, IMAGE);
      const archive = path.join(base, 'busybox.tar');
      const s = gocker([...roots.args, 'save', '-o', archive, IMAGE]);
      if (s.status !== 0) throw new Error(`gocker save: ${s.stderr}`);
      const i = ctr(['images', 'import', archive]);
      if (i.status !== 0) throw new Error(`ctr images import: ${i.stderr}`);
      if (opts.cri) {
        const pause = path.join(base, 'pause.tar');
        for (const args of [['create', '--name', 'pause', IMAGE, 'true'], ['commit', '-c', 'CMD ["/bin/sleep", "2147483647"]', 'pause', PAUSE_IMAGE], ['rm', 'pause'], ['save', '-o', pause, IMAGE, PAUSE_IMAGE]]) {
          const r = gocker([...roots.args, ...args]);
          if (r.status !== 0) throw new Error(`gocker ${args[0]}: ${r.stderr}`);
        }
        const p = ctrIn(CRI_NS, ['images', 'import', pause]);
        if (p.status !== 0) throw new Error(`ctr images import: ${p.stderr}`);
      }
    } finally {
      roots.remove();
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, sock, runcRoot, ns, cgroupParent: `/${ns}`, ctr, stop };
}
