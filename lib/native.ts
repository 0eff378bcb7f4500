// The one typed declaration of the addon, and the one place that loads it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError } from './errors';

export interface Utsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
}

export interface StatFs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** An archive being written by the addon's tar writer (native/tarwrite.cc). */
export interface TarHandle { readonly h: unknown }

export interface TarOptions {
  /** an overlay upper dir as an OCI layer: whiteout devices as .wh.NAME, opaque directories with .wh..wh..opq */
  ociWhiteouts?: boolean;
  /** archive paths (no leading or trailing '/') left out when they are an empty file or directory */
  skipEmpty?: string[];
}

/** Everything native/ exports. Errors thrown are Node-fs-shaped (code, errno, syscall, path). */

export interface NativeBinding {
  /** sha256 of the native sources it was built from (native/source-hash.js) */
  sourceHash: string;
  uname(): Utsname;
  statfs(path: string): StatFs;
  /**
   * mount(2); with cwd, relative paths in source and data are resolved from cwd (by a thread
   * of its own: the process's working directory never changes).
   */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null, cwd?: string): void;
  umount(target: string, flags?: number): void;
  /** true, or the Node-shaped error unshare(2) returned. */
  probeNamespace(cloneFlag: number): true | NodeJS.ErrnoException;
  /** Which of the system calls containment needs this kernel has (false: ENOSYS). */
  kernelFeatures(): Record<'openat2' | 'close_range' | 'mount_setattr' | 'open_tree' | 'pidfd_open' | 'seccomp', boolean>;
  supportsDType(dir: string): boolean;
  /** flock(2) on fd; false only when LOCK_NB was given and the lock is held elsewhere. */
  flock(fd: number, op: number): boolean;
  /** getxattr(2) (follows a last symlink, so /proc/self/fd/N reaches fd's inode); null when there is no such attribute. */
  getxattr(path: string, name: string): Buffer | null;
  /**
   * Applies a layer tar (optionally compressed) from file into dir, on worker threads;
   * onProgress hears how much of the file has been consumed, every half megabyte or so.
   * lowers (overlay form, top first): directories the layer needs but does not describe take
   * their mode, owner and times from these, as a mount would show them.
   * Rejects with code 'EBADLAYER' (message names the entry) or a fs-shaped error.
   */
  extractLayer(file: string, dir: string, compression: 'none' | 'gzip' | 'zstd', whiteouts: 'overlay' | 'delete',
    onProgress?: (compressedBytesRead: number) => void, lowers?: string[]):
    Promise<{ diffId: string; size: number; entries: number }>;
  /**
   * Copies src to dst (which must not exist; its parent must), on a worker thread, keeping
   * types, modes, xattrs, times and hardlinks; owners too unless uid/gid are >= 0. Each path
   * is resolved inside its root as if that were '/'. File data by reflink, copy_file_range
   * or read/write, in that order of preference. merge: into an existing tree, directories
   * merging and other entries replacing what is there. opts, for a copy onto the host out of
   * a container: skipDevices makes no device nodes (listed in skipped, relative to src, '' for
   * src itself); stripPrivilege drops setuid/setgid bits and file capabilities.
   */
  copyTree(srcRoot: string, src: string | Buffer, dstRoot: string, dst: string | Buffer, uid: number, gid: number, merge?: boolean,
    opts?: { skipDevices?: boolean; stripPrivilege?: boolean }):
    Promise<{ entries: number; bytes: number; reflinked: number; skipped: string[] }>;
  /**
   * A tar archive (PAX, GNU tar's pax flavour) of names (entries of dir, "." for dir itself)
   * and everything under them, walked as removeTree walks: tarRead gives its next bytes (at
   * least `bytes` unless it ends; null once it has), made on a worker thread; one read at a
   * time. tarClose releases the walk (at the end of a read under way).
   */
  /** names: entries of dir ('.' for dir itself); null for all of them, as dir's listing gives their bytes */
  tarOpen(dir: string, names: string[] | null, o?: TarOptions): TarHandle;
  tarRead(h: TarHandle, bytes: number): Promise<Buffer | null>;
  tarClose(h: TarHandle): void;
  /** The type of path resolved inside root, or null when it does not exist. */
  statIn(root: string, path: string, follow: boolean): 'file' | 'dir' | 'symlink' | 'other' | null;
  /** The target of the symlink at path resolved inside root, as text; null when it is not one. */
  readlinkIn(root: string, path: string): string | null;
  /**
   * posix_spawn(file, argv) with its fds 0, 1, 2 (and on) from these of ours (-1: /dev/null),
   * every signal at its default and none blocked; newSession: setsid. Returns the pid once
   * it has exec'ed.
   */
  spawn(file: string, argv: string[], stdio: number[], newSession: boolean): number;
  /** cfmakeraw on a terminal (as docker's CLI): the settings before, or null when fd is no terminal. */
  ttyMakeRaw(fd: number): Buffer | null;
  /** The settings ttyMakeRaw returned, back. */
  ttyRestore(fd: number, saved: Buffer): void;
  /** pipe2(O_CLOEXEC): [read end, write end]. */
  pipe(): [number, number];
  /**
   * socketpair(2), Unix stream, both ends close-on-exec: [ours (non-blocking), theirs (to pass
   * to a child)].
   */
  socketPair(): [number, number];
  /**
   * cb each time fd (the caller's, left open) is readable or its peer has gone, until
   * unwatchReadable; the watch keeps the event loop alive only after refReadable(fd, true).
   */
  watchReadable(fd: number, cb: () => void): void;
  /** Whether a watchReadable keeps the event loop alive (not at first). */
  refReadable(fd: number, on: boolean): void;
  /** Ends a watchReadable (before the fd is closed). */
  unwatchReadable(fd: number): void;
  /** pidfd_open(2): a close-on-exec fd for exactly this process. */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal(2); false when the process has exited. */
  pidfdSignal(pidfd: number, signal: number): boolean;
  /** cb once the child pid (ours) exits and is reaped; the event loop stays alive meanwhile. */
  watchExit(pid: number, cb: (code: number | null, signal: number | null) => void): void;
  /** The watch on pid no longer keeps the event loop alive (it still reaps). */
  unrefExit(pid: number): void;
  /** cb once the process behind a pidfd (any process, not reaped) exits; the fd is the watch's. */
  watchPidfd(pidfd: number, cb: () => void): void;
  /** Ends a watchPidfd without its callback, closing the fd. */
  unwatchPidfd(pidfd: number): void;
  /**
   * rm -rf on a worker thread: never follows a symlink, refuses (EXDEV) a directory on
   * another filesystem; a missing path is no error.
   */
  removeTree(path: string): Promise<void>;
  /** removeTree on the calling thread: for synchronous paths under the store's gc lock. */
  removeTreeSync(path: string): void;
  /**
   * The bytes of the regular files under path, walked as removeTree walks (no full path
   * built, no symlink followed, nothing on another filesystem); 0 if it is no directory.
   * What cannot be read counts as nothing. The walk ends at the first entry whose full path
   * is PATH_MAX bytes or longer (complete false, bytes those counted before), where docker's
   * walk by full paths fails.
   */
  treeUsageSync(path: string): { bytes: number; complete: boolean };
  /** n random bytes from getrandom(2), as hex. */
  randomHex(bytes: number): string;
  /** sha256 of a string (as UTF-8) or buffer, as hex. */
  sha256(data: string | Buffer): string;
  /**
   * A seccomp filter compiled by libseccomp from flat rules (lib/spec/seccomp.ts):
   * actions as SECCOMP_RET_* values, arches by docker's SCMP_ARCH_* names, argument
   * conditions as [index, SCMP_CMP_* number, datum_a, datum_b]. Returns the classic BPF
   * program (struct sock_filter[]); unknown syscall names are skipped, as runc does.
   */
  seccompCompile(rules: {
    defaultAction: number; architectures: string[];
    rules: Array<{ name: string; action: number; args: Array<[number, number, bigint, bigint]> }>;
  }): Buffer;
  /**
   * cgroup v2 device rules (all allows; -1: any major or minor) as a
   * BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[]): the first rule that matches
   * allows, none matching denies.
   */
  deviceProgram(rules: Array<{ type: 'a' | 'c' | 'b'; major: number; minor: number; access: string }>): Buffer;
  /** libseccomp's version (major.minor.micro), which shapes what seccompCompile makes. */
  seccompVersion(): string;
  /** A bridge (rtnetlink), with this MAC; EEXIST when there is one of that name. */
  netCreateBridge(name: string, mac: string): void;
  /** Brings a link up and/or sets its alias (IFLA_IFALIAS). */
  netSetLink(name: string, o: { up?: boolean; alias?: string }): void;
  /** Adds (or replaces) an IPv4 address on a link. */
  netAddAddress(name: string, address: string, prefixLength: number): void;
  /** Deletes a link (a veth pair with either end); false when there is none of that name. */
  netDeleteLink(name: string): boolean;
  /** Deletes the link with this MAC in the network namespace open at fd netns; false when there is none. */
  netDeleteLinkIn(netns: number, mac: string): boolean;
  /** The default route of the network namespace open at fd netns, via gateway on the link with this MAC; false when there is no such link. */
  netRouteVia(netns: number, mac: string, gateway: string): boolean;
  /**
   * A veth pair: `host` on the bridge and up, `peer` made in the network namespace open at fd
   * netns, up, with mac, address/prefixLength and a default route via gateway ('' for none).
   */
  netAttachVeth(o: { netns: number; host: string; peer: string; bridge: string; mac: string; address: string; prefixLength: number; gateway: string }): void;
  /** A socket bound (not listening) to address:port, 0 for one the kernel picks; null for sctp without kernel support. */
  bindPort(proto: 'tcp' | 'udp' | 'sctp', address: string, port: number): { fd: number; port: number } | null;
  /**
   * Through the attach socket at socketPath, the container's monitor closes the published
   * ports' sockets it holds (fds null), or holds these too; 'exited' when the container ended
   * meanwhile. Synchronous: done when it returns. ETIMEDOUT after timeoutMs without an answer.
   */
  monitorPorts(socketPath: string, fds: number[] | null, timeoutMs: number): 'done' | 'exited';
  /**
   * distribution/reference's ParseNormalizedNamed (native/name/reference.cc): [registry,
   * repository, tag, digest], or docker's message for an invalid reference.
   */
  parseReference(input: string): [string, string, string | undefined, string | undefined] | string;
  /** go-digest's Validate for sha256, sha384 and sha512: null, or its message. */
  digestProblem(d: string): string | null;
  /** A tag by the reference grammar. */
  isTag(s: string): boolean;
}

