// gocker run against real containers: images made by busybox-static, GNU tar and umoci.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxRootfs, manyLayerImage } from '../helpers/fixtures';
import { gocker, gockerAsync, tempRoots, BIN, type CliResult } from '../helpers/cli';
import { hostCgroups } from '../../lib/cgroups/detect';
import { cgroupManager } from '../../lib/cgroups';
import { native } from '../../lib/native';

const roots = tempRoots('gocker-run-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-runw-'));

// Every container this file creates, by id: each `run` gets a --cidfile (docker's flag),
// and -d ids are collected too, so the last test can remove them all with `rm -f` and
// check that none left a cgroup or a mount, without looking at anyone else's containers.
const created = new Set<string>();
let cidSeq = 0;
function withCidfile(args: string[]): { args: string[]; collect: () => void } {
  if (args[0] !== 'run') return { args, collect: () => undefined };
  const i = 0;
  fs.mkdirSync(path.join(work, 'cids'), { recursive: true });
  const file = path.join(work, 'cids', String(cidSeq++));
  return {
    args: [...args.slice(0, i + 1), '--cidfile', file, ...args.slice(i + 1)],
    collect: () => {
      if (fs.existsSync(file)) created.add(fs.readFileSync(file, 'utf8').trim());
    },
  };
}
function tracked(args: string[], opts: Parameters<typeof gocker>[1] = {}): CliResult {
  const c = withCidfile(args);
  const r = gocker([...roots.args, ...c.args], opts);
  c.collect();
  return r;
}
const g = (args: string[], input?: string): CliResult => tracked(args, input === undefined ? {} : { input });
/** A CLI process to signal; its container is collected once it has started. */
function spawnRun(args: string[], opts: Parameters<typeof spawn>[2] = {}): ReturnType<typeof spawn> {
  const c = withCidfile(args);
  const child = spawn(process.execPath, [BIN, ...roots.args, ...c.args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  child.on('exit', c.collect);
  return child;
}
const exited = (child: ReturnType<typeof spawn>): Promise<number | null> => new Promise((resolve) => {
  if (child.exitCode !== null) resolve(child.exitCode);
  else child.on('exit', (code) => resolve(code));
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The CLI as a shell command line (for sh -c and script -c); its container is collected by the callback pushed. */
function shellCommand(args: string[], collects: Array<() => void>): string {
  const c = withCidfile(args);
  collects.push(c.collect);
  return `${process.execPath} ${BIN} ${[...roots.args, ...c.args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`;
}

const layout = hostCgroups(native());

/** Every hierarchy's directory for a container, whichever layout the host has. */
function cgroupDirs(id: string): string[] {
  return layout.hierarchies.map((h) => path.join(h.mountpoint, 'gocker', id));
}

/**
 * Where a controller's file is inside a container (its /sys/fs/cgroup is its own cgroup
 * namespace): the manager's mode decides, v1 under the hierarchy's mount name.
 */
function insideCgroupFile(v1: [string, string], v2: string): string {
  if (cgroupManager().mode === 'v2') return path.posix.join('/sys/fs/cgroup', v2);
  const h = layout.hierarchies.find((x) => x.version === 1 && x.controllers.includes(v1[0]));
  assert.ok(h, `no v1 hierarchy with ${v1[0]}`);
  return path.posix.join('/sys/fs/cgroup', path.basename(h.mountpoint), v1[1]);
}

function mountsOf(id: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(id));
}

function overlayMounts(): string[] {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(roots.root));
}

/**
 * A block device this process may open (a sandboxed host may refuse some, whatever the
 * container's rules), to open again through a node made in a container.
 */
function hostBlockDevice(): { major: number; minor: number } {
  for (const name of fs.readdirSync('/dev')) {
    const p = path.join('/dev', name);
    try {
      if (!fs.lstatSync(p).isBlockDevice()) continue;
      fs.closeSync(fs.openSync(p, 'r'));
      const rdev = fs.statSync(p).rdev;
      return { major: (rdev >> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
    } catch {
      /* not openable here */
    }
  }
  throw new Error('no block device this process can open');
}

before(async () => {
  const rootfs = await busyboxRootfs();
  // A rootfs tarball made by GNU tar, imported as docker import would.
  const tarball = path.join(work, 'busybox.tar');
  execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', rootfs, '.']);
  assert.equal(g(['import', tarball, 'busybox:latest', '-c', 'CMD ["sh"]']).status, 0);
  // An image whose /data is a symlink to a host path, and one whose /proc is a symlink.
  const evil = path.join(work, 'evil');
  fs.cpSync(rootfs, evil, { recursive: true, verbatimSymlinks: true });
  fs.symlinkSync(path.join(work, 'hostdir'), path.join(evil, 'data'));
  execFileSync('tar', ['--numeric-owner', '-cf', path.join(work, 'evil.tar'), '-C', evil, '.']);
  assert.equal(g(['import', path.join(work, 'evil.tar'), 'evil:latest']).status, 0);
  fs.rmSync(path.join(evil, 'proc'), { recursive: true });
  fs.symlinkSync('/', path.join(evil, 'proc'));
  execFileSync('tar', ['--numeric-owner', '-cf', path.join(work, 'procsym.tar'), '-C', evil, '.']);
  assert.equal(g(['import', path.join(work, 'procsym.tar'), 'procsym:latest']).status, 0);
  fs.rmSync(path.join(evil, 'proc'));
  fs.mkdirSync(path.join(evil, 'proc'));
  fs.rmSync(path.join(evil, 'dev'), { recursive: true, force: true });
  fs.symlinkSync('/tmp', path.join(evil, 'dev'));
  execFileSync('tar', ['--numeric-owner', '-cf', path.join(work, 'devsym.tar'), '-C', evil, '.']);
  assert.equal(g(['import', path.join(work, 'devsym.tar'), 'devsym:latest']).status, 0);
});

after(() => {
  // Whatever a failed test left running goes first.
  for (const id of created) gocker([...roots.args, 'rm', '-f', id]);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('process and exit codes', () => {
  test('output, exit status, 126, 127, 125, 128+N', () => {
    const r = g(['run', '--rm', 'busybox', 'echo', 'hello', '-n']);
    assert.equal(r.stdout, 'hello -n\n');
    assert.equal(r.status, 0);
    assert.equal(g(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']).status, 3);
    const nf = g(['run', '--rm', 'busybox', 'nosuchcmd']);
    assert.equal(nf.status, 127);
    assert.match(nf.stderr, /exec: "nosuchcmd": executable file not found in \$PATH/);
    const ne = g(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(ne.status, 126);
    assert.match(ne.stderr, /permission denied/);
    const ni = g(['run', '--rm', '--pull', 'never', 'nosuchimage', 'true']);
    assert.equal(ni.status, 125);
    assert.equal(ni.stderr, 'gocker: No such image: nosuchimage:latest\n');
    // A process signalled by its own kind (not PID 1, which the kernel protects).
    assert.equal(g(['run', '--rm', 'busybox', 'sh', '-c', 'sh -c "kill -TERM \\$\\$"; exit $?']).status, 143);
    assert.equal(g(['run', '--rm', 'busybox']).status, 0, 'CMD ["sh"] from the image, stdin closed');
    assert.equal(g(['run', '--rm', 'busybox', '--bogus']).status, 127, 'flags after the image belong to the command');
    const bf = g(['run', '--rm', '--bogus', 'busybox', 'true']);
    assert.equal(bf.status, 125, 'a flag of its own the engine does not know');
    assert.equal(bf.stderr, "unknown flag: --bogus\nSee 'gocker run --help'.\n", 'docker\'s words, no stack trace');
  });

  test('the command is PID 1 with its own hostname; host processes are invisible; no fds leak', () => {
    const r = g(['run', '--rm', 'busybox', 'sh', '-c', 'echo $$; hostname; ls /proc | grep -c "^[0-9]"; ls /proc/self/fd | tr "\\n" " "']);
    const [pid, host, count, fds] = r.stdout.trim().split('\n');
    assert.equal(pid, '1');
    assert.match(host, /^[0-9a-f]{12}$/);
    assert.ok(Number(count) <= 3, `processes visible: ${count}`);
    assert.equal(fds.trim(), '0 1 2 3', 'stdio and ls\'s own directory only');
    assert.equal(g(['run', '--rm', '--hostname', 'box1', 'busybox', 'hostname']).stdout, 'box1\n');
  });

  test('docker\'s masked files read empty (those this kernel has: /proc/kcore needs CONFIG_PROC_KCORE)', () => {
    const files = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/timer_stats'].filter((f) => fs.existsSync(f));
    assert.ok(files.length >= 2, `masked files on this host: ${files.join(' ')}`);
    const r = g(['run', '--rm', 'busybox', 'sh', '-c', files.map((f) => `echo ${f} $(wc -c < ${f}) $(stat -c %t:%T ${f})`).join('; ')]);
    assert.equal(r.status, 0, r.stderr);
    // Bound over with /dev/null: empty, and the node is 1:3.
    assert.deepEqual(r.stdout.trim().split('\n'), files.map((f) => `${f} 0 1:3`));
    const priv = g(['run', '--rm', '--privileged', 'busybox', 'stat', '-c', '%t:%T', files[0]]);
    assert.notEqual(priv.stdout.trim(), '1:3', '--privileged masks nothing');
  });

  test('docker\'s masked and read-only paths, devices and mounts', () => {
    const r = g(['run', '--rm', 'busybox', 'sh', '-c',
      'cat /proc/timer_list | wc -c; touch /proc/sysrq-trigger 2>/dev/null || echo ro; ls /sys/firmware | wc -l; test -c /dev/null && echo null; grep " /sys " /proc/mounts | cut -d" " -f4 | cut -d, -f1; echo x > /sys/fs/cgroup/x 2>/dev/null || echo cgro']);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', 'ro', '0', 'null', 'ro', 'cgro']);
  });

  test('image config and flags merge: env, workdir, user, entrypoint', () => {
    const r = g(['run', '--rm', '-e', 'A=1', '-e', 'HOME=/x', '-w', '/new/dir', '-u', 'app', 'busybox', 'sh', '-c', 'echo $A $HOME $PATH; pwd; id']);
    assert.equal(r.status, 0, r.stderr);
    const [env, cwd, id] = r.stdout.trim().split('\n');
    assert.equal(env, '1 /x /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    assert.equal(cwd, '/new/dir');
    assert.equal(id, 'uid=1000(app) gid=1000(app) groups=10(wheel),29(audio)');
    assert.equal(g(['run', '--rm', '-u', '1234:10', 'busybox', 'id']).stdout, 'uid=1234 gid=10(wheel)\n');
    assert.equal(g(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b']).stdout, 'a b\n');
    // dockerd resolves the user before anything runs: its error, and the CLI's 125.
    const nu = g(['run', '--rm', '-u', 'nobody-here', 'busybox', 'id']);
    assert.equal(nu.status, 125);
    assert.equal(nu.stderr, 'gocker: unable to find user nobody-here: no matching entries in passwd file\n');
    const ng = g(['run', '--rm', '-u', 'app:no-group', 'busybox', 'id']);
    assert.equal(ng.status, 125);
    assert.equal(ng.stderr, 'gocker: unable to find group no-group: no matching entries in group file\n');
  });

  test('capabilities: docker\'s 14 by default, --cap-drop ALL, --cap-add, no-new-privileges', () => {
    const eff = (args: string[]): string => g(['run', '--rm', ...args, 'busybox', 'sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status | tr "\\n" " "']).stdout.trim();
    assert.equal(eff([]), 'CapEff:\t00000000a80425fb CapBnd:\t00000000a80425fb');
    assert.equal(eff(['--cap-drop', 'ALL']), 'CapEff:\t0000000000000000 CapBnd:\t0000000000000000');
    assert.equal(eff(['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN']), 'CapEff:\t0000000000001000 CapBnd:\t0000000000001000');
    assert.equal(g(['run', '--rm', '-u', 'app', 'busybox', 'sh', '-c', 'grep CapEff /proc/self/status']).stdout, 'CapEff:\t0000000000000000\n');
    assert.equal(g(['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'sh', '-c', 'grep NoNewPrivs /proc/self/status']).stdout, 'NoNewPrivs:\t1\n');
    const sets = (args: string[]): string => g(['run', '--rm', ...args, 'busybox', 'sh', '-c', 'grep -E "^Cap(Inh|Prm|Amb)" /proc/self/status | tr "\\n" " "']).stdout.trim();
    assert.equal(sets([]), 'CapInh:\t0000000000000000 CapPrm:\t00000000a80425fb CapAmb:\t0000000000000000');
    assert.equal(sets(['-u', 'app']), 'CapInh:\t0000000000000000 CapPrm:\t0000000000000000 CapAmb:\t0000000000000000');
  });

  test('--privileged: every capability the engine has, every host device, nothing masked or read-only', () => {
    const own = /^CapBnd:\s*(\S+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1];
    const r = g(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status | cut -f2 | tr "\\n" " "; echo; ls /dev/loop-control /dev/kmsg; grep -c " /proc/sys " /proc/mounts || true']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim()), [`${own} ${own} ${own}`, '/dev/kmsg', '/dev/loop-control', '0']);
    // A host device keeps its numbers and mode.
    const st = fs.statSync('/dev/kmsg');
    const inside = g(['run', '--rm', '--privileged', 'busybox', 'stat', '-c', '%t:%T %a', '/dev/kmsg']).stdout.trim();
    assert.equal(inside, `${(st.rdev >> 8).toString(16)}:${(st.rdev & 0xff).toString(16)} ${(st.mode & 0o777).toString(8)}`);
    const plain = g(['run', '--rm', 'busybox', 'sh', '-c', 'ls /dev/loop-control /dev/kmsg 2>&1 | grep -c "No such file"']);
    assert.equal(plain.stdout, '2\n', 'not in a plain container');
  });
});

describe('device cgroup', () => {
  // CAP_MKNOD is one of docker's defaults: the device cgroup is what keeps a node made in
  // the container from opening the host's disk.
  const disk = hostBlockDevice();
  const probe = `rm -f /disk; mknod /disk b ${disk.major} ${disk.minor} && echo made; head -c 512 /disk > /dev/null 2>/tmp/err && echo read || cat /tmp/err; echo x > /dev/null && head -c 4 /dev/urandom | wc -c`;

  test('v1 (devices controller): a block device can be made, not opened; the standard nodes work', () => {
    const r = g(['run', '--rm', 'busybox', 'sh', '-c', probe]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'made\nhead: /disk: Operation not permitted\n4\n');
  });

  test('--privileged may open it', () => {
    assert.equal(g(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', probe]).stdout, 'made\nread\n4\n');
  });

  test('v2: a BPF device program on the container\'s cgroup2 directory, attached again on start', () => {
    const v2 = (args: string[]) => tracked(args, { env: { ...process.env, GOCKER_CGROUP_MANAGER: 'v2' } });
    const r = v2(['run', '--name', 'devv2', 'busybox', 'sh', '-c', probe]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'made\nhead: /disk: Operation not permitted\n4\n');
    // (In the unified hierarchy only: with this manager the v1 devices controller is not used.)
    assert.equal(v2(['start', '-a', 'devv2']).stdout, 'made\nhead: /disk: Operation not permitted\n4\n');
    assert.equal(v2(['rm', 'devv2']).status, 0);
  });
});

describe('filesystem', () => {
  test('writes stay in the container: neither the image nor another container sees them', () => {
    const r = g(['run', 'busybox', 'sh', '-c', 'echo changed > /etc/passwd; echo new > /newfile']);
    assert.equal(r.status, 0);
    const again = g(['run', '--rm', 'busybox', 'sh', '-c', 'cat /etc/passwd | head -1; ls /newfile 2>&1']);
    assert.match(again.stdout, /^root:x:0:0/);
    assert.match(again.stdout, /No such file/);
  });

  test('--read-only, -v (rw and ro), --tmpfs', () => {
    assert.notEqual(g(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']).status, 0);
    const host = path.join(work, 'vol');
    fs.mkdirSync(host);
    fs.writeFileSync(path.join(host, 'in'), 'from host\n');
    const r = g(['run', '--rm', '-v', `${host}:/vol`, '-v', `${host}:/rovol:ro`, '--tmpfs', '/scratch', 'busybox', 'sh', '-c',
      'cat /vol/in; echo out > /vol/out; touch /rovol/x 2>/dev/null || echo ro; grep " /scratch " /proc/mounts | cut -d" " -f3']);
    assert.equal(r.stdout, 'from host\nro\ntmpfs\n');
    assert.equal(fs.readFileSync(path.join(host, 'out'), 'utf8'), 'out\n');
  });

  test('--tmpfs options: flag words are mount flags (docker\'s nosuid,nodev,noexec unless exec), the rest tmpfs data', () => {
    const r = g(['run', '--rm', '--tmpfs', '/x:rw,noexec,nosuid,size=64m', '--tmpfs', '/y:exec,mode=1700', '--tmpfs', '/z:ro', 'busybox', 'sh', '-c',
      'grep -E " /(x|y|z) " /proc/mounts | cut -d" " -f2,4; cp /bin/busybox /y/true && /y/true && echo y-exec; cp /bin/busybox /x/true && /x/true || echo x-noexec; stat -c %a /y']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '/x rw,nosuid,nodev,noexec,relatime,size=65536k', '/y rw,nosuid,nodev,relatime,mode=1700', '/z ro,nosuid,nodev,noexec,relatime',
      'y-exec', 'x-noexec', '1700']);
  });

  test('/dev/shm (64 MB, --shm-size), /dev/mqueue, /etc/hosts and /etc/resolv.conf', () => {
    const shm = (args: string[]): string => g(['run', '--rm', ...args, 'busybox', 'sh', '-c', 'grep " /dev/shm " /proc/mounts | cut -d" " -f3,4']).stdout.trim();
    assert.equal(shm([]), 'tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k');
    assert.equal(shm(['--shm-size', '128m']), 'tmpfs rw,nosuid,nodev,noexec,relatime,size=131072k');
    const mq = g(['run', '--rm', 'busybox', 'sh', '-c', 'grep " /dev/mqueue " /proc/mounts | cut -d" " -f1,3,4']);
    assert.equal(mq.stdout, 'mqueue mqueue rw,nosuid,nodev,noexec,relatime\n');
    const base = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
    // On the default bridge, as docker's: its own address with its hostname last.
    const files = g(['run', '--rm', '-h', 'box', 'busybox', 'sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; ip -4 -o addr show eth0']);
    const [hosts, resolv, addr] = files.stdout.split('---\n');
    const ip = /inet (\S+)\//.exec(addr)![1];
    assert.equal(hosts, `${base}${ip}\tbox\n`);
    assert.equal(g(['run', '--rm', '--network', 'none', 'busybox', 'cat', '/etc/hosts']).stdout, base);
    // The host's, less loopback resolvers (unreachable from a network namespace of its own).
    const host = fs.readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\s*$)/.test(l));
    const want = host.some((l) => /^\s*nameserver/.test(l)) ? host.join('\n').replace(/\n*$/, '\n') : undefined;
    if (want) assert.equal(resolv, want);
    else assert.match(resolv, /nameserver 8\.8\.8\.8\nnameserver 8\.8\.4\.4\n$/);
    assert.equal(g(['run', '--rm', '--network', 'host', 'busybox', 'cat', '/etc/resolv.conf']).stdout, fs.readFileSync('/etc/resolv.conf', 'utf8'));
  });

  test('--env-file: lines, comments, names taken from the environment; -e wins', () => {
    const file = path.join(work, 'env.list');
    fs.writeFileSync(file, '# a comment\nA=1\n\nFROM_HOST\nSPACED=a b  c\nB=file\n');
    const r = tracked(['run', '--rm', '--env-file', file, '-e', 'B=flag', 'busybox', 'sh', '-c', 'echo "$A|$FROM_HOST|$SPACED|$B"'],
      { env: { ...process.env, FROM_HOST: 'host value' } });
    assert.equal(r.stdout, '1|host value|a b  c|flag\n', r.stderr);
    // (A missing file cannot get docker's message under Node 20: node itself reads any
    // --env-file in its argv, script arguments included, and exits 9 first: nodejs/node#54232.)
  });

  test('exec -e VAR: the value from the CLI\'s own environment, as docker\'s CLI sends it; a name it lacks is left out', () => {
    const id = g(['run', '-d', 'busybox', 'sleep', '300']).stdout.trim();
    try {
      const r = tracked(['exec', '-e', 'FROM_HOST', '-e', 'NOT_THERE', '-e', 'SET=x', id, 'sh', '-c', 'echo "$FROM_HOST|${NOT_THERE-unset}|$SET"'],
        { env: { ...process.env, FROM_HOST: 'host value', NOT_THERE: undefined } });
      assert.equal(r.stdout, 'host value|unset|x\n', r.stderr);
    } finally {
      g(['rm', '-f', id]);
    }
  });

  test('-i alone: stdin reaches the command; without it, the command reads nothing', () => {
    assert.equal(g(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo end'], 'line one\nline two\n').stdout, 'line one\nline two\nend\n');
    assert.equal(g(['run', '--rm', 'busybox', 'sh', '-c', 'cat; echo end'], 'ignored\n').stdout, 'end\n');
  });

  test('pivot_root\'s fallback, MS_MOVE + chroot, when pivot_root refuses the root', () => {
    // pivot_root fails with EINVAL where the current root cannot be moved: an initramfs
    // root, or, as set up here in a mount namespace of our own, a root whose parent mount
    // is shared (making "/" private cannot reach above it). gocker runs chrooted there.
    const script = path.join(work, 'chroot.sh');
    fs.writeFileSync(script, [
      'set -e', 'mount -t tmpfs none /mnt', 'mount --make-shared /mnt', 'mkdir /mnt/r', 'mount -t tmpfs none /mnt/r',
      'for e in /*; do n=${e#/}; [ "$n" = mnt ] && continue',
      '  if [ -L "$e" ]; then cp -P "$e" /mnt/r/$n; elif [ -d "$e" ]; then mkdir /mnt/r/$n; mount --rbind "$e" /mnt/r/$n; fi', 'done',
      'exec chroot /mnt/r "$@"', ''].join('\n'));
    const c = withCidfile(['run', '-d', 'busybox', 'sleep', '300']);
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', script, process.execPath, BIN, ...roots.args, ...c.args], { encoding: 'utf8', timeout: 60_000 });
    c.collect();
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    const pid = Number(g(['inspect', '-f', '{{.State.Pid}}', id]).stdout);
    assert.ok(pid > 0);
    // The container's root is its image...
    assert.ok(fs.existsSync(`/proc/${pid}/root/bin/busybox`));
    assert.ok(!fs.existsSync(`/proc/${pid}/root${work}`));
    // ...but its mount namespace's root is still the host's (the old root was not pivoted
    // away, only chrooted out of), which is what tells the fallback from pivot_root.
    assert.equal(spawnSync('nsenter', ['-t', String(pid), '-m', 'test', '-d', work]).status, 0);
    assert.equal(g(['rm', '-f', id]).status, 0);
    // The ordinary path for comparison: pivot_root, and the old root gone from the namespace.
    const normal = g(['run', '-d', 'busybox', 'sleep', '300']).stdout.trim();
    created.add(normal);
    const npid = Number(g(['inspect', '-f', '{{.State.Pid}}', normal]).stdout);
    assert.notEqual(spawnSync('nsenter', ['-t', String(npid), '-m', 'test', '-d', work]).status, 0);
    assert.equal(g(['rm', '-f', normal]).status, 0);
  });

  test('a symlink in the image cannot redirect a bind mount to the host; a /proc symlink is refused', () => {
    fs.mkdirSync(path.join(work, 'hostdir'));
    const src = path.join(work, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'f'), 'x');
    const r = g(['run', '--rm', '-v', `${src}:/data/mnt`, 'evil', 'ls', '/data/mnt']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'f\n');
    assert.deepEqual(fs.readdirSync(path.join(work, 'hostdir')), [], 'nothing was created on the host');
    const p = g(['run', '--rm', 'procsym', 'true']);
    assert.equal(p.status, 125);
    assert.match(p.stderr, /\/proc is a symlink/);
    const d = g(['run', '--rm', 'devsym', 'true']);
    assert.equal(d.status, 125);
    assert.equal(d.stderr, 'gocker: mount /dev is a symlink in the image: too many levels of symbolic links\n');
    assert.deepEqual(fs.readdirSync('/tmp').filter((f) => f === 'null' || f === 'pts'), [], 'nothing made on the host through it');
  });

  test('an image with 60 layers runs', async () => {
    const fx = await manyLayerImage(60);
    const t = path.join(work, 'many.tar');
    execFileSync('tar', ['-cf', t, '-C', fx.layout, '.']);
    assert.equal(g(['load', '-i', t]).status, 0);
    const r = g(['run', '--rm', 'localhost/oci-image', 'sh', '-c', 'ls /layers | wc -l; cat /layers/60']);
    assert.equal(r.stdout, '59\n60\n', r.stderr);
  });
});

describe('resources', () => {
  test('allocating past --memory 64m is an OOM kill: 137 and OOMKilled', () => {
    const r = g(['run', '--name', 'oom', '--memory', '64m', 'busybox', 'sh', '-c', 'x=$(head -c 300000000 /dev/zero | tr "\\0" a); echo survived']);
    assert.equal(r.status, 137);
    const rec = fs.readdirSync(path.join(roots.root, 'containers')).map((id) => JSON.parse(fs.readFileSync(path.join(roots.root, 'containers', id, 'config.v2.json'), 'utf8')))
      .find((c) => c.Name === '/oom');
    assert.equal(rec.State.OOMKilled, true);
    assert.equal(rec.State.ExitCode, 137);
    assert.equal(rec.HostConfig.Memory, 64 * 1024 * 1024);
  });

  test('an OOM kill counts for its own run only: started again and killed with -9, OOMKilled is false', async () => {
    // The first run allocates past the limit; the second (same writable layer) just waits.
    const r = g(['run', '--name', 'oom2', '--memory', '64m', 'busybox', 'sh', '-c',
      'if [ -e /done ]; then echo second; exec sleep 300; fi; touch /done; x=$(head -c 300000000 /dev/zero | tr "\\0" a)']);
    assert.equal(r.status, 137);
    assert.equal(g(['inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}}', 'oom2']).stdout, '137 true\n');
    assert.equal(g(['start', 'oom2']).status, 0);
    for (let i = 0; i < 200 && !g(['logs', 'oom2']).stdout.includes('second'); i++) await sleep(25);
    assert.equal(g(['kill', 'oom2']).status, 0);
    assert.equal(g(['wait', 'oom2']).stdout, '137\n');
    assert.equal(g(['inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}}', 'oom2']).stdout, '137 false\n');
    assert.equal(g(['rm', 'oom2']).status, 0);
  });

  test('--pids-limit stops a fork storm; --cpus and --cpuset-cpus are written', () => {
    const r = g(['run', '--rm', '--pids-limit', '10', 'busybox', 'sh', '-c', 'for i in $(seq 1 30); do sleep 2 & done; echo done']);
    assert.match(r.stderr, /can't fork: Resource temporarily unavailable/);
    assert.notEqual(r.status, 0);
  });

  test('--cpus, --cpu-shares, --cpuset-cpus, --memory, --memory-swap, read from inside the container', () => {
    const v2 = cgroupManager().mode === 'v2';
    const files = [
      insideCgroupFile(['cpu', 'cpu.cfs_quota_us'], 'cpu.max'),
      insideCgroupFile(['cpu', 'cpu.shares'], 'cpu.weight'),
      insideCgroupFile(['cpuset', 'cpuset.cpus'], 'cpuset.cpus'),
      insideCgroupFile(['memory', 'memory.limit_in_bytes'], 'memory.max'),
      insideCgroupFile(['memory', 'memory.memsw.limit_in_bytes'], 'memory.swap.max'),
    ];
    const c = g(['run', '--rm', '--cpus', '0.5', '--cpu-shares', '512', '--cpuset-cpus', '0', '--memory', '64m', '--memory-swap', '96m', 'busybox', 'cat', ...files]);
    assert.equal(c.status, 0, c.stderr);
    const mb = 1024 * 1024;
    assert.deepEqual(c.stdout.trim().split('\n'), v2
      ? ['50000 100000', '20', '0', String(64 * mb), String(32 * mb)]
      : ['50000', '512', '0', String(64 * mb), String(96 * mb)]);
    // --memory-swap 0 is "unset": docker's default, swap as large as memory.
    const d = g(['run', '--rm', '--memory', '64m', '--memory-swap', '0', 'busybox', 'cat', files[4]]);
    assert.equal(d.stdout.trim(), String(v2 ? 64 * mb : 128 * mb), d.stderr);
  });

  test('invalid values get docker\'s messages and 125', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--memory', '1k'], /^gocker: Minimum memory limit allowed is 6MB$/],
      [['--memory', 'lots'], /invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'/],
      [['--memory-swap', '1g'], /You should always set the Memory limit when using Memoryswap limit/],
      [['--memory', '64m', '--memory-swap', '32m'], /Minimum memoryswap limit should be larger than memory limit/],
      [['--cpus', '999'], /Range of CPUs is from 0.01 to \d+\.00, as there are only \d+ CPUs available/],
      [['--cpuset-cpus', '99'], /Requested CPUs are not available - requested 99, available: /],
      [['--ulimit', 'nofile=10:99999999'], /exceeds the current hard limit/],
      [['--name', 'bad name!'], /Invalid container name/],
      [['--pids-limit', 'lots'], /^gocker: invalid argument "lots" for "--pids-limit" flag: strconv.ParseInt: parsing "lots": invalid syntax$/],
      [['--cpu-shares', '1.5'], /^gocker: invalid argument "1.5" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "1.5": invalid syntax$/],
    ];
    for (const [flags, msg] of cases) {
      const r = g(['run', '--rm', ...flags, 'busybox', 'true']);
      assert.equal(r.status, 125, flags.join(' '));
      assert.match(r.stderr.trim(), msg);
    }
    assert.equal(g(['run', '--rm', '--ulimit', 'nofile=100:200', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']).stdout, '100\n200\n');
  });

  test('--ulimit: every docker name, checked against the hard limit; -1 is unlimited', () => {
    // This process's hard limits are what a container inherits: each name at its hard limit passes.
    const labels: Record<string, string> = {
      core: 'Max core file size', cpu: 'Max cpu time', data: 'Max data size', fsize: 'Max file size', locks: 'Max file locks',
      memlock: 'Max locked memory', msgqueue: 'Max msgqueue size', nice: 'Max nice priority', nofile: 'Max open files',
      nproc: 'Max processes', rss: 'Max resident set', rtprio: 'Max realtime priority', rttime: 'Max realtime timeout',
      sigpending: 'Max pending signals', stack: 'Max stack size',
    };
    const limits = fs.readFileSync('/proc/self/limits', 'utf8').split('\n');
    const hard = (name: string): string => {
      const v = limits.find((l) => l.startsWith(`${labels[name]} `))!.slice(26).trim().split(/\s+/)[1];
      return v === 'unlimited' ? '-1' : v;
    };
    const flags = Object.keys(labels).flatMap((n) => ['--ulimit', `${n}=${hard(n)}`]);
    const all = g(['run', '--rm', ...flags, 'busybox', 'sh', '-c', 'ulimit -Hn; ulimit -Hc; ulimit -Hi']);
    assert.equal(all.status, 0, all.stderr);
    const show = (v: string): string => (v === '-1' ? 'unlimited' : v);
    assert.equal(all.stdout, `${show(hard('nofile'))}\n${show(hard('core'))}\n${show(hard('sigpending'))}\n`);
    // Unlimited where the host allows it; refused where its hard limit is finite.
    const finite = Object.keys(labels).find((n) => hard(n) !== '-1')!;
    const inf = g(['run', '--rm', '--ulimit', `${finite}=-1`, 'busybox', 'true']);
    assert.equal(inf.status, 125);
    assert.equal(inf.stderr, `gocker: ulimit ${finite}: hard limit unlimited exceeds the current hard limit ${hard(finite)}\n`);
    const above = g(['run', '--rm', '--ulimit', `${finite}=1:${Number(hard(finite)) + 1}`, 'busybox', 'true']);
    assert.equal(above.status, 125);
    const unl = Object.keys(labels).find((n) => hard(n) === '-1');
    if (unl) {
      const u = g(['run', '--rm', '--ulimit', `${unl}=-1`, 'busybox', 'sh', '-c', 'ulimit -a | grep -c unlimited']);
      assert.equal(u.status, 0, u.stderr);
    }
    const bad = g(['run', '--rm', '--ulimit', 'bogus=1', 'busybox', 'true']);
    assert.equal(bad.status, 125);
    assert.equal(bad.stderr, 'gocker: invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus\n');
    const order = g(['run', '--rm', '--ulimit', 'nofile=200:100', 'busybox', 'true']);
    assert.equal(order.stderr, 'gocker: invalid argument "nofile=200:100" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 200 > 100\n');
  });

  test('without --ulimit, nofile is soft = hard (as under docker and podman); the shell\'s lower soft limit is not kept', () => {
    // Node raises its soft RLIMIT_NOFILE to the hard limit at start-up; the container
    // inherits that, as docker's and podman's containers get their engines' raised limits.
    const hardN = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
    const collects: Array<() => void> = [];
    const r = spawnSync('sh', ['-c', `ulimit -Sn 64; ${shellCommand(['run', '--rm', 'busybox', 'sh', '-c', 'ulimit -Sn; ulimit -Hn'], collects)}`], { encoding: 'utf8' });
    assert.equal(r.stdout, `${hardN}\n${hardN}\n`, r.stderr);
    // Other soft limits are the caller's: a lowered stack soft limit stays.
    const st = spawnSync('sh', ['-c', `ulimit -Ss 4096; ${shellCommand(['run', '--rm', 'busybox', 'sh', '-c', 'ulimit -s'], collects)}`], { encoding: 'utf8' });
    assert.equal(st.stdout, '4096\n', st.stderr);
    collects.forEach((c) => c());
  });
});

describe('cgroup v2 driver on the real unified hierarchy', () => {
  // This host is hybrid: controllers on v1, a real cgroup2 at /sys/fs/cgroup/unified with
  // none of ours enabled. GOCKER_CGROUP_MANAGER=v2 puts containers there alone, which runs
  // the v2 driver's create, join by cgroup.procs, cgroupns, stats and destroy for real.
  const v2 = (args: string[]) => tracked(args, { env: { ...process.env, GOCKER_CGROUP_MANAGER: 'v2' } });
  test('a container joins a v2 cgroup of its own; limits without their controller are refused; rm removes it', () => {
    const unified = JSON.parse(g(['info', '-f', 'json']).stdout).cgroups.unifiedMount as string;
    const id = v2(['run', '-d', 'busybox', 'sleep', '30']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    try {
      const pid = Number(v2(['inspect', '-f', '{{.State.Pid}}', id]).stdout);
      const host = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      assert.match(host, new RegExp(`^0::/gocker/${id}$`, 'm'));
      assert.deepEqual(fs.readFileSync(path.join(unified, 'gocker', id, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number), [pid]);
      // Its cgroup namespace is rooted there: inside, it is at /.
      assert.match(v2(['exec', id, 'cat', '/proc/self/cgroup']).stdout, /^0::\/$/m);
      assert.match(v2(['stats', '--no-stream', id]).stdout, new RegExp(id.slice(0, 12)));
    } finally {
      assert.equal(v2(['rm', '-f', id]).status, 0);
    }
    assert.ok(!fs.existsSync(path.join(unified, 'gocker', id)));
    const r = v2(['run', '--rm', '--memory', '64m', 'busybox', 'true']);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^gocker: cannot apply --memory: the cgroup v2 controller "memory" is not enabled for \S+ \(available: [^)]*\)\n$/);
  });
});

describe('network, signals, lifecycle', () => {
  test('--network none has only lo, up; --network host sees the host; the default is the bridge', () => {
    const none = g(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net; ip link show lo | grep -c UP']);
    assert.equal(none.stdout, 'lo\n1\n');
    // docker's default: eth0 on the bridge, a default route through its gateway.
    const bridge = g(['run', '--rm', 'busybox', 'sh', '-c', 'ls /sys/class/net; ip route']);
    assert.equal(bridge.status, 0, bridge.stderr);
    assert.match(bridge.stdout, /^eth0\nlo\ndefault via (\S+) dev eth0 \n/);
    const host = g(['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']).stdout.trim().split('\n').sort();
    assert.deepEqual(host, fs.readdirSync('/sys/class/net').sort());
  });

  test('every signal the CLI forwards reaches the process: INT, TERM, HUP, QUIT, USR1, USR2', async () => {
    const sigs = ['INT', 'TERM', 'HUP', 'QUIT', 'USR1', 'USR2'] as const;
    // Each trap reports; the last one also ends the command, with a code of its own.
    const traps = sigs.map((x) => `trap "echo got ${x}${x === 'USR2' ? '; exit 7' : ''}" ${x}`).join('; ');
    const child = spawnRun(['run', '--rm', 'busybox', 'sh', '-c', `${traps}; echo ready; while :; do sleep 0.05; done`]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (text: string): Promise<void> => {
      for (let i = 0; i < 400 && !out.includes(text); i++) await sleep(25);
      assert.ok(out.includes(text), `${text} in ${JSON.stringify(out)}`);
    };
    await waitFor('ready');
    // One at a time, each acknowledged before the next.
    for (const x of sigs) {
      child.kill(`SIG${x}`);
      await waitFor(`got ${x}`);
    }
    assert.equal(await exited(child), 7);
    assert.equal(out, `ready\n${sigs.map((x) => `got ${x}\n`).join('')}`);
  });

  test('a SIGINT to the CLI\'s whole process group (a terminal\'s ^C) arrives once', async () => {
    // The CLI leads its own process group here, as a shell's job would.
    const child = spawnRun(['run', '--rm', 'busybox', 'sh', '-c',
      'n=0; trap "n=\\$((n+1)); echo INT \\$n" INT; trap "echo total \\$n; exit 0" TERM; echo ready; while :; do :; done'], { detached: true });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 400 && !out.includes('ready'); i++) await sleep(25);
    // Neither the monitor (the CLI's child) nor the container (the monitor's) is in the
    // CLI's session: a terminal's signal reaches them only through the CLI.
    const children = (pid: number): number[] => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const sid = (pid: number): string => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[3];
    const [monitor] = children(child.pid!);
    const [container] = children(monitor);
    assert.notEqual(sid(monitor), sid(child.pid!));
    assert.notEqual(sid(container), sid(child.pid!));
    process.kill(-child.pid!, 'SIGINT');
    await sleep(1000);
    child.kill('SIGTERM');
    assert.equal(await exited(child), 0);
    assert.equal(out, 'ready\nINT 1\ntotal 1\n');
  });

  test('--init: a small init is PID 1, the command its child; exit codes and signals pass through', async () => {
    const r = g(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'ps -o pid,comm | sed -n 2,3p | tr -s " " | tr "\\n" ";"; exit 4']);
    assert.equal(r.stdout.trim(), '1 docker-init; 2 sh;');
    assert.equal(r.status, 4);
    const child = spawn(process.execPath, [BIN, ...roots.args, 'run', '--rm', '--init', 'busybox', 'sh', '-c', 'trap "exit 9" TERM; echo ready; while true; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.once('data', () => child.kill('SIGTERM'));
    assert.equal(await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))), 9);
  });

  test('--init ends when the command does, though a background child lives on', () => {
    const t = Date.now();
    const r = tracked(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'sleep 100 & exit 3'], { timeout: 30_000 });
    assert.equal(r.status, 3, `${r.stderr} after ${Date.now() - t} ms`);
  });

  test('--init reaps orphans: no zombie stays in the container', () => {
    // The subshell exits at once; its sleep is orphaned to PID 1 (the init), exits when
    // killed, and must be reaped. The command waits until no zombie is left, or gives up.
    const r = g(['run', '--rm', '--init', 'busybox', 'sh', '-c',
      '(sleep 300 & echo $! > /tmp/orphan); kill $(cat /tmp/orphan); for i in $(seq 1 200); do ps -o stat | grep -q "^Z" || { echo clean; exit 0; }; sleep 0.05; done; ps -o pid,stat,comm; exit 1']);
    assert.equal(r.stdout, 'clean\n', r.stderr);
    assert.equal(r.status, 0);
  });

  test('-d runs in the background with json-file logs', async () => {
    const r = g(['run', '-d', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const exitFile = path.join(roots.runroot, 'containers', id, 'exit.json');
    for (let i = 0; i < 200 && !fs.existsSync(exitFile); i++) await new Promise((res) => setTimeout(res, 25));
    const lines = fs.readFileSync(path.join(roots.root, 'containers', id, `${id}-json.log`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.stream, l.log]).sort(), [['stderr', 'err\n'], ['stdout', 'out\n']]);
    assert.match(lines[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });

  test('--rm and failed runs leave no mount, cgroup or directory; kept containers keep theirs', () => {
    const before = fs.readdirSync(path.join(roots.root, 'containers')).length;
    const ids: string[] = [];
    const run = (args: string[]): number | null => {
      const c = withCidfile(args);
      const r = gocker([...roots.args, ...c.args]);
      c.collect();
      const file = c.args[c.args.indexOf('--cidfile') + 1];
      if (fs.existsSync(file)) ids.push(fs.readFileSync(file, 'utf8').trim());
      return r.status;
    };
    assert.equal(run(['run', '--rm', 'busybox', 'true']), 0);
    assert.equal(run(['run', '--rm', '--memory', '64m', 'busybox', 'nosuch']), 127);
    assert.equal(run(['run', '--rm', 'procsym', 'true']), 125);
    assert.equal(run(['run', '--memory', '1k', 'busybox', 'true']), 125);
    assert.equal(ids.length, 3, 'three were created (the last was refused before)');
    assert.equal(fs.readdirSync(path.join(roots.root, 'containers')).length, before);
    assert.deepEqual(overlayMounts(), []);
    for (const id of ids) {
      assert.deepEqual(cgroupDirs(id).filter((d) => fs.existsSync(d)), [], id);
      assert.deepEqual(mountsOf(id), [], id);
    }
  });

  test('two concurrent `run --name x`: exactly one wins, the other gets docker\'s Conflict and 125', async () => {
    const a = withCidfile(['run', '-d', '--name', 'same', 'busybox', 'sleep', '300']);
    const b = withCidfile(['run', '-d', '--name', 'same', 'busybox', 'sleep', '300']);
    const rs = await Promise.all([gockerAsync([...roots.args, ...a.args]), gockerAsync([...roots.args, ...b.args])]);
    a.collect();
    b.collect();
    const won = rs.filter((r) => r.status === 0);
    const lost = rs.filter((r) => r.status !== 0);
    assert.equal(won.length, 1, rs.map((r) => r.stderr).join(''));
    const id = won[0].stdout.trim();
    assert.equal(lost[0].status, 125);
    assert.equal(lost[0].stderr, `gocker: Conflict. The container name "/same" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n`);
    // The loser left nothing: one container of that name, and the name is free once it goes.
    assert.equal(g(['ps', '-aq', '--no-trunc', '-f', 'name=same']).stdout, `${id}\n`);
    assert.equal(g(['rm', '-f', 'same']).status, 0);
    const again = g(['run', '--rm', '--name', 'same', 'busybox', 'true']);
    assert.equal(again.status, 0, again.stderr);
  });

  test('the monitor killed with -9: a container running as a non-root user goes with it', async () => {
    const r = g(['run', '-d', '-u', '1000', 'busybox', 'sleep', '300']);
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    const pid = Number(g(['inspect', '-f', '{{.State.Pid}}', id]).stdout);
    const monitor = Number(fs.readFileSync(path.join(roots.runroot, 'containers', id, 'monitor.pid'), 'utf8'));
    assert.equal(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)![1], '1000');
    process.kill(monitor, 'SIGKILL');
    // Gone, or a zombie left to whatever reaps this host's orphans: not running either way.
    const alive = (): boolean => {
      try {
        return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 200 && alive(); i++) await sleep(25);
    assert.equal(alive(), false);
    assert.equal(g(['rm', '-f', id]).status, 0);
  });

  test('exec -d: the monitor takes its exec-* files with it', async () => {
    const id = g(['run', '-d', 'busybox', 'sleep', '300']).stdout.trim();
    const dir = path.join(roots.runroot, 'containers', id);
    assert.equal(g(['exec', '-d', id, 'sh', '-c', 'sleep 0.3']).status, 0);
    const execFiles = (): string[] => fs.readdirSync(dir).filter((f) => f.startsWith('exec-'));
    assert.notDeepEqual(execFiles(), [], 'present while it runs');
    for (let i = 0; i < 400 && execFiles().length; i++) await sleep(25);
    assert.deepEqual(execFiles(), []);
    assert.equal(g(['rm', '-f', id]).status, 0);
  });
});

describe('terminals', () => {
  // script(1) gives the CLI a real terminal, as a user's shell would.
  const scripted = (cmd: string, input = ''): { out: string; status: number | null } => {
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { input, encoding: 'utf8', timeout: 60_000 });
    cliCollect.splice(0).forEach((c) => c());
    return { out: String(r.stdout), status: r.status };
  };
  const cli = (args: string[]): string => shellCommand(args, cliCollect);
  const cliCollect: Array<() => void> = [];

  test('-t: a pty from the container\'s own devpts, TERM=xterm, the window size copied', () => {
    const r = scripted(`stty rows 33 cols 101; ${cli(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty; stty size; echo $TERM'])}`);
    assert.equal(r.out.replace(/\r/g, ''), '/dev/pts/0\n33 101\nxterm\n');
  });

  test('-t: a window resize reaches the container (SIGWINCH, the new size)', () => {
    // The container marks that it has its first size in a bind mount; the terminal is
    // resized only then, and the container waits for the change.
    const marks = path.join(work, 'winch');
    fs.mkdirSync(marks);
    const inner = 'first=$(stty size); echo "$first"; touch /m/started; trap "echo winch" WINCH; while [ "$(stty size)" = "$first" ]; do sleep 0.05; done; stty size';
    const r = scripted(`stty rows 33 cols 101; (while [ ! -e ${marks}/started ]; do sleep 0.05; done; stty rows 40 cols 120 < /dev/tty) & ${cli(['run', '--rm', '-t', '-v', `${marks}:/m`, 'busybox', 'sh', '-c', inner])}; wait`);
    // stty sets rows and cols one ioctl each: the container may see the change as two
    // SIGWINCHs, the second before or after it printed the new size.
    assert.match(r.out.replace(/\r/g, ''), /^33 101\nwinch\n(winch\n)?40 120\n(winch\n)?$/);
  });

  test('-it sh is usable interactively; its exit code comes back', () => {
    const r = scripted(cli(['run', '--rm', '-it', 'busybox', 'sh']), 'echo hello-from-pty\nexit 3\n');
    assert.match(r.out.replace(/\r/g, ''), /\nhello-from-pty\n/);
    assert.equal(r.status, 3);
  });
});

describe('cleanup', () => {
  test('every container this file made, removed with rm -f, leaves no cgroup in any hierarchy and no mount', () => {
    assert.ok(created.size > 20, `containers seen: ${created.size}`);
    const left = new Set(g(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean));
    for (const id of left) {
      assert.ok(created.has(id), `${id} was created without being seen`);
      const r = gocker([...roots.args, 'rm', '-f', id]);
      assert.equal(r.status, 0, r.stderr);
    }
    assert.equal(g(['ps', '-aq']).stdout, '');
    for (const id of created) {
      assert.deepEqual(cgroupDirs(id).filter((d) => fs.existsSync(d)), [], `cgroup of ${id}`);
      assert.deepEqual(mountsOf(id), [], `mount of ${id}`);
    }
    assert.deepEqual(overlayMounts(), []);
  });
});
