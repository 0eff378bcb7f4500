// A new container's spec and record: the image config and the typed options checked, its
// directories, name and mounts made, and docker's Config and HostConfig turned into the OCI
// config.json the monitor runs (lib/spec) and the record inspect shows. Nothing is started
// here: run.ts launches what this prepares.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroupManager, DEFAULT_SHM_SIZE, parseShmSize, type ContainerCgroup, type Resources } from '../cgroups';
import { GockerError, isErrno } from '../errors';
import type { ImageRecord } from '../store/types';
import type { StorePaths } from '../store/paths';
import { boundingCaps, effectiveCaps } from '../spec/caps';
import {
  DEFAULT_DEVICES, buildSpec, commandOf, deviceRules, envOf,
  type CreateConfig, type OciDevice, type OciMount, type OciSpec, type SpecMount,
} from '../spec';
import { ZERO_TIME, type ContainerRecord } from './record';
import { checkWorkdir, planMounts, resolveMounts, type ResolvedMounts } from './mounts';
import { PRIVATE_DIR, PRIVATE_FILE } from '../store/perms';
import { invalidName, reserveName } from './names';
import { abandonContainer } from './teardown';
import { newContainerId } from './state';
import { resolveUser } from './user';
import { checkSecurityOpts, seccompProgram } from '../spec/seccomp';
import { helperPath } from './monitor';
import { hostGateway } from '../network';
import { BASE_HOSTS, planNetworking, type NetworkPlan } from './network';
import { extraHostsLines, parseRunFlags, resolvConf, type RunFlags } from './runflags';
import { restartPolicyOf } from './restart';
import { checkLogConfig, checkUlimits, tmpfsMount, type LogConfig, type RunOptions } from './run-options';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

// What --privileged leaves out of the host's /dev: mounted or made per container, or
// meaningless inside one.
const HOST_DEV_SKIP = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/fd', '/dev/console', '/dev/ptmx', '/dev/tty']);

