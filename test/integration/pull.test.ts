// Pulls from Debian's docker-registry, with images pushed by skopeo, faults injected by a proxy.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as dns from 'node:dns/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bigLayerImage, busyboxAsArch, busyboxImage, multiLayerImage } from '../helpers/fixtures';
import { BIN, gocker, gockerAsync, tempRoots } from '../helpers/cli';
import { freeBadPort, freePort, makeTestCa, pushImage, startRegistry, type Registry } from '../helpers/registry';
import { startProxy, withProxy, type Fault, type Proxy } from '../helpers/proxy';
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

const ls = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every stored layer has its short link, pointing at its own tree. */
function assertLinks(root: string): void {
  for (const hex of ls(path.join(root, 'layers'))) {
    const meta = JSON.parse(fs.readFileSync(path.join(root, 'layers', hex, 'meta.json'), 'utf8')) as { link: string };
    assert.equal(fs.readlinkSync(path.join(root, 'l', meta.link)), `../layers/${hex}/diff`, `the short link of layer ${hex}`);
  }
}

/** The layer blobs (not configs) a proxy was asked for, in order of first request. */
function layerDigests(proxy: Proxy): string[] {
  const out: string[] = [];
  for (const q of proxy.log) {
    const d = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(q.url)?.[1];
    if (q.method === 'GET' && d && !proxy.configs.has(d) && !out.includes(d)) out.push(d);
  }
  return out;
}

/** Runs the CLI as a child we can signal; `lines` collects its stdout as it comes. */
function spawnPull(root: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const rootArgs = ['--root', root, '--runroot', path.join(path.dirname(root), 'run')];
  const child = spawn(process.execPath, [BIN, ...rootArgs, 'pull', ...args], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...env, ...extraEnv } });
  const lines: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // Killed, even if stopped, should the test fail before it does so itself.
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, lines, exited };
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(5)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/**
 * Tags repo:baseTag as repo:tag cut down to its first layer, through the registry's API: an
 * image that shares its base with repo:tag by construction. (Fixture images built apart from
 * the same recipe share a base only when built within the same second: tar keeps mtimes.)
 */
async function pushBaseOf(repo: string, tag: string, baseTag: string): Promise<void> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const mediaType = res.headers.get('content-type')!;
  const m = await res.json() as { config: { digest: string; size: number }; layers: unknown[] };
  const config = await (await fetch(`${reg.url}/v2/${repo}/blobs/${m.config.digest}`)).json() as { rootfs: { diff_ids: string[] }; history?: Array<{ empty_layer?: boolean }> };
  config.rootfs.diff_ids = config.rootfs.diff_ids.slice(0, 1);
  const firstLayer = (config.history ?? []).findIndex((h) => !h.empty_layer);
  config.history = (config.history ?? []).slice(0, firstLayer + 1);
  const body = Buffer.from(JSON.stringify(config));
  const digest = `sha256:${crypto.createHash('sha256').update(body).digest('hex')}`;
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const upload = new URL(start.headers.get('location')!, reg.url);
  upload.searchParams.set('digest', digest);
  const put = await fetch(upload, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body });
  assert.equal(put.status, 201, await put.text());
  const manifest = JSON.stringify({ ...m, config: { ...m.config, digest, size: body.length }, layers: m.layers.slice(0, 1) });
  const mput = await fetch(`${reg.url}/v2/${repo}/manifests/${baseTag}`, { method: 'PUT', headers: { 'Content-Type': mediaType }, body: manifest });
  assert.equal(mput.status, 201, await mput.text());
}

