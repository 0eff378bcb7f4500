// Pulls from Debian's docker-registry, with images pushed by skopeo, faults injected by a proxy.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bigLayerImage, busyboxAsArch, busyboxImage, multiLayerImage } from '../helpers/fixtures';
import { BIN, gocker, gockerAsync, tempRoots } from '../helpers/cli';
import { freePort, pushImage, startRegistry, type Registry } from '../helpers/registry';
import { startProxy, type Fault } from '../helpers/proxy';
import { startTokenServer, type TokenServer } from '../helpers/token';

let reg: Registry;
let auth: Registry;
let tokenReg: Registry;
let tokens: TokenServer;
const tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-token-'));
const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-dockercfg-'));
const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
const cleanups: Array<() => void> = [];

function fresh(): {
  g: (args: string[], extraEnv?: NodeJS.ProcessEnv) => ReturnType<typeof gocker>;
  /** for pulls through the in-process proxy, which a blocked event loop could not serve */
  ga: (args: string[], extraEnv?: NodeJS.ProcessEnv) => ReturnType<typeof gockerAsync>;
  root: string;
} {
  const r = tempRoots('gocker-pull-');
  cleanups.push(r.remove);
  return {
    g: (args, extraEnv = {}) => gocker([...r.args, ...args], { env: { ...env, ...extraEnv } }),
    ga: (args, extraEnv = {}) => gockerAsync([...r.args, ...args], { env: { ...env, ...extraEnv } }),
    root: r.root,
  };
}

function book(root: string): Record<string, Record<string, string>> {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'images', 'images.json'), 'utf8'));
  } catch {
    return {};
  }
}

const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

const layerCount = (root: string): number => (fs.existsSync(path.join(root, 'layers')) ? fs.readdirSync(path.join(root, 'layers')).length : 0);

before(async () => {
  reg = await startRegistry();
  auth = await startRegistry({ auth: 'basic' });
  pushImage((await busyboxImage()).ref, reg, 'busybox:latest');
  pushImage((await busyboxImage()).ref, reg, 'library/busybox:latest');
  pushImage((await bigLayerImage()).ref, reg, 'big:1');
  pushImage((await multiLayerImage()).ref, reg, 'lib/multi:v1');
  pushImage((await busyboxImage()).ref, auth, 'private/busybox:1');
  tokens = await startTokenServer(tokenDir);
  tokenReg = await startRegistry({ token: tokens });
  for (const repo of ['public/busybox:1', 'private/busybox:1']) {
    pushImage((await busyboxImage()).ref, { ...tokenReg, username: 'tester', password: 'token-pw' }, repo);
  }
});

after(async () => {
  await reg?.stop();
  await auth?.stop();
  await tokenReg?.stop();
  await tokens?.stop();
  fs.rmSync(tokenDir, { recursive: true, force: true });
  for (const c of cleanups) c();
  fs.rmSync(dockerConfig, { recursive: true, force: true });
});