let cached: NativeBinding | undefined;

const BUILD_HINT = 'run `npm run build:native` (node-gyp rebuild) in the gocker package';

let packageDir: string | undefined;

/** The package's own directory, whether running from dist/lib, lib or the CLI's bundle in dist/cli. */
export function packageRoot(): string {
  if (packageDir !== undefined) return packageDir;
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return (packageDir = dir);
    dir = path.dirname(dir);
  }
  return (packageDir = path.resolve(__dirname, '..', '..'));
}

/**
 * Whether the addon was built from the native sources beside it, by the script the build ran
 * (which also wrote the stamp next to the addon); true when the sources are not shipped.
 */
function builtFromShippedSources(root: string, builtHash: string): boolean {
  let check: { isCurrent(dir: string, hash: string, stamp: string): boolean };
  try {
    // A fixed path from dist/lib, so the CLI's bundle takes the script in (and its code cache).
    check = require('../../native/source-hash.js') as typeof check;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return true;
    throw e;
  }
  return check.isCurrent(root, builtHash, path.join(root, 'build', 'Release', 'gocker-sources.json'));
}

export function native(): NativeBinding {
  if (cached) return cached;
  const root = packageRoot();
  const file = path.join(root, 'build', 'Release', 'gocker.node');
  let mod: NativeBinding;
  try {
    // process.dlopen, not require: the path is known, and require's search for it costs a
    // container start a fifth of a millisecond.
    const m = { exports: {} as NativeBinding };
    process.dlopen(m, file);
    mod = m.exports;
  } catch (e) {
    const why = fs.existsSync(file) ? `cannot be loaded (${(e as Error).message.split('\n')[0]})` : 'is not built';
    throw new GockerError(`native addon ${file} ${why}: ${BUILD_HINT}`, { code: 'ENATIVE' });
  }
  if (!builtFromShippedSources(root, mod.sourceHash)) {
    throw new GockerError(`native addon ${file} is stale (built from other sources than ${path.join(root, 'native')}): ${BUILD_HINT}`, { code: 'ENATIVE' });
  }
  cached = mod;
  return mod;
}

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
} as const;

export const MNT_DETACH = 2;
/** umount2(2): do not follow a symlink in the last component of the path. */
export const UMOUNT_NOFOLLOW = 8;

export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;