before(async () => {
  reg = await startRegistry();
  auth = await startRegistry({ auth: 'basic' });
  pushImage((await busyboxImage()).ref, reg, 'busybox:latest');
  pushImage((await busyboxImage()).ref, reg, 'library/busybox:latest');
  pushImage((await bigLayerImage()).ref, reg, 'big:1');
  pushImage((await bigLayerImage(64)).ref, reg, 'huge:1');
  pushImage((await multiLayerImage()).ref, reg, 'lib/multi:v1');
  await pushBaseOf('lib/multi', 'v1', 'base');
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
  for (const c of cleanups.reverse()) c(); // children killed before their roots go
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
    assert.equal(bad.status, 1);
  });

  test('a second image on the same base downloads and stores nothing for the base', async () => {
    await withProxy([reg.url, 'none'], async (proxy) => {
      const { ga, root } = fresh();
      assert.equal((await ga(['pull', `${proxy.host}/lib/multi:base`])).status, 0);
      assert.equal(layerCount(root), 1);
      const baseBlobGets = (): number => proxy.requests.filter((r) => r.startsWith('GET') && r.includes('/blobs/')).length;
      const before = baseBlobGets();
      const r = await ga(['pull', `${proxy.host}/lib/multi:v1`]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /: Already exists\n/);
      assert.equal(layerCount(root), 5, 'one shared base layer plus four');
      // config + 4 new layers: the base layer was not fetched again
      assert.equal(baseBlobGets() - before, 5);
      // The layers' whiteouts, opaque directory and type changes, as a container sees them.
      const script = [
        'for p in /data/gone /data/dir /data/opaque/old1 /data/opaque/old2; do test -e $p && echo "$p survived"; done',
        'ls -A /data | tr "\\n" " "; echo',
        'ls -A /data/opaque',
        'cat /data/opaque/new /data/dir-to-file /data/file-to-dir/now',
        'readlink /data/link',
        'stat -c "%a %u:%g" /data/setuid /data/keep',
        'test "$(stat -c %i /data/keep)" = "$(stat -c %i /data/keep-hardlink)" && echo hardlinked',
      ].join('; ');
      const run = await ga(['run', '--rm', `${proxy.host}/lib/multi:v1`, 'sh', '-c', script]);
      assert.equal(run.stderr, '');
      assert.equal(run.stdout, [
        'dir-to-file file-to-dir keep keep-hardlink link opaque setuid ',
        'new',
        'new',
        'now a file',
        'now a dir',
        '/etc/passwd',
        '4755 0:0',
        '644 1000:1000',
        'hardlinked',
        '',
      ].join('\n'));
    });
  });

  test('basic auth: refused without credentials, works after login (written to DOCKER_CONFIG)', () => {
    const { g, root } = fresh();
    const no = g(['pull', `${auth.host}/private/busybox:1`]);
    assert.equal(no.status, 1);
    assert.match(no.stderr, /unauthorized/);
    assert.deepEqual(book(root), {});
    const bad = g(['login', auth.host, '-u', 'tester', '-p', 'wrong']);
    assert.equal(bad.status, 1);
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
    assert.equal(priv.status, 1);
    assert.match(priv.stderr, /unauthorized/);
    assert.equal(Object.keys(book(root)).length, 1);
    const login = await ga(['login', tokenReg.host, '-u', 'tester', '-p', 'token-pw']);
    assert.equal(login.stdout, 'Login Succeeded\n', login.stderr);
    const bad = await ga(['login', tokenReg.host, '-u', 'tester', '-p', 'nope']);
    assert.equal(bad.status, 1);
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
    const { id } = await g.pull(`${reg.host}/huge:1`, { onEvent: (e) => { if (e.kind === 'layer') events.push(e); } });
    assert.match(id, /^sha256:/);
    // The big layer's reports (busybox's layer is reported too, under its own id).
    const big = events.reduce((a, e) => ((e.total ?? 0) > (a.total ?? 0) ? e : a)).id;
    const extracting = events.filter((e) => e.id === big && e.status === 'Extracting' && e.current);
    const total = extracting[0]?.total ?? 0;
    // 64 MB of random data: reported in steps, rising, never past the layer's size. (Reports
    // the event loop is too busy to take are coalesced: 8 MB gave too few on a loaded machine.)
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
    assert.equal(none.status, 1);
    assert.equal(none.stderr, `Error response from daemon: no matching manifest for linux/s390x in the manifest list entries (available: linux/${other}, linux/${host})\n`);
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

  test('invalid references and unknown images: one line, exit 1, nothing registered', () => {
    const { g, root } = fresh();
    const r = g(['pull', 'Bad:Ref']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^invalid reference format/);
    const u = g(['pull', `${reg.host}/nope`]);
    assert.equal(u.status, 1);
    assert.match(u.stderr, /not found/);
    assert.deepEqual(book(root), {});
  });
});


describe('https', () => {
  // A registry over TLS, its certificate from a CA of the test's own: a docker.io mirror, as
  // registries on loopback are spoken to in plain HTTP (as docker does).
  let tlsReg: Registry;
  let caFile: string;
  const caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-ca-'));
  before(async () => {
    const ca = makeTestCa(caDir);
    caFile = ca.caFile;
    tlsReg = await startRegistry({ tls: ca });
    pushImage((await busyboxImage()).ref, tlsReg, 'library/busybox:latest');
  });
  after(async () => {
    await tlsReg?.stop();
    fs.rmSync(caDir, { recursive: true, force: true });
  });
  const mirrors = (list: string[]): string => {
    const cfg = path.join(caDir, `registries-${list.length}.json`);
    fs.writeFileSync(cfg, JSON.stringify({ 'registry-mirrors': list }));
    return cfg;
  };
  const withoutCa = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...env };
    delete e.NODE_EXTRA_CA_CERTS;
    delete e.GOCKER_EXTRA_CA_CERTS;
    return e;
  };

  test('a CA from NODE_EXTRA_CA_CERTS is trusted, by the gocker command (which reads it at its first https request) and under node', () => {
    const cfg = mirrors([tlsReg.url]);
    const { g } = fresh();
    const r = g(['pull', 'busybox'], { ...withoutCa(), GOCKER_CONFIG: cfg, NODE_EXTRA_CA_CERTS: caFile });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /Status: Downloaded newer image for busybox:latest\n/);
    assert.equal(g(['run', '--rm', 'busybox', 'echo', 'over tls']).stdout, 'over tls\n');
    // `node dist/cli/gocker.js`: Node has read the file itself, and fetch trusts it as it is.
    const { root } = fresh();
    const n = spawnSync(process.execPath, [BIN, '--root', root, '--runroot', path.join(path.dirname(root), 'run'), 'pull', '-q', 'busybox'],
      { encoding: 'utf8', env: { ...withoutCa(), GOCKER_CONFIG: cfg, NODE_EXTRA_CA_CERTS: caFile } });
    assert.equal(n.status, 0, n.stderr);
    assert.equal(n.stdout, 'docker.io/library/busybox:latest\n');
  });

  test('without the CA the mirror is refused in one line, at once, and the next endpoint serves; an unreadable CA file is named', () => {
    const cfg = mirrors([tlsReg.url, reg.url]);
    const tlsLine = new RegExp(`level=warning msg="${tlsReg.url.replace(/[.]/g, '\\.')} failed, trying the next endpoint: manifest for docker\\.io/library/busybox:latest: tls: unable to verify the first certificate"`);
    const plain = fresh().g(['pull', 'busybox'], { ...withoutCa(), GOCKER_CONFIG: cfg });
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stderr, tlsLine);
    assert.equal(plain.stderr.split('\n').filter(Boolean).length, 1, plain.stderr);
    const missing = path.join(caDir, 'no-such-ca.pem');
    const bad = fresh().g(['pull', 'busybox'], { ...withoutCa(), GOCKER_CONFIG: cfg, NODE_EXTRA_CA_CERTS: missing });
    assert.equal(bad.status, 0, bad.stderr);
    assert.match(bad.stderr, new RegExp(`level=warning msg="ignoring extra certificates from ${missing}: ENOENT"`));
    assert.match(bad.stderr, tlsLine);
  });

  test('a certificate that does not verify is not retried', async () => {
    const { RegistryClient } = await import('../../lib/remote');
    const { parseReference } = await import('../../lib/name');
    const { setLogSink } = await import('../../lib/log');
    const lines: string[] = [];
    setLogSink((l) => lines.push(l));
    try {
      const retried: string[] = [];
      const client = new RegistryClient({ retries: 3, config: { insecureRegistries: [], registryMirrors: [tlsReg.url, reg.url] }, onRetry: (what) => retried.push(what) });
      const img = await client.resolve(parseReference('busybox'));
      assert.match(img.manifestDigest, /^sha256:/);
      assert.deepEqual(retried, []);
      assert.equal(lines.length, 1);
      assert.match(lines[0], /tls: /);
    } finally {
      setLogSink((l) => process.stderr.write(l));
    }
  });
});