describe('pull', () => {
  test('anonymous pull, then run; docker-like progress; pull again is up to date', () => {
    const { g } = fresh();
    const r = g(['pull', `${reg.host}/busybox`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^latest: Pulling from busybox\n/);
    assert.match(r.stdout, /[0-9a-f]{12}: Pull complete\n/);
    assert.match(r.stdout, /Digest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for 127\.0\.0\.1:\d+\/busybox:latest\n127\.0\.0\.1:\d+\/busybox:latest\n$/);
    assert.equal(g(['run', '--rm', `${reg.host}/busybox`, 'echo', 'pulled']).stdout, 'pulled\n');
    assert.match(g(['pull', `${reg.host}/busybox`]).stdout, /Status: Image is up to date/);
    assert.equal(g(['pull', '-q', `${reg.host}/busybox`]).stdout, `${reg.host}/busybox:latest\n`);
  });

  test('pull by digest; the digest is verified', () => {
    const { g } = fresh();
    const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(g(['pull', `${reg.host}/busybox`]).stdout)![1];
    const { g: g2, root } = fresh();
    const r = g2(['pull', `${reg.host}/busybox@${digest}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(g2(['run', '--rm', `${reg.host}/busybox@${digest}`, 'true']).status, 0);
    assert.ok(Object.values(book(root)[`${reg.host}/busybox`]).length === 1);
    const bad = g2(['pull', `${reg.host}/busybox@sha256:${'0'.repeat(64)}`]);
    assert.equal(bad.status, 125);
  });

  test('a second image on the same base downloads and stores nothing for the base', async () => {
    const proxy = await startProxy(reg.url, 'none');
    try {
      const { ga, root } = fresh();
      assert.equal((await ga(['pull', `${proxy.host}/busybox`])).status, 0);
      assert.equal(layerCount(root), 1);
      const baseBlobGets = (): number => proxy.requests.filter((r) => r.startsWith('GET') && r.includes('/blobs/')).length;
      const before = baseBlobGets();
      const r = await ga(['pull', `${proxy.host}/lib/multi:v1`]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /: Already exists\n/);
      assert.equal(layerCount(root), 5, 'one shared base layer plus four');
      // config + 4 new layers: the base layer was not fetched again
      assert.equal(baseBlobGets() - before, 5);
    } finally {
      await proxy.stop();
    }
  });

  test('basic auth: refused without credentials, works after login (written to DOCKER_CONFIG)', () => {
    const { g, root } = fresh();
    const no = g(['pull', `${auth.host}/private/busybox:1`]);
    assert.equal(no.status, 125);
    assert.match(no.stderr, /unauthorized/);
    assert.deepEqual(book(root), {});
    const bad = g(['login', auth.host, '-u', 'tester', '-p', 'wrong']);
    assert.equal(bad.status, 125);
    assert.ok(!fs.existsSync(path.join(dockerConfig, 'config.json')) || !fs.readFileSync(path.join(dockerConfig, 'config.json'), 'utf8').includes(auth.host));
    const ok = g(['login', auth.host, '-u', auth.username!, '-p', auth.password!]);
    assert.equal(ok.stdout, 'Login Succeeded\n', ok.stderr);
    const cfg = JSON.parse(fs.readFileSync(path.join(dockerConfig, 'config.json'), 'utf8'));
    assert.equal(Buffer.from(cfg.auths[auth.host].auth, 'base64').toString(), `${auth.username}:${auth.password}`);
    assert.equal(g(['pull', `${auth.host}/private/busybox:1`]).status, 0);
    assert.equal(g(['logout', auth.host]).status, 0);
    assert.ok(!JSON.parse(fs.readFileSync(path.join(dockerConfig, 'config.json'), 'utf8')).auths[auth.host]);
  });

  test('token auth (Docker Hub\'s flow): anonymous pull where allowed, credentials where not', async () => {
    const { ga, root } = fresh();
    const pub = await ga(['pull', '-q', `${tokenReg.host}/public/busybox:1`]);
    assert.equal(pub.status, 0, pub.stderr);
    assert.ok(tokens.requests().some((r) => r.scope === 'repository:public/busybox:pull' && r.user === ''));
    const priv = await ga(['pull', `${tokenReg.host}/private/busybox:1`]);
    assert.equal(priv.status, 125);
    assert.match(priv.stderr, /unauthorized/);
    assert.equal(Object.keys(book(root)).length, 1);
    const login = await ga(['login', tokenReg.host, '-u', 'tester', '-p', 'token-pw']);
    assert.equal(login.stdout, 'Login Succeeded\n', login.stderr);
    const bad = await ga(['login', tokenReg.host, '-u', 'tester', '-p', 'nope']);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /unauthorized: incorrect username or password/);
    assert.equal((await ga(['pull', '-q', `${tokenReg.host}/private/busybox:1`])).status, 0);
    assert.ok(tokens.requests().some((r) => r.scope === 'repository:private/busybox:pull' && r.user === 'tester'));
    await ga(['logout', tokenReg.host]);
  });

  test('the library reports download and extraction progress per layer, from the extractor\'s thread', async () => {
    const { root } = fresh();
    const { Gocker } = await import('../../lib/index');
    const events: Array<{ id: string; status: string; current?: number; total?: number }> = [];
    const g = new Gocker({ root, runroot: path.join(path.dirname(root), 'run') });
    const { id } = await g.pull(`${reg.host}/big:1`, { onEvent: (e) => { if (e.kind === 'layer') events.push(e); } });
    assert.match(id, /^sha256:/);
    // The big layer's reports (busybox's layer is reported too, under its own id).
    const big = events.reduce((a, e) => ((e.total ?? 0) > (a.total ?? 0) ? e : a)).id;
    const extracting = events.filter((e) => e.id === big && e.status === 'Extracting' && e.current);
    const total = extracting[0]?.total ?? 0;
    // 8 MB of random data: reported in steps, rising, never past the layer's size.
    assert.ok(extracting.length >= 4, `${extracting.length} extraction reports`);
    assert.ok(extracting.every((e, i) => e.total === total && e.current! <= total && (i === 0 || e.current! >= extracting[i - 1].current!)));
    assert.ok(events.some((e) => e.id === big && e.status === 'Downloading' && e.current === total));
  });

  test('a multi-platform index: the host\'s platform by default, --platform to choose, a list when none matches', async () => {
    // Two single-platform images pushed by skopeo, then an OCI index over them put by hand.
    const host = goArch();
    const other = host === 'arm64' ? 'amd64' : 'arm64';
    pushImage((await busyboxImage()).ref, reg, `plat/multi:${host}`);
    pushImage((await busyboxAsArch(other)).ref, reg, `plat/multi:${other}`);
    const desc = async (tag: string, arch: string) => {
      const res = await fetch(`${reg.url}/v2/plat/multi/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      const body = Buffer.from(await res.arrayBuffer());
      return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: res.headers.get('docker-content-digest')!, size: body.length, platform: { os: 'linux', architecture: arch } };
    };
    const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [await desc(other, other), await desc(host, host)] });
    const put = await fetch(`${reg.url}/v2/plat/multi/manifests/latest`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }, body: index });
    assert.equal(put.status, 201, await put.text());
    const indexDigest = put.headers.get('docker-content-digest')!;

    const { ga } = fresh();
    const r = await ga(['pull', `${reg.host}/plat/multi`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${indexDigest}\n`));
    assert.equal((await ga(['image', 'inspect', '-f', '{{.Architecture}}', `${reg.host}/plat/multi`])).stdout, `${host}\n`);
    assert.equal((await ga(['run', '--rm', `${reg.host}/plat/multi`, 'echo', 'native'])).stdout, 'native\n');
    const o = await ga(['pull', '--platform', `linux/${other}`, `${reg.host}/plat/multi`]);
    assert.equal(o.status, 0, o.stderr);
    assert.equal((await ga(['image', 'inspect', '-f', '{{.Architecture}}', `${reg.host}/plat/multi`])).stdout, `${other}\n`);
    const none = await ga(['pull', '--platform', 'linux/s390x', `${reg.host}/plat/multi`]);
    assert.equal(none.status, 125);
    assert.equal(none.stderr, `gocker: no matching manifest for linux/s390x in the manifest list entries (available: linux/${other}, linux/${host})\n`);
  });

  test('docker.io through registry-mirrors from gocker\'s config: a dead mirror is skipped, blobs come from the mirror that answered', async () => {
    const dead = await freePort();
    const cfg = path.join(tokenDir, 'registries.json');
    fs.writeFileSync(cfg, JSON.stringify({ 'registry-mirrors': [`http://127.0.0.1:${dead}`, reg.url] }));
    const { g } = fresh();
    const r = g(['pull', 'busybox'], { GOCKER_CONFIG: cfg, GOCKER_REGISTRY_TIMEOUT_MS: '3000' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Status: Downloaded newer image for busybox:latest\ndocker\.io\/library\/busybox:latest\n$/);
    assert.match(g(['images', 'busybox']).stdout, /^busybox\s+latest\s+/m);
    assert.equal(g(['run', '--rm', 'busybox', 'echo', 'mirrored']).stdout, 'mirrored\n');
  });

  test('invalid references and unknown images: one line, 125, nothing registered', () => {
    const { g, root } = fresh();
    const r = g(['pull', 'Bad:Ref']);
    assert.equal(r.status, 125);
    assert.match(r.stderr, /^gocker: invalid reference format/);
    const u = g(['pull', `${reg.host}/nope`]);
    assert.equal(u.status, 125);
    assert.match(u.stderr, /not found/);
    assert.deepEqual(book(root), {});
  });
});