/** --privileged: the host's device nodes, as docker gives them (same numbers, modes, owners). */
function hostDevices(dir = '/dev', out: OciDevice[] = []): OciDevice[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (HOST_DEV_SKIP.has(p) || DEFAULT_DEVICES.some((d) => d.path === p)) continue;
    if (e.isDirectory()) {
      hostDevices(p, out);
    } else if (e.isCharacterDevice() || e.isBlockDevice()) {
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        continue;
      }
      // glibc's gnu_dev_major/minor: the 64-bit dev_t's two split fields.
      const rdev = BigInt(st.rdev);
      const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
      const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
      out.push({ path: p, type: e.isBlockDevice() ? 'b' : 'c', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
  }
  return out;
}

interface PrepareVars {
  id: string; name: string; body: CreateConfig; cfg: NonNullable<ImageRecord['config']['config']>; argv: string[]; entrypoint: string[]; cmd: string[];
  user: string; u: ReturnType<typeof resolveUser>; hostname: string; env: string[]; network: NetworkPlan; mounts: ResolvedMounts;
  ulimits: Array<[string, number, number]>; available: string[]; shmSize: number;
  securityOpt: string[]; seccomp: ReturnType<typeof seccompProgram>; logConfig: LogConfig;
  tmpfs: Array<ReturnType<typeof tmpfsMount>>; dir: string; run: string; vfs: boolean; flags: RunFlags;
}

export interface Prepared {
  rec: ContainerRecord;
  spec: OciSpec;
  /** where the container's cgroup goes: made by launch(), while the monitor sets up */
  cgroup: ContainerCgroup;
  limits: Resources;
  /** files the container bind-mounts (after its cgroups): written while the monitor sets up */
  files: Array<[string, string]>;
}

/** Validates; makes the dirs and the spec, and the record to save. Nothing is left behind on error. */
export async function prepareContainer(paths: StorePaths, o: RunOptions, image: ImageRecord, resources: Resources): Promise<Prepared> {
  const cfg = image.config.config ?? {};
  const id = newContainerId();
  if (o.name !== undefined && !NAME_RE.test(o.name)) throw invalidName(o.name);
  // docker's ContainerCreate Config, as docker's CLI would send it.
  const body: CreateConfig = {
    Hostname: o.hostname, User: o.user, Cmd: o.command?.length ? o.command : null, WorkingDir: o.workdir, Tty: !!o.tty,
    Entrypoint: o.entrypoint === undefined ? null : o.entrypoint === '' ? [] : [o.entrypoint],
    Env: o.env ?? [],
  };
  const { entrypoint, cmd, command } = commandOf(body, cfg);
  const argv = o.init ? ['/sbin/docker-init', '--', ...command] : command;

  const layerDirs = image.layers.map((l) => l.dir);
  const user = o.user ?? cfg.User ?? '';
  const u = user ? resolveUser(user, layerDirs) : resolveUser('0', layerDirs);
  const network = await planNetworking(paths, o, Object.keys(cfg.ExposedPorts ?? {}));
  if (network.joined && o.hostname !== undefined) throw engineError('conflicting options: hostname and the network mode');
  const flags = await parseRunFlags(paths, o, cfg, network);
  if (flags.utsMode === 'host') body.Hostname = os.hostname();
  // container:NAME shares that container's hostname too, as docker.
  if (network.joined) body.Hostname = network.joined.Config.Hostname;
  const hostname = body.Hostname || id.slice(0, 12);
  // Config.Env: the image's and the flags' alone (what commit keeps); the process gets
  // processEnv()'s defaults around it (buildSpec).
  const env = envOf(body, cfg);
  checkWorkdir(o.workdir);
  const ulimits = checkUlimits(o.ulimits ?? []);
  const available = boundingCaps();
  const caps = effectiveCaps({ add: o.capAdd, drop: o.capDrop, privileged: o.privileged, available });
  // seccomp= holds the profile itself, as docker's CLI sends it: the record keeps it.
  const securityOpt = checkSecurityOpts(o.securityOpt ?? []);
  // Compiled now, before anything of the container exists: a bad profile leaves nothing.
  const seccomp = seccompProgram(securityOpt, !!o.privileged, caps, path.join(paths.runroot, 'seccomp'));
  const shmSize = o.shmSize ? parseShmSize(o.shmSize) : DEFAULT_SHM_SIZE;
  const tmpfs = Object.entries(o.tmpfs ?? {}).map(([target, opts]) => tmpfsMount(target, opts));
  const mountPlan = planMounts(o, cfg.Volumes, tmpfs.map((t) => t.dest));
  const logConfig = checkLogConfig(o.logDriver, o.logOpts);
  // Checked with the other flags, before anything of the container exists.
  restartPolicyOf(o.restart, !!o.rm);

  const dir = paths.container(id);
  const run = paths.runContainer(id);
  const vfs = paths.driver === 'vfs';
  // The directory first: it is what makes the name's claim live (see names.ts). 0700, as
  // what is made under runroot: the container's state is root's alone (store/perms.ts).
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  let name: string;
  try {
    name = await reserveName(paths, o.name, id);
  } catch (e) {
    await abandonContainer(paths, { id });
    throw e;
  }
  let mounts: ResolvedMounts | undefined;
  try {
    // Once the container's directory exists: it is what keeps its volumes in use.
    mounts = await resolveMounts(paths, id, mountPlan, image);
    return prepareDirs(paths, o, image, resources, { id, name, body, cfg, argv, entrypoint, cmd, user, u, hostname, env, network, mounts, ulimits, available, securityOpt, seccomp, logConfig, shmSize, tmpfs, dir, run, vfs, flags });
  } catch (e) {
    await abandonContainer(paths, { id, name, mounts });
    throw e;
  }
}

function prepareDirs(paths: StorePaths, o: RunOptions, image: ImageRecord, resources: Resources, v: PrepareVars): Prepared {
  const { id, name, body, cfg, argv, entrypoint, cmd, user, u, hostname, env, network, mounts, ulimits, available, securityOpt, seccomp, logConfig, shmSize, tmpfs, dir, run, vfs, flags } = v;
  // overlay2: an upper and a work dir over the image's layers. vfs: rootfs/, filled with a
  // copy of the image's top layer (a full tree) by run() before the monitor starts.
  if (!vfs) {
    fs.mkdirSync(path.join(dir, 'upper'), { recursive: true, mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'work'), { recursive: true });
  }
  fs.mkdirSync(path.join(run, 'merged'), { recursive: true, mode: PRIVATE_DIR });
  // container:NAME: that container's files, as docker shares them (and never writes them here).
  const joined = network.joined;
  const hostnamePath = joined?.HostnamePath ?? path.join(dir, 'hostname');
  const hostsPath = joined?.HostsPath ?? path.join(dir, 'hosts');
  const resolvPath = joined?.ResolvConfPath ?? path.join(dir, 'resolv.conf');
  // On a bridge network the container's own address line is added when it has one (attach).
  const hostNet = network.mode === 'host';
  const files: Array<[string, string]> = joined ? [] : [
    [hostnamePath, `${hostname}\n`],
    [hostsPath, (hostNet ? readOr('/etc/hosts', '127.0.0.1\tlocalhost\n') : BASE_HOSTS) + extraHostsLines(flags.extraHosts, hostGateway)],
    [resolvPath, resolvConf(hostNet ? readOr('/etc/resolv.conf', '') : resolvForContainer(), flags.dns, flags.dnsSearch, flags.dnsOptions)],
  ];

  const cgroupName = `gocker/${id}`;
  const mgr = cgroupManager();
  const cgroup = mgr.open(cgroupName);
  const join = cgroup.attachFiles();
  const logPath = path.join(dir, `${id}-json.log`);
  // Kept with the container, as its spec is: the monitor reads it as it starts.
  const seccompFile = path.join(dir, 'seccomp.bpf');
  if (seccomp) fs.writeFileSync(seccompFile, seccomp.bpf, { mode: PRIVATE_FILE });
  const lim = (n: number): number => (n === Infinity ? -1 : n);
  const spec = buildSpec({
    id,
    config: body,
    image: cfg,
    hostConfig: {
      NetworkMode: network.mode, Privileged: !!o.privileged, ReadonlyRootfs: !!o.readOnly, CapAdd: o.capAdd ?? null, CapDrop: o.capDrop ?? null,
      SecurityOpt: securityOpt, Init: !!o.init, ShmSize: shmSize, Memory: resources.memory ?? 0, MemorySwap: resources.memorySwap ?? 0,
      NanoCpus: resources.nanoCpus ?? 0, CpuShares: resources.cpuShares ?? 0, CpusetCpus: resources.cpusetCpus ?? '', PidsLimit: resources.pidsLimit ?? null,
      Ulimits: ulimits.map(([Name, Soft, Hard]) => ({ Name, Soft: lim(Soft), Hard: lim(Hard) })),
      Mounts: tmpfs.map((t): SpecMount => ({ Type: 'tmpfs', Target: t.dest, Options: t.options })),
      LogConfig: logConfig,
      PidMode: flags.pidMode, IpcMode: flags.ipcMode, UTSMode: flags.utsMode, Sysctls: flags.sysctls, DeviceCgroupRules: flags.deviceCgroupRules,
    },
    facts: {
      user: { uid: u.uid, gid: u.gid, additionalGids: u.groups, home: u.home },
      availableCaps: available,
      seccomp: seccomp && { profile: seccomp.profile, program: seccompFile },
      cgroup: {
        path: cgroupName,
        mounts: mgr.mode === 'v2' ? 'v2'
          : mgr.layout.hierarchies.filter((h) => h.version === 1).map((h) => ({ name: path.basename(h.mountpoint), options: h.options ?? h.controllers })),
        joinSelf: join.self,
        joinByPid: join.byPid,
        oomEvents: cgroup.oomEventsFile(),
        deviceProgramTarget: cgroup.deviceProgramTarget(),
      },
      mounts: mounts.monitor.map((x): OciMount => {
        // Refused as before config.json, when the monitor's spec split its fields at US: no
        // path docker takes holds it, and an image's VOLUME with one meant to choose flags.
        const bad = [x.source, x.dest, x.data].find((f) => f.includes('\x1f'));
        if (bad !== undefined) throw engineError(`invalid mount ${JSON.stringify(bad)}: a path or option may not contain the character \\x1f`);
        return { destination: x.dest, type: x.type || 'bind', source: x.source, options: [...x.flags.split(','), ...x.data.split(',')].filter(Boolean) };
      }),
      hostDevices: o.privileged ? hostDevices() : [],
      devices: flags.devices,
      rootfs: vfs ? { bind: path.join(dir, 'rootfs') }
        : { overlay: { root: paths.root, lower: image.layers.slice().reverse().map((l) => `l/${l.link}`), upper: path.join(dir, 'upper'), work: path.join(dir, 'work') } },
      paths: {
        merged: path.join(run, 'merged'), pidFile: path.join(run, 'pid'), exitFile: path.join(run, 'exit.json'), startedFile: path.join(run, 'started'),
        log: logPath, hostname: hostnamePath, hosts: hostsPath, resolvConf: resolvPath, init: o.init ? helperPath('gocker-init') : undefined,
        shm: flags.ipcMode === 'shareable' ? path.join(run, 'shm')
          : flags.ipcMode.startsWith('container:') ? path.join(paths.runContainer(flags.ipcMode.slice(10)), 'shm') : undefined,
      },
    },
  });

  const now = new Date().toISOString();
  const rec: ContainerRecord = {
    Id: id,
    Name: `/${name}`,
    Created: now,
    Path: argv[0],
    Args: argv.slice(1),
    Image: image.id,
    RestartCount: 0,
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: 0, OOMKilled: false, StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME, Error: '' },
    Config: {
      Hostname: hostname, User: user, Env: env, Cmd: cmd.length ? cmd : null, Entrypoint: entrypoint.length ? entrypoint : null,
      Image: o.image, WorkingDir: o.workdir ?? cfg.WorkingDir ?? '', Labels: flags.labels, StopSignal: flags.stopSignal, StopTimeout: flags.stopTimeout,
      ExposedPorts: network.exposed.length ? Object.fromEntries(network.exposed.map((p) => [p, {}])) : undefined,
      Tty: !!o.tty, OpenStdin: !!o.interactive,
      // -a names the streams; without it a foreground run attaches stdout, stderr and with -i stdin.
      AttachStdin: flags.attach ? flags.attach.stdin : !!o.interactive && !o.detach,
      AttachStdout: flags.attach ? flags.attach.stdout : !o.detach, AttachStderr: flags.attach ? flags.attach.stderr : !o.detach,
    },
    HostConfig: {
      // -v /path is no bind: docker keeps it with the container's (anonymous) volumes.
      Binds: (o.volume ?? []).some((v) => v.includes(':')) ? o.volume!.filter((v) => v.includes(':')) : null, NetworkMode: network.mode,
      PortBindings: Object.keys(network.portBindings).length ? network.portBindings : null, PublishAllPorts: !!o.publishAll, AutoRemove: !!o.rm, Privileged: !!o.privileged,
      ReadonlyRootfs: !!o.readOnly, CapAdd: o.capAdd ?? null, CapDrop: o.capDrop ?? null, SecurityOpt: securityOpt.length ? securityOpt : null, Init: !!o.init,
      Memory: resources.memory ?? 0, MemorySwap: resources.memorySwap ?? (resources.memory ? 2 * resources.memory : 0), NanoCpus: resources.nanoCpus ?? 0, CpuShares: resources.cpuShares ?? 0,
      CpusetCpus: resources.cpusetCpus ?? '', PidsLimit: resources.pidsLimit ?? null, ShmSize: shmSize,
      Mounts: mounts.specs.length ? mounts.specs : null,
      Tmpfs: Object.keys(o.tmpfs ?? {}).length ? { ...o.tmpfs } : null,
      // In go-units' Ulimit field order, which docker's inspect shows: Name, Hard, Soft.
      Ulimits: ulimits.length ? ulimits.map(([Name, Soft, Hard]) => ({ Name, Hard: Hard === Infinity ? -1 : Hard, Soft: Soft === Infinity ? -1 : Soft })) : null,
      LogConfig: logConfig,
      ExtraHosts: flags.extraHosts.length ? flags.extraHosts : null, Dns: flags.dns, DnsSearch: flags.dnsSearch, DnsOptions: flags.dnsOptions,
      Devices: flags.deviceMappings, DeviceCgroupRules: flags.deviceCgroupRules.length ? flags.deviceCgroupRules : null,
      IpcMode: flags.ipcMode, PidMode: flags.pidMode, UTSMode: flags.utsMode,
      ...(Object.keys(flags.sysctls).length ? { Sysctls: flags.sysctls } : {}),
      RestartPolicy: restartPolicyOf(o.restart, !!o.rm),
    },
    Mounts: mounts.records,
    NetworkSettings: { IPAddress: '', Ports: {}, Networks: Object.keys(network.networks).length ? network.networks : { [network.mode]: {} } },
    // vfs has no layers under the container: its whole tree is the "upper" dir.
    GraphDriver: vfs
      ? { Name: 'vfs', Data: { LowerDir: '', UpperDir: path.join(dir, 'rootfs'), MergedDir: path.join(run, 'merged'), WorkDir: '' } }
      : {
        Name: 'overlay2',
        Data: { LowerDir: image.layers.slice().reverse().map((l) => l.dir).join(':'), UpperDir: path.join(dir, 'upper'), MergedDir: path.join(run, 'merged'), WorkDir: path.join(dir, 'work') },
      },
    LogPath: logPath,
    HostnamePath: hostnamePath,
    HostsPath: hostsPath,
    ResolvConfPath: resolvPath,
    CgroupPath: cgroupName,
  };
  return { rec, spec, cgroup, limits: { ...resources, devices: deviceRules({ Privileged: !!o.privileged, DeviceCgroupRules: flags.deviceCgroupRules }, flags.devices) }, files };
}

export function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e)) return fallback;
    throw e;
  }
}

/** The host's resolv.conf without loopback nameservers (unreachable from a new netns), as docker. */
function resolvForContainer(): string {
  const lines = readOr('/etc/resolv.conf', '').split('\n');
  const kept = lines.filter((l) => !/^\s*nameserver\s+(127\.|::1\s*$)/.test(l));
  if (!kept.some((l) => /^\s*nameserver/.test(l))) kept.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return `${kept.filter((l, i) => l || i < kept.length - 1).join('\n')}\n`;
}