describe('registry client', () => {
  test('pull by digest: a manifest that does not match its digest is refused by name, nothing stored', async () => {
    const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(fresh().g(['pull', `${reg.host}/busybox`]).stdout)![1];
    await withProxy([reg.url, 'rewrite-manifest'], async (proxy) => {
      const { ga, root } = fresh();
      const r = await ga(['pull', `${proxy.host}/busybox@${digest}`]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, new RegExp(`^Error response from daemon: manifest verification failed for digest ${digest}: got sha256:[0-9a-f]{64}\n$`));
      assert.ok(proxy.requests.some((q) => q === `GET /v2/busybox/manifests/${digest}`));
      assert.deepEqual(book(root), {});
      assert.equal(layerCount(root), 0);
      assert.deepEqual(ls(path.join(root, 'blobs', 'sha256')), []);
      // The same pull by tag is fine: only digests are checked against the body.
      assert.equal((await ga(['pull', '-q', `${proxy.host}/busybox`])).status, 0);
    });
  });

  test('a manifest larger than 4 MiB, chunked: reading stops at the cap', async () => {
    await withProxy([reg.url, 'huge-manifest'], async (proxy) => {
      const { ga, root } = fresh();
      const r = await ga(['pull', `${proxy.host}/busybox`]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, /^Error response from daemon: manifest for 127\.0\.0\.1:\d+\/busybox:latest is larger than 4194304 bytes\n$/);
      // The proxy would send 1 GiB; the client hung up just past 4 MiB (plus what sat in buffers).
      assert.ok(proxy.hugeSent() < 16 << 20, `${proxy.hugeSent()} bytes sent`);
      assert.deepEqual(book(root), {});
    });
  });

  test('a Docker schema 1 manifest: a clear "unsupported" error', async () => {
    await withProxy([reg.url, 'schema1'], async (proxy) => {
      const { ga, root } = fresh();
      const r = await ga(['pull', `${proxy.host}/busybox`]);
      assert.equal(r.status, 1, r.stdout);
      assert.equal(r.stderr, `Error response from daemon: ${proxy.host}/busybox:latest: Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported\n`);
      assert.deepEqual(book(root), {});
      assert.ok(!proxy.requests.some((q) => q.includes('/blobs/')));
    });
  });

  test('layers download concurrently, at most --max-concurrent-downloads at once (default 3)', async () => {
    for (const [flag, want] of [[[], 3], [['--max-concurrent-downloads', '2'], 2], [['--max-concurrent-downloads', '1'], 1]] as Array<[string[], number]>) {
      await withProxy([reg.url, 'slow-blob', { delayMs: 300 }], async (proxy) => {
        const { ga } = fresh();
        const r = await ga(['pull', ...flag, `${proxy.host}/lib/multi:v1`]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(layerDigests(proxy).length, 5);
        // Five layers held 300 ms each: the limit is reached, never passed.
        assert.equal(proxy.maxOpenLayerGets(), want, `${flag.join(' ') || 'default'}`);
        assert.equal((r.stdout.match(/: Waiting\n/g) ?? []).length, 5 - want);
      });
    }
  });

  test('429 TOOMANYREQUESTS: temporary, retried after Retry-After; the pull completes and says it retried', async () => {
    await withProxy([reg.url, 'error-429-once'], async (proxy) => {
      const { ga } = fresh();
      const r = await ga(['pull', `${proxy.host}/busybox`]);
      assert.equal(r.status, 0, r.stderr);
      const layer = layerDigests(proxy)[0];
      const gets = proxy.log.filter((q) => q.url.endsWith(`/blobs/${layer}`));
      assert.deepEqual(gets.map((q) => q.status), [429, 200]);
      // Retry-After: 1 was honoured (the backoff alone would wait 200 ms).
      assert.ok(gets[1].at - gets[0].at >= 950, `${gets[1].at - gets[0].at} ms between attempts`);
      assert.match(r.stdout, new RegExp(`${layer.slice(7, 19)}: Retrying in 1 second\n`));
    });
  });

  test('typed errors carry the registry\'s code: TOOMANYREQUESTS is temporary, DENIED is not and is not retried', async () => {
    const { RegistryClient } = await import('../../lib/remote');
    const { parseReference } = await import('../../lib/name');
    const { Gocker } = await import('../../lib/index');
    const limited = await startProxy(reg.url, 'error-429-always');
    const denied = await startProxy(reg.url, 'denied');
    try {
      const { root } = fresh();
      const g = new Gocker({ root, runroot: path.join(path.dirname(root), 'run') });
      const retries: number[] = [];
      const e429 = await g.pull(`${limited.host}/busybox`, { retries: 1, onRetry: (_w, _a, _e, delay) => retries.push(delay) }).then(() => undefined, (e: unknown) => e) as InstanceType<typeof import('../../lib/remote').RegistryError>;
      assert.ok(e429, 'the pull failed');
      assert.equal(e429.registryCode, 'TOOMANYREQUESTS');
      assert.equal(e429.status, 429);
      assert.equal(e429.temporary, true);
      assert.match(e429.message, /^blob sha256:[0-9a-f]{64}: toomanyrequests: injected rate limit$/);
      assert.deepEqual(retries, [1000]);
      assert.equal(limited.log.filter((q) => q.status === 429).length, 2);
      assert.deepEqual(book(root), {});

      const client = new RegistryClient({ retries: 3 });
      const e403 = await client.resolve(parseReference(`${denied.host}/busybox`)).then(() => undefined, (e: unknown) => e) as InstanceType<typeof import('../../lib/remote').RegistryError>;
      assert.equal(e403.registryCode, 'DENIED');
      assert.equal(e403.status, 403);
      assert.equal(e403.temporary, false);
      assert.equal(denied.requests.filter((q) => q.includes('/manifests/')).length, 1, 'not retried');
      const { ga } = fresh();
      const cli = await ga(['pull', `${denied.host}/busybox`]);
      assert.equal(cli.status, 1);
      assert.equal(cli.stderr, `Error response from daemon: manifest for ${denied.host}/busybox:latest: denied: requested access to the resource is denied\n`);
    } finally {
      await limited.stop();
      await denied.stop();
    }
  });

  test('plain HTTP: for ::1 as for 127/8, and for a registry gocker\'s config lists as insecure', async () => {
    const v6 = await startProxy(reg.url, 'none', { host: '::1' });
    try {
      const { ga } = fresh();
      const r = await ga(['pull', `${v6.host}/busybox`]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Status: Downloaded newer image for \[::1\]:\d+\/busybox:latest\n/);
      assert.equal((await ga(['run', '--rm', `${v6.host}/busybox`, 'echo', 'v6'])).stdout, 'v6\n');
    } finally {
      await v6.stop();
    }
    // This machine's own name is a loopback address by /etc/hosts but not by its spelling:
    // https unless the config says otherwise.
    const name = os.hostname();
    assert.match((await dns.lookup(name, { family: 4 })).address, /^127\./, `${name} resolves to loopback`);
    const proxy = await startProxy(reg.url, 'none');
    const cfg = path.join(tokenDir, 'insecure.json');
    try {
      const host = `${name}:${proxy.host.split(':')[1]}`;
      const { ga } = fresh();
      const tls = await ga(['pull', `${host}/busybox`]);
      assert.equal(tls.status, 1);
      assert.equal(tls.stderr.split('\n').length, 2, tls.stderr);
      assert.equal(proxy.log.length, 0, 'no plain HTTP request was made');
      fs.writeFileSync(cfg, JSON.stringify({ 'insecure-registries': [host] }));
      const r = await ga(['pull', `${host}/busybox`], { GOCKER_CONFIG: cfg });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(proxy.log.length > 0);
    } finally {
      fs.rmSync(cfg, { force: true });
      await proxy.stop();
    }
  });

  test('progress on a terminal: one line per layer redrawn in place, byte counts, every state, retries', async () => {
    await withProxy([reg.url, 'error-500-twice'], async (proxy) => {
      const { root } = fresh();
      const cmd = [process.execPath, BIN, '--root', root, '--runroot', path.join(path.dirname(root), 'run'), 'pull', '--max-concurrent-downloads', '1', `${proxy.host}/big:1`].join(' ');
      // script(1) gives the CLI a real terminal, as a user's shell would.
      const out = await new Promise<string>((resolve) => {
        const c = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'], env });
        let o = '';
        c.stdout!.on('data', (d: Buffer) => (o += d.toString()));
        c.on('close', () => resolve(o));
      });
      const ids = layerDigests(proxy).map((d) => d.slice(7, 19));
      assert.equal(ids.length, 2);
      // Redrawn: cursor up over the layer lines, each line cleared before it is written again.
      assert.match(out, /\x1b\[2A/);
      const states = (id: string): string[] => [...out.matchAll(new RegExp(`\\x1b\\[2K${id}: ([^\\r\\n]*)`, 'g'))].map((m) => m[1]);
      const big = states(ids[1]);
      const downloading = big.map((t) => /^Downloading ([\d.]+[kM]?B)\/([\d.]+MB)$/.exec(t)).filter((m): m is RegExpExecArray => !!m);
      assert.ok(downloading.length >= 3, big.join(' | '));
      assert.ok(downloading.some((m) => m[1] !== m[2]), 'a partial count was shown');
      assert.equal(downloading.at(-1)![1], downloading.at(-1)![2]);
      // One download at a time: the big layer waits for busybox's.
      for (const want of ['Waiting', 'Verifying Checksum', 'Download complete', 'Pull complete']) assert.ok(big.includes(want), `${want} in ${big.join(' | ')}`);
      assert.ok(big.some((t) => /^Extracting [\d.]+[kM]?B\/[\d.]+MB$/.test(t)));
      assert.equal(big.at(-1), 'Pull complete');
      // The two injected 500s hit busybox's layer, and were shown.
      assert.deepEqual(states(ids[0]).filter((t) => t.startsWith('Retrying')), ['Retrying in 1 second', 'Retrying in 1 second']);
      assert.match(out, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/big:1\r?\n/);
    });
  });
});

describe('faults', () => {
  // Each fault hits the layer blobs; the config (fetched whole, in memory) passes untouched.
  const cases: Array<[Fault, RegExp]> = [
    ['corrupt-blob', /^Error response from daemon: blob (sha256:[0-9a-f]{64}): digest mismatch, got sha256:[0-9a-f]{64}\n$/],
    ['truncate-blob', /^Error response from daemon: blob (sha256:[0-9a-f]{64}): connection closed after \d+ of \d+ bytes\n$/],
    ['stall-blob', /^Error response from daemon: blob (sha256:[0-9a-f]{64}): download stalled: no data for 1500 ms\n$/],
  ];
  for (const [fault, message] of cases) {
    test(`${fault} on a layer: a clear error naming it, no image registered, nothing left`, async () => {
      await withProxy([reg.url, fault], async (proxy) => {
        const { ga, root } = fresh();
        const r = await ga(['pull', `${proxy.host}/busybox`], { GOCKER_REGISTRY_TIMEOUT_MS: '1500' });
        assert.equal(r.status, 1, r.stdout);
        assert.match(r.stderr, message);
        const layer = layerDigests(proxy)[0];
        assert.equal(proxy.configs.size, 1, 'the config came through the proxy');
        assert.equal(message.exec(r.stderr)![1], layer);
        const gets = proxy.log.filter((q) => q.url.endsWith(`/blobs/${layer}`));
        if (fault === 'corrupt-blob') assert.equal(gets.length, 1, 'a digest mismatch is not retried');
        if (fault === 'truncate-blob') {
          // Each retry resumed where the previous attempt stopped.
          assert.equal(gets.length, 4);
          assert.equal(gets[0].headers.range, undefined);
          for (const g of gets.slice(1)) assert.match(String(g.headers.range), /^bytes=[1-9]\d*-$/);
          assert.equal(new Set(gets.map((g) => g.headers.range)).size, 4);
        }
        assert.deepEqual(book(root), {});
        assert.equal(layerCount(root), 0);
        assert.ok(!fs.existsSync(path.join(root, 'blobs', 'sha256', layer.slice(7))), 'the layer blob is not stored');
        assert.deepEqual(ls(path.join(root, 'tmp')), []);
        assert.deepEqual(ls(path.join(root, 'images')).filter((n) => n !== 'images.json'), []);
      });
    });
  }

  test('a connection cut mid-layer: the download resumes with Range and the pull succeeds', async () => {
    await withProxy([reg.url, 'truncate-once'], async (proxy) => {
      const { ga, root } = fresh();
      const r = await ga(['pull', `${proxy.host}/big:1`]);
      assert.equal(r.status, 0, r.stderr);
      for (const layer of layerDigests(proxy)) {
        const gets = proxy.log.filter((q) => q.url.endsWith(`/blobs/${layer}`));
        assert.equal(gets.length, 2, layer);
        assert.equal(gets[0].headers.range, undefined);
        const from = Number(/^bytes=(\d+)-$/.exec(String(gets[1].headers.range))?.[1]);
        assert.ok(from > 0, `resumed from ${gets[1].headers.range}`);
        assert.equal(gets[1].status, 206, 'the registry answered the range');
        assert.ok(fs.existsSync(path.join(root, 'blobs', 'sha256', layer.slice(7))));
      }
      assert.match(r.stdout, /: Retrying in 1 second\n/);
      assert.equal((await ga(['run', '--rm', `${proxy.host}/big:1`, 'sh', '-c', 'wc -c < /data/random'])).stdout.trim(), String(8 << 20));
    });
  });

  test('a resume answered with another range than asked: the download starts over, the pull succeeds', async () => {
    await withProxy([reg.url, 'wrong-range'], async (proxy) => {
      const { ga } = fresh();
      const r = await ga(['pull', `${proxy.host}/busybox`]);
      assert.equal(r.status, 0, r.stderr);
      const layer = layerDigests(proxy)[0];
      const gets = proxy.log.filter((q) => q.url.endsWith(`/blobs/${layer}`));
      // cut; resume asked from the cut and answered from 0 (refused); whole again
      assert.deepEqual(gets.map((q) => [q.headers.range === undefined ? 'whole' : 'range', q.status]), [['whole', 200], ['range', 206], ['whole', 200]]);
      assert.equal((await ga(['run', '--rm', `${proxy.host}/busybox`, 'echo', 'ok'])).stdout, 'ok\n');
    });
  });

  test('500s that then succeed: retried and pulled', async () => {
    await withProxy([reg.url, 'error-500-twice'], async (proxy) => {
      const { ga, root } = fresh();
      const r = await ga(['pull', `${proxy.host}/busybox`]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(proxy.log.filter((q) => q.status === 500).length, 2);
      assert.equal(Object.keys(book(root)).length, 1);
    });
  });

  test('a full disk: one line at once (not retried), the previous images.json intact, nothing half-stored', async () => {
    const { ga, root } = fresh();
    // A 10 MB tmpfs as the root: busybox fits twice (big:1 may have its own build of it), the
    // 8 MB of random data does not. One download at a time, each held a moment: big:1's
    // busybox layer is stored before the big blob streams, so the blob write is what fails.
    fs.mkdirSync(root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=10m', 'gocker-test-full', root]);
    const proxy = await startProxy(reg.url, 'slow-blob', { delayMs: 500 });
    try {
      assert.equal((await ga(['pull', '-q', `${reg.host}/busybox`])).status, 0);
      const before = fs.readFileSync(path.join(root, 'images', 'images.json'));
      const layers = layerCount(root);
      const r = await ga(['pull', '--max-concurrent-downloads', '1', `${proxy.host}/big:1`]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, /^Error response from daemon: write \S+: no space left on device\n$/);
      const big = layerDigests(proxy).at(-1)!;
      assert.equal(proxy.requests.filter((q) => q.endsWith(big)).length, 1, 'a full disk is not a network error: no retry');
      assert.doesNotMatch(r.stdout, /Retrying/);
      assert.deepEqual(fs.readFileSync(path.join(root, 'images', 'images.json')), before);
      // big:1's busybox layer, when it is not busybox's own, was stored; the big one not.
      assert.equal(layerCount(root), layers + layerDigests(proxy).length - 1);
      assert.ok(!fs.existsSync(path.join(root, 'blobs', 'sha256', big.slice(7))));
      assert.deepEqual(ls(path.join(root, 'tmp')), []);
      assert.equal((await ga(['run', '--rm', `${reg.host}/busybox`, 'true'])).status, 0);
    } finally {
      await proxy.stop();
      execFileSync('umount', [root]);
    }
  });

  test('a full disk while extracting: the extractor\'s ENOSPC in one line, in docker\'s words, nothing registered', async () => {
    const { ga, root } = fresh();
    // Room for busybox's 1.1 MB blob, not for its 2.1 MB tree.
    fs.mkdirSync(root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'gocker-test-full', root]);
    try {
      const r = await ga(['pull', `${reg.host}/busybox`]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, /^Error response from daemon: failed to register layer: write \S+: no space left on device\n$/);
      assert.match(r.stdout, /: Extracting\n/);
      assert.deepEqual(book(root), {});
      assert.equal(layerCount(root), 0);
      assert.deepEqual(ls(path.join(root, 'tmp')), []);
    } finally {
      execFileSync('umount', [root]);
    }
  });

  test('a full disk for metadata only (the layers fit): one line, images.json intact, no <none> image', async () => {
    const { ga, root } = fresh();
    const images = path.join(root, 'images');
    fs.mkdirSync(images, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'gocker-test-meta', images]);
    const filler = path.join(images, 'filler');
    /** Leaves `pages` 4 KiB pages free in the images tmpfs. */
    const fill = (pages: number): void => {
      fs.rmSync(filler, { force: true });
      const st = fs.statfsSync(images);
      fs.writeFileSync(filler, Buffer.alloc(Number(st.bavail) * Number(st.bsize) - pages * 4096));
      assert.equal(Number(fs.statfsSync(images).bavail) * Number(fs.statfsSync(images).bsize), pages * 4096);
    };
    try {
      assert.equal((await ga(['pull', '-q', `${reg.host}/lib/multi:base`])).status, 0);
      const before = fs.readFileSync(path.join(images, 'images.json'));
      // 0 pages: the image's config.json cannot be written. 3 pages: config, manifest and
      // repodigests are, and images.json (a temp file beside the old one) is not.
      for (const pages of [0, 3]) {
        fill(pages);
        const r = await ga(['pull', `${reg.host}/lib/multi:v1`]);
        assert.equal(r.status, 1, r.stdout);
        assert.match(r.stderr, pages === 0 ? /^Error response from daemon: no space left on device writing \S+\/config\.json\n$/ : /^Error response from daemon: no space left on device writing \S+\/images\.json\n$/);
        assert.deepEqual(fs.readFileSync(path.join(images, 'images.json')), before);
        assert.equal(layerCount(root), 5, 'the layers were stored');
        const list = await ga(['images']);
        assert.doesNotMatch(list.stdout, /<none>/);
        assert.equal(list.stdout.trim().split('\n').length, 2, list.stdout);
      }
      fs.rmSync(filler);
      const r = await ga(['pull', '-q', `${reg.host}/lib/multi:v1`]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal((await ga(['run', '--rm', `${reg.host}/lib/multi:v1`, 'cat', '/data/opaque/new'])).stdout, 'new\n');
    } finally {
      execFileSync('umount', [images]);
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
    assertLinks(root);
  });
});

describe('crash safety', () => {
  /** After a killed pull: nothing registered, nothing shown; the next pull completes and the image runs. */
  async function recovers(root: string, ga: ReturnType<typeof fresh>['ga'], image: string, check: [string[], string]): Promise<void> {
    assert.deepEqual(book(root), {});
    const list = await ga(['images']);
    assert.equal(list.stdout.trim().split('\n').length, 1, `nothing listed, not even <none>: ${list.stdout}`);
    const r = await ga(['pull', image]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(ls(path.join(root, 'tmp')), [], 'the dead pull\'s work was swept');
    assertLinks(root);
    const run = await ga(['run', '--rm', image, ...check[0]]);
    assert.equal(run.stdout, check[1], run.stderr);
  }

  test('killed during a layer download', async () => {
    await withProxy([reg.url, 'stall-blob'], async (proxy) => {
      const { ga, root } = fresh();
      const p = spawnPull(root, [`${proxy.host}/busybox`]);
      await until('a layer download', () => layerDigests(proxy).length > 0);
      await sleep(100);
      p.child.kill('SIGKILL');
      await p.exited;
      assert.equal(layerCount(root), 0);
      assert.equal(ls(path.join(root, 'tmp')).length, 1, 'the download was in progress');
      await recovers(root, ga, `${reg.host}/busybox`, [['echo', 'ok'], 'ok\n']);
    });
  });

  test('killed while extracting a layer: the next pull uses the stored blob and extracts it again', async () => {
    await withProxy([reg.url, 'none'], async (proxy) => {
      const { ga, root } = fresh();
      const p = spawnPull(root, [`${proxy.host}/huge:1`]);
      // The second "Extracting" is the 64 MB layer's; stop the process there and look. The
      // line is written just before the extraction's directory is made, so wait for both:
      // stopped between the two, the process would not yet be extracting.
      const extracting = (): boolean => ls(path.join(root, 'tmp')).some((n) => n.startsWith('layer-'));
      await until('the big layer\'s extraction', () => (p.lines.filter((l) => l.endsWith(': Extracting')).length === 2 && extracting()) || p.child.exitCode !== null);
      p.child.kill('SIGSTOP');
      const layer = layerDigests(proxy)[1];
      assert.ok(fs.existsSync(path.join(root, 'blobs', 'sha256', layer.slice(7))), 'its verified blob was stored before extraction');
      assert.equal(layerCount(root), 1, 'only busybox\'s layer is in place');
      assert.ok(extracting(), 'an extraction was in progress');
      p.child.kill('SIGKILL');
      await p.exited;
      const gets = proxy.requests.length;
      await recovers(root, ga, `${proxy.host}/huge:1`, [['sh', '-c', 'wc -c < /data/random'], `${64 << 20}\n`]);
      assert.ok(!proxy.requests.slice(gets).some((q) => q.includes('/blobs/') && !proxy.configs.has(q.slice(q.lastIndexOf('/') + 1))), 'no layer downloaded again');
    });
  });

  test('killed just before images.json is written: no <none> image appears, the next pull completes', async () => {
    const { ga, root } = fresh();
    // Hold images.json's lock (with flock(1), as any writer would), so the pull stops at
    // the last step, after its image's config and manifest are on disk.
    const lockFile = path.join(path.dirname(root), 'run', 'locks', 'images.lock');
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    // flock(1) holds it while cat runs; cat ends when its stdin closes.
    const holder = spawn('flock', [lockFile, 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const released = new Promise((r) => holder.once('exit', r));
    try {
      await until('flock(1) to hold the lock', () => execFileSyncStatus('flock', ['-n', lockFile, 'true']) !== 0);
      const p = spawnPull(root, [`${reg.host}/lib/multi:v1`]);
      await until('the image\'s files', () => ls(path.join(root, 'images')).some((n) => fs.existsSync(path.join(root, 'images', n, 'repodigests.json'))) || p.child.exitCode !== null);
      await sleep(100);
      assert.equal(p.child.exitCode, null, 'the pull waits for the lock');
      p.child.kill('SIGKILL');
      await p.exited;
    } finally {
      holder.stdin!.end();
      await released;
    }
    assert.equal(layerCount(root), 5);
    await recovers(root, ga, `${reg.host}/lib/multi:v1`, [['cat', '/data/opaque/new'], 'new\n']);
  });

  test('a layer stored without its short link (a crash between the two) gets it back', async () => {
    const { ga, root } = fresh();
    assert.equal((await ga(['pull', '-q', `${reg.host}/lib/multi:v1`])).status, 0);
    const links = ls(path.join(root, 'l'));
    fs.rmSync(path.join(root, 'l', links[2]));
    const r = await ga(['pull', `${reg.host}/lib/multi:v1`]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(ls(path.join(root, 'l')), links);
    assertLinks(root);
    assert.equal((await ga(['run', '--rm', `${reg.host}/lib/multi:v1`, 'cat', '/data/opaque/new'])).stdout, 'new\n');
  });

  test('a layer stored without its blob is not "Already exists": the blob is fetched, save works', async () => {
    const { ga, root } = fresh();
    assert.equal((await ga(['pull', '-q', `${reg.host}/busybox`])).status, 0);
    const blobs = ls(path.join(root, 'blobs', 'sha256'));
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'images', ls(path.join(root, 'images')).find((n) => n !== 'images.json')!, 'manifest.json'), 'utf8')) as { layers: Array<{ digest: string }> };
    const layerBlob = manifest.layers[0].digest.slice(7);
    fs.rmSync(path.join(root, 'blobs', 'sha256', layerBlob));
    const r = await ga(['pull', `${reg.host}/busybox`]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Already exists/);
    assert.deepEqual(ls(path.join(root, 'blobs', 'sha256')), blobs);
    const out = path.join(path.dirname(root), 'saved.tar');
    const save = await ga(['save', '-o', out, `${reg.host}/busybox`]);
    assert.equal(save.status, 0, save.stderr);
  });

  test('a pull does not sweep a concurrent pull\'s long-running work out of tmp/', async () => {
    await withProxy([reg.url, 'slow-blob', { delayMs: 2500 }], async (proxy) => {
      const { ga, root } = fresh();
      const slow = spawnPull(root, ['-q', `${proxy.host}/big:1`]);
      await until('the slow pull\'s download', () => layerDigests(proxy).length > 0);
      // As if it had been downloading for ten minutes.
      const old = new Date(Date.now() - 600_000);
      for (const n of ls(path.join(root, 'tmp'))) fs.utimesSync(path.join(root, 'tmp', n), old, old);
      assert.equal((await ga(['pull', '-q', `${reg.host}/busybox`])).status, 0);
      assert.equal(await slow.exited, 0, 'the slow pull completed');
      assert.equal((await ga(['run', '--rm', `${proxy.host}/big:1`, 'sh', '-c', 'wc -c < /data/random'])).stdout.trim(), String(8 << 20));
    });
  });
});

describe('run of an image not at hand', () => {
  test('pulls it as docker does: "Unable to find image" then the pull\'s progress on stderr, then the run; --pull always, never; -q', () => {
    const { g, root } = fresh();
    const r = g(['run', '--rm', `${reg.host}/busybox`, 'echo', 'ran']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ran\n', 'the container\'s output alone on stdout');
    assert.match(r.stderr, new RegExp(`^Unable to find image '${reg.host}/busybox:latest' locally\nlatest: Pulling from busybox\n`));
    assert.match(r.stderr, /\n[0-9a-f]{12}: Pull complete\n/);
    assert.match(r.stderr, new RegExp(`\nDigest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for ${reg.host}/busybox:latest\n$`));
    assert.deepEqual(Object.keys(book(root)), [`${reg.host}/busybox`]);
    // At hand now: nothing pulled, nothing said.
    const again = g(['run', '--rm', `${reg.host}/busybox`, 'true']);
    assert.equal(again.stderr, '');
    assert.equal(again.status, 0);
    // always: pulled though it is here (the registry says it is the same).
    const always = g(['run', '--rm', '--pull', 'always', `${reg.host}/busybox`, 'echo', 'fresh']);
    assert.equal(always.stdout, 'fresh\n');
    assert.match(always.stderr, new RegExp(`^latest: Pulling from busybox\n[^]*Status: Image is up to date for ${reg.host}/busybox:latest\n$`));

    const other = fresh();
    const containers = (): string[] => ls(path.join(other.root, 'containers'));
    // never: docker's error, 125, nothing pulled.
    const never = other.g(['run', '--pull', 'never', `${reg.host}/busybox`, 'true']);
    assert.equal(never.stderr, `gocker: No such image: ${reg.host}/busybox:latest\n`);
    assert.equal(never.status, 125);
    assert.deepEqual(book(other.root), {});
    const bad = other.g(['run', '--pull', 'sometimes', `${reg.host}/busybox`, 'true']);
    assert.equal(bad.stderr, 'gocker: invalid pull option: \'sometimes\': must be one of "always", "missing" or "never"\nSee \'gocker run --help\'.\n');
    assert.equal(bad.status, 125);
    // Not in the registry either: the pull's error, 125, no container.
    const nope = other.g(['run', `${reg.host}/nope`, 'true']);
    assert.equal(nope.status, 125);
    assert.match(nope.stderr, new RegExp(`^Unable to find image '${reg.host}/nope:latest' locally\ngocker: .*not found`));
    assert.deepEqual(containers(), []);
    // -q: the pull is silent, as docker's run -q; the container's output is all there is.
    const quiet = other.g(['run', '--rm', '-q', `${reg.host}/lib/multi:v1`, 'echo', 'quiet']);
    assert.equal(quiet.stderr, '');
    assert.equal(quiet.stdout, 'quiet\n');
    assert.equal(quiet.status, 0);
    // -d: the id alone on stdout, the pull on stderr.
    const d = other.g(['run', '-d', '--pull', 'always', `${reg.host}/busybox`, 'true']);
    assert.match(d.stdout, /^[0-9a-f]{64}\n$/);
    assert.match(d.stderr, /^latest: Pulling from busybox\n/);
    assert.equal(other.g(['rm', '-f', d.stdout.trim()]).status, 0);
  });
});

describe('registries on the ports fetch refuses', () => {
  // Node's fetch refuses the Fetch standard's "bad ports" before it connects; docker pulls
  // from any port. One plain registry on such a port, one TLS mirror on another.
  let bad: Registry;
  let badTls: Registry;
  let caFile: string;
  const caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-badport-'));
  before(async () => {
    bad = await startRegistry({ port: await freeBadPort() });
    pushImage((await busyboxImage()).ref, bad, 'busybox:latest');
    const ca = makeTestCa(caDir);
    caFile = ca.caFile;
    badTls = await startRegistry({ tls: ca, port: await freeBadPort([Number(bad.host.split(':')[1])]) });
    pushImage((await busyboxImage()).ref, badTls, 'library/busybox:latest');
  });
  after(async () => {
    await bad?.stop();
    await badTls?.stop();
    fs.rmSync(caDir, { recursive: true, force: true });
  });

  test('pull and run from a registry on a port fetch refuses', async () => {
    const port = bad.host.split(':')[1];
    const refused = await fetch(`${bad.url}/v2/`).then(() => '', (e: { cause?: { message?: string } }) => e.cause?.message ?? '');
    assert.equal(refused, 'bad port', `fetch refuses port ${port}`);
    const { g } = fresh();
    const r = g(['pull', `${bad.host}/busybox`]);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`Status: Downloaded newer image for 127\\.0\\.0\\.1:${port}/busybox:latest\n`));
    assert.equal(g(['run', '--rm', `${bad.host}/busybox`, 'echo', `from ${port}`]).stdout, `from ${port}\n`);
    assert.equal(g(['run', '--rm', '--pull', 'always', '-q', `${bad.host}/busybox`, 'true']).status, 0);
  });

  test('over TLS on such a port the certificate is still verified: trusted with the CA, refused without it', () => {
    const cfg = path.join(caDir, 'registries.json');
    // The second mirror serves when the first is refused (docker.io itself is never reached).
    fs.writeFileSync(cfg, JSON.stringify({ 'registry-mirrors': [badTls.url, reg.url] }));
    const noCa: NodeJS.ProcessEnv = { ...env, GOCKER_CONFIG: cfg };
    delete noCa.NODE_EXTRA_CA_CERTS;
    delete noCa.GOCKER_EXTRA_CA_CERTS;
    const trusted = fresh().g(['pull', 'busybox'], { ...noCa, NODE_EXTRA_CA_CERTS: caFile });
    assert.equal(trusted.status, 0, trusted.stderr);
    assert.equal(trusted.stderr, '', 'served by the TLS mirror, not the next one');
    const refused = fresh().g(['pull', 'busybox'], noCa);
    assert.equal(refused.status, 0, refused.stderr);
    assert.match(refused.stderr, new RegExp(`${badTls.url.replace(/[.]/g, '\\.')} failed, trying the next endpoint: manifest for docker\\.io/library/busybox:latest: tls: unable to verify the first certificate`));
  });
});

function execFileSyncStatus(cmd: string, args: string[]): number {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return 0;
  } catch (e) {
    return (e as { status?: number }).status ?? 1;
  }
}