describe('faults', () => {
  const cases: Array<[Fault, boolean, RegExp | null]> = [
    ['corrupt-blob', false, /digest mismatch/],
    ['truncate-blob', false, /connection closed/],
    ['error-500-twice', true, null],
    ['stall-blob', false, /stalled|timed out/],
  ];
  for (const [fault, succeeds, message] of cases) {
    test(`${fault}: ${succeeds ? 'retried and pulled' : 'a clear error, no image registered, no layer left'}`, async () => {
      const proxy = await startProxy(reg.url, fault);
      try {
        const { ga, root } = fresh();
        const r = await ga(['pull', `${proxy.host}/busybox`], { GOCKER_REGISTRY_TIMEOUT_MS: '1500' });
        if (succeeds) {
          assert.equal(r.status, 0, r.stderr);
          assert.equal(Object.keys(book(root)).length, 1);
          return;
        }
        assert.equal(r.status, 125, r.stdout);
        assert.match(r.stderr, message!);
        assert.equal(r.stderr.trim().split('\n').length, 1);
        assert.deepEqual(book(root), {});
        assert.equal(layerCount(root), 0);
        assert.deepEqual(fs.existsSync(path.join(root, 'tmp')) ? fs.readdirSync(path.join(root, 'tmp')) : [], []);
      } finally {
        await proxy.stop();
      }
    });
  }

  test('a pull killed mid-download leaves nothing registered; the next pull completes', async () => {
    const proxy = await startProxy(reg.url, 'stall-blob');
    const { g, root } = fresh();
    try {
      const rootArgs = ['--root', root, '--runroot', path.join(path.dirname(root), 'run')];
      const child = spawn(process.execPath, [BIN, ...rootArgs, 'pull', `${proxy.host}/busybox`], { stdio: 'ignore', env });
      // Killed once it is inside the (stalled) blob download.
      for (let i = 0; i < 200 && !proxy.requests.some((q) => q.includes('/blobs/') && !q.includes(reg.host)); i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      assert.deepEqual(book(root), {});
      assert.equal(layerCount(root), 0);
      const r = g(['pull', `${reg.host}/busybox`]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(layerCount(root), 1);
    } finally {
      await proxy.stop();
    }
  });

  test('a full disk: a clear error, the previous images.json intact, nothing half-stored', () => {
    const { g, root } = fresh();
    // A 6 MB tmpfs as the root: busybox fits, 8 MB of random data does not.
    fs.mkdirSync(root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'gocker-test-full', root]);
    try {
      assert.equal(g(['pull', '-q', `${reg.host}/busybox`]).status, 0);
      const before = fs.readFileSync(path.join(root, 'images', 'images.json'));
      const layers = layerCount(root);
      const r = g(['pull', `${reg.host}/big:1`]);
      assert.equal(r.status, 125, r.stdout);
      assert.match(r.stderr, /no space left on device/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(fs.readFileSync(path.join(root, 'images', 'images.json')), before);
      assert.equal(layerCount(root), layers);
      assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
      assert.equal(g(['run', '--rm', `${reg.host}/busybox`, 'true']).status, 0);
    } finally {
      execFileSync('umount', [root]);
    }
  });

  test('four parallel pulls of one image: all succeed, each layer stored once, images.json valid', async () => {
    const { root } = fresh();
    const rootArgs = ['--root', root, '--runroot', path.join(path.dirname(root), 'run')];
    const codes = await Promise.all([0, 1, 2, 3].map(() => new Promise<number | null>((resolve) => {
      const c = spawn(process.execPath, [BIN, ...rootArgs, 'pull', '-q', `${reg.host}/lib/multi:v1`], { stdio: ['ignore', 'ignore', 'inherit'], env });
      c.on('exit', (code) => resolve(code));
    })));
    assert.deepEqual(codes, [0, 0, 0, 0]);
    assert.equal(layerCount(root), 5);
    assert.deepEqual(Object.keys(book(root)), [`${reg.host}/lib/multi`]);
    assert.equal(fs.readdirSync(path.join(root, 'l')).length, 5);
  });
});
