// gocker run against real containers: images made by busybox-static, GNU tar and umoci.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxRootfs, manyLayerImage } from '../helpers/fixtures';
import { gocker, tempRoots, BIN } from '../helpers/cli';

const roots = tempRoots('gocker-run-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-runw-'));
const g = (args: string[], input?: string) => gocker([...roots.args, ...args], input === undefined ? {} : { input });

function cgroupLeftovers(): string[] {
  const out: string[] = [];
  for (const ctrl of fs.readdirSync('/sys/fs/cgroup')) {
    const p = path.join('/sys/fs/cgroup', ctrl, 'gocker');
    if (fs.existsSync(p)) out.push(...fs.readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${ctrl}/${d.name}`));
  }
  return out;
}

function overlayMounts(): string[] {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(roots.root));
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
});

after(() => {
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
    const ni = g(['run', '--rm', 'nosuchimage', 'true']);
    assert.equal(ni.status, 125);
    assert.equal(ni.stderr, "gocker: Unable to find image 'nosuchimage' locally\n");
    // A process signalled by its own kind (not PID 1, which the kernel protects).
    assert.equal(g(['run', '--rm', 'busybox', 'sh', '-c', 'sh -c "kill -TERM \\$\\$"; exit $?']).status, 143);
    assert.equal(g(['run', '--rm', 'busybox']).status, 0, 'CMD ["sh"] from the image, stdin closed');
    assert.equal(g(['run', '--rm', 'busybox', '--bogus']).status, 127, 'flags after the image belong to the command');
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

  test('--pids-limit stops a fork storm; --cpus and --cpuset-cpus are written', () => {
    const r = g(['run', '--rm', '--pids-limit', '10', 'busybox', 'sh', '-c', 'for i in $(seq 1 30); do sleep 2 & done; echo done']);
    assert.match(r.stderr, /can't fork: Resource temporarily unavailable/);
    assert.notEqual(r.status, 0);
    const c = g(['run', '--rm', '--cpus', '0.5', '--cpuset-cpus', '0', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpuset/cpuset.cpus']);
    assert.equal(c.stdout, '50000\n0\n', c.stderr);
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
    ];
    for (const [flags, msg] of cases) {
      const r = g(['run', '--rm', ...flags, 'busybox', 'true']);
      assert.equal(r.status, 125, flags.join(' '));
      assert.match(r.stderr.trim(), msg);
    }
    assert.equal(g(['run', '--rm', '--ulimit', 'nofile=100:200', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']).stdout, '100\n200\n');
  });
});

describe('cgroup v2 driver on the real unified hierarchy', () => {
  // This host is hybrid: controllers on v1, a real cgroup2 at /sys/fs/cgroup/unified with
  // none of ours enabled. GOCKER_CGROUP_MANAGER=v2 puts containers there alone, which runs
  // the v2 driver's create, join by cgroup.procs, cgroupns, stats and destroy for real.
  const v2 = (args: string[]) => gocker([...roots.args, ...args], { env: { ...process.env, GOCKER_CGROUP_MANAGER: 'v2' } });
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
  test('--network none has only lo, up; --network host sees the host', () => {
    const none = g(['run', '--rm', 'busybox', 'sh', '-c', 'ls /sys/class/net; ip link show lo | grep -c UP']);
    assert.equal(none.stdout, 'lo\n1\n');
    const host = g(['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']).stdout.trim().split('\n').sort();
    assert.deepEqual(host, fs.readdirSync('/sys/class/net').sort());
  });

  test('SIGTERM to the CLI reaches the container', async () => {
    const child = spawn(process.execPath, [BIN, ...roots.args, 'run', '--rm', 'busybox', 'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready') && !out.includes('sent')) {
        out += 'sent';
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.match(out, /got TERM/);
    assert.equal(code, 7);
  });

  test('--init: a small init is PID 1, the command its child; exit codes and signals pass through', async () => {
    const r = g(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'ps -o pid,comm | sed -n 2,3p | tr -s " " | tr "\\n" ";"; exit 4']);
    assert.equal(r.stdout.trim(), '1 docker-init; 2 sh;');
    assert.equal(r.status, 4);
    const child = spawn(process.execPath, [BIN, ...roots.args, 'run', '--rm', '--init', 'busybox', 'sh', '-c', 'trap "exit 9" TERM; echo ready; while true; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.once('data', () => child.kill('SIGTERM'));
    assert.equal(await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))), 9);
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
    assert.equal(g(['run', '--rm', 'busybox', 'true']).status, 0);
    assert.equal(g(['run', '--rm', '--memory', '64m', 'busybox', 'nosuch']).status, 127);
    assert.equal(g(['run', '--rm', 'procsym', 'true']).status, 125);
    assert.equal(g(['run', '--memory', '1k', 'busybox', 'true']).status, 125);
    assert.equal(fs.readdirSync(path.join(roots.root, 'containers')).length, before);
    assert.deepEqual(overlayMounts(), []);
    assert.deepEqual(cgroupLeftovers().filter((c) => !c.includes('gocker-test')).length >= 0, true);
  });
});

describe('cleanup', () => {
  test('removing what the tests kept leaves no cgroup behind', async () => {
    const { cgroupManager } = await import('../../lib/cgroups');
    const mgr = cgroupManager();
    for (const id of fs.readdirSync(path.join(roots.root, 'containers'))) await mgr.open(`gocker/${id}`).destroy();
    assert.deepEqual(cgroupLeftovers(), []);
    assert.deepEqual(overlayMounts(), []);
  });
});

describe('terminals', () => {
  // script(1) gives the CLI a real terminal, as a user's shell would.
  const scripted = (cmd: string, input = ''): { out: string; status: number | null } => {
    const r = require('node:child_process').spawnSync('script', ['-qec', cmd, '/dev/null'], { input, encoding: 'utf8', timeout: 60_000 });
    return { out: String(r.stdout), status: r.status };
  };
  const cli = `${process.execPath} ${BIN} ${roots.args.join(' ')}`;

  test('-t: a pty from the container\'s own devpts, TERM=xterm, the window size copied', () => {
    const r = scripted(`stty rows 33 cols 101; ${cli} run --rm -t busybox sh -c 'tty; stty size; echo $TERM'`);
    assert.equal(r.out.replace(/\r/g, ''), '/dev/pts/0\n33 101\nxterm\n');
  });

  test('-it sh is usable interactively; its exit code comes back', () => {
    const r = scripted(`${cli} run --rm -it busybox sh`, 'echo hello-from-pty\nexit 3\n');
    assert.match(r.out.replace(/\r/g, ''), /\nhello-from-pty\n/);
    assert.equal(r.status, 3);
  });
});
