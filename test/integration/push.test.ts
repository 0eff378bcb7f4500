// gocker push to Debian's docker-registry (plain, basic auth, token auth), read back by tools
// that are not ours (skopeo inspect, podman pull), faults and interruptions through a proxy.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { bigLayerImage, busyboxImage, busyboxRootfs, dockerArchive, ociArchive } from '../helpers/fixtures';
import { BIN, gocker, gockerAsync, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { freePort, pushImage, startRegistry, type Registry } from '../helpers/registry';
import { withProxy, type Logged } from '../helpers/proxy';
import { startTokenServer, type TokenServer } from '../helpers/token';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** what gocker cuts uploads into (lib/remote/push.ts DEFAULT_CHUNK_SIZE) */
const CHUNK = 16 << 20;

let reg: Registry;
let auth: Registry;
let tokenReg: Registry;
let tokens: TokenServer;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-push-'));
const dockerConfig = path.join(work, 'docker-config');
const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
const cleanups: Array<() => void> = [];

interface Fresh {
  g: (args: string[]) => ReturnType<typeof gocker>;
  /** for pushes through the in-process proxy, which a blocked event loop could not serve */
  ga: (args: string[]) => ReturnType<typeof gockerAsync>;
  args: string[];
  root: string;
  runroot: string;
}

function fresh(): Fresh {
  const r = tempRoots('gocker-push-');
  cleanups.push(() => {
    removeAllContainers(r.root, r.args);
    r.remove();
  });
  return {
    g: (args) => gocker([...r.args, ...args], { env }),
    ga: (args) => gockerAsync([...r.args, ...args], { env }),
    args: r.args,
    root: r.root,
    runroot: r.runroot,
  };
}

const sha256 = (b: Buffer | string): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ls = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(10)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

function skopeo(args: string[]): Buffer {
  return execFileSync('skopeo', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** The manifest bytes as the registry serves them, read by skopeo. */
function rawManifest(ref: string, creds: string[] = []): Buffer {
  return skopeo(['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${ref}`]);
}

/** The media type the registry serves a manifest with (an OCI manifest need not say it in its body). */
async function servedType(registry: Registry, repo: string, tag: string): Promise<string | null> {
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` } });
  return res.headers.get('content-type');
}

/** "<tag>: digest: <d> size: <n>" from push's output. */
function digestLine(out: string, tag: string): { digest: string; size: number } {
  const m = new RegExp(`^${tag}: digest: (sha256:[0-9a-f]{64}) size: (\\d+)$`, 'm').exec(out);
  assert.ok(m, `no digest line for ${tag} in:\n${out}`);
  return { digest: m[1], size: Number(m[2]) };
}

const diffIds = (f: Fresh, image: string): string[] => JSON.parse(f.g(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', image]).stdout) as string[];
const shortId = (d: string): string => d.slice(7, 19);

/** A private podman store under work/: what podman pulls, and a tree of its image to look at. */
function podman(...args: string[]): string {
  const dir = path.join(work, 'podman');
  return execFileSync('podman', ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).toString();
}

/** Runs push as a child we can kill; `exited` resolves with its status. */
function spawnPush(f: Fresh, args: string[]): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...f.args, 'push', ...args], { stdio: 'ignore', env });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanups.unshift(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, exited };
}

/** The upload requests of a proxy's log that carried blob bytes: PATCHes, and PUTs with a body. */
const sending = (log: Logged[]): Logged[] => log.filter((q) => q.method === 'PATCH' || (q.method === 'PUT' && q.url.includes('/blobs/uploads/') && Number(q.headers['content-length'] ?? 0) > 0));
/** The digest a closing PUT names. */
const putDigest = (q: Logged): string | undefined => /[?&]digest=(sha256(?::|%3A)[0-9a-f]{64})/.exec(q.url)?.[1].replace('%3A', ':');

before(async () => {
  reg = await startRegistry();
  auth = await startRegistry({ auth: 'basic' });
  tokens = await startTokenServer(work);
  tokenReg = await startRegistry({ token: tokens });
  const bb = await busyboxImage();
  pushImage(bb.ref, reg, 'src/oci:1');
  pushImage(bb.ref, reg, 'src/docker:1', ['--format', 'v2s2']);
  pushImage((await bigLayerImage(64)).ref, reg, 'src/huge:1');
});

after(async () => {
  for (const c of cleanups) c();
  await reg?.stop();
  await auth?.stop();
  await tokenReg?.stop();
  await tokens?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('push', () => {
  test('an imported image: docker\'s lines, its layer gzipped once, and skopeo and podman read what was pushed', async () => {
    const f = fresh();
    const image = `${reg.host}/imp/bb:1`;
    await importBusybox(f.args, image);
    const [diffId] = diffIds(f, image);
    const r = f.g(['push', image]);
    assert.equal(r.status, 0, r.stderr);
    const { digest, size } = digestLine(r.stdout, '1');
    assert.equal(r.stdout, `The push refers to repository [${reg.host}/imp/bb]\n${shortId(diffId)}: Preparing\n${shortId(diffId)}: Pushed\n1: digest: ${digest} size: ${size}\n`);

    // The registry's manifest is the one printed, OCI as the image was, its layer gzipped;
    // the blob uncompresses to the layer the config names.
    const raw = rawManifest(image);
    assert.equal(sha256(raw), digest);
    assert.equal(raw.length, size);
    const m = JSON.parse(raw.toString()) as { mediaType: string; config: { digest: string }; layers: Array<{ mediaType: string; digest: string; size: number }> };
    assert.equal(m.mediaType, OCI_MANIFEST);
    assert.equal(await servedType(reg, 'imp/bb', '1'), OCI_MANIFEST);
    assert.equal(m.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    const blob = Buffer.from(await (await fetch(`${reg.url}/v2/imp/bb/blobs/${m.layers[0].digest}`)).arrayBuffer());
    assert.equal(sha256(blob), m.layers[0].digest);
    assert.equal(sha256(zlib.gunzipSync(blob)), diffId);
    assert.equal(m.config.digest, f.g(['image', 'inspect', '-f', '{{.Id}}', image]).stdout.trim());
    const info = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${image}`]).toString()) as { Digest: string; Layers: string[] };
    assert.equal(info.Digest, digest);

    // podman pulls it (checking every digest) and has busybox's own binary in its tree.
    podman('pull', '-q', '--tls-verify=false', image);
    assert.equal(podman('image', 'inspect', '--format', '{{.Digest}}', image).trim(), digest);
    const tree = podman('image', 'mount', image).trim();
    try {
      assert.equal(sha256(fs.readFileSync(path.join(tree, 'bin/busybox'))), sha256(fs.readFileSync(path.join(await busyboxRootfs(), 'bin/busybox'))));
    } finally {
      podman('image', 'unmount', image);
    }

    // Again: nothing sent, the same digest; the image knows it by that digest now.
    const again = f.g(['push', image]);
    assert.equal(again.stdout, `The push refers to repository [${reg.host}/imp/bb]\n${shortId(diffId)}: Preparing\n${shortId(diffId)}: Layer already exists\n1: digest: ${digest} size: ${size}\n`);
    assert.deepEqual(JSON.parse(f.g(['image', 'inspect', '-f', '{{json .RepoDigests}}', image]).stdout), [`${reg.host}/imp/bb@${digest}`]);
    assert.deepEqual(ls(path.join(f.root, 'tmp')), []);
    const q = f.g(['push', '-q', image]);
    assert.equal(q.stdout, `${image}\n`);
    assert.equal(q.stderr, '');
  });

  test('a pulled image pushes as it came: OCI stays OCI and Docker v2 stays Docker v2, same digest, layers mounted from their repository', async () => {
    for (const [src, mediaType] of [['src/oci', OCI_MANIFEST], ['src/docker', DOCKER_MANIFEST]]) {
      const f = fresh();
      const pulled = f.g(['pull', `${reg.host}/${src}:1`]);
      assert.equal(pulled.status, 0, pulled.stderr);
      const source = /Digest: (sha256:[0-9a-f]{64})/.exec(pulled.stdout)![1];
      const target = `${reg.host}/copy/${src.slice(4)}:1`;
      assert.equal(f.g(['tag', `${reg.host}/${src}:1`, target]).status, 0);
      const [diffId] = diffIds(f, target);
      const r = f.g(['push', target]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${shortId(diffId)}: Mounted from ${src}$`, 'm'));
      assert.equal(digestLine(r.stdout, '1').digest, source);
      assert.equal(sha256(rawManifest(target)), source);
      assert.equal(await servedType(reg, `copy/${src.slice(4)}`, '1'), mediaType);
    }
  });

  test('an image loaded from a docker-archive (uncompressed layers) goes as Docker v2 with gzipped layers', async () => {
    const f = fresh();
    const archive = dockerArchive(await busyboxImage(), path.join(work, 'bb-docker.tar'), 'loaded:1');
    assert.equal(f.g(['load', '-i', archive]).status, 0);
    const target = `${reg.host}/loaded/bb:1`;
    assert.equal(f.g(['tag', 'loaded:1', target]).status, 0);
    const r = f.g(['push', target]);
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(rawManifest(target).toString()) as { mediaType: string; config: { mediaType: string }; layers: Array<{ mediaType: string }> };
    assert.equal(m.mediaType, DOCKER_MANIFEST);
    assert.equal(await servedType(reg, 'loaded/bb', '1'), DOCKER_MANIFEST);
    assert.equal(m.config.mediaType, 'application/vnd.docker.container.image.v1+json');
    assert.deepEqual(m.layers.map((l) => l.mediaType), ['application/vnd.docker.image.rootfs.diff.tar.gzip']);
    const { ga } = fresh();
    assert.equal((await ga(['pull', '-q', target])).status, 0);
    assert.equal((await ga(['run', '--rm', target, 'echo', 'loaded and pushed'])).stdout, 'loaded and pushed\n');
  });

  test('a committed container, pushed and pulled on a fresh root, runs the same', async () => {
    const a = fresh();
    await importBusybox(a.args, 'busybox');
    const image = `${reg.host}/committed/app:2`;
    assert.equal(a.g(['run', '--name', 'c1', 'busybox', 'sh', '-c', 'echo committed > /hello; rm /etc/group; mkdir /d; echo x > /d/f']).status, 0);
    assert.equal(a.g(['commit', '-c', 'CMD ["cat", "/hello"]', 'c1', image]).status, 0);
    const check = ['sh', '-c', 'cat /hello /d/f; test -e /etc/group || echo gone'];
    const here = a.g(['run', '--rm', image, ...check]);
    assert.equal(here.stdout, 'committed\nx\ngone\n', here.stderr);
    const [base, top] = diffIds(a, image);
    const r = a.g(['push', image]);
    assert.equal(r.status, 0, r.stderr);
    // docker's order: the top layer first.
    assert.match(r.stdout, new RegExp(`^The push refers to repository \\[${reg.host}/committed/app\\]\n${shortId(top)}: Preparing\n${shortId(base)}: Preparing\n`));
    assert.match(r.stdout, new RegExp(`^${shortId(top)}: Pushed$`, 'm'));

    const b = fresh();
    const pulled = b.g(['pull', image]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal(b.g(['image', 'inspect', '-f', '{{.Id}}', image]).stdout, a.g(['image', 'inspect', '-f', '{{.Id}}', image]).stdout, 'the same config, so the same image');
    assert.equal(b.g(['run', '--rm', image]).stdout, 'committed\n');
    assert.equal(b.g(['run', '--rm', image, ...check]).stdout, here.stdout);

    // podman reads it too: the committed file and the deletion are in its tree.
    podman('pull', '-q', '--tls-verify=false', image);
    const tree = podman('image', 'mount', image).trim();
    try {
      assert.equal(fs.readFileSync(path.join(tree, 'hello'), 'utf8'), 'committed\n');
      assert.ok(!fs.existsSync(path.join(tree, 'etc/group')));
    } finally {
      podman('image', 'unmount', image);
    }
  });

  test('--all-tags pushes every tag of the repository; -a with a tag is refused; -q prints the repository', async () => {
    const f = fresh();
    await importBusybox(f.args, `${reg.host}/all/bb:a`);
    assert.equal(f.g(['tag', `${reg.host}/all/bb:a`, `${reg.host}/all/bb:b`]).status, 0);
    const r = f.g(['push', '--all-tags', `${reg.host}/all/bb`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('The push refers to repository')).length, 1);
    assert.equal(digestLine(r.stdout, 'a').digest, digestLine(r.stdout, 'b').digest);
    assert.ok(r.stdout.indexOf('a: digest:') < r.stdout.indexOf('b: digest:'));
    assert.deepEqual((JSON.parse(skopeo(['list-tags', '--tls-verify=false', `docker://${reg.host}/all/bb`]).toString()) as { Tags: string[] }).Tags.sort(), ['a', 'b']);
    const bad = f.g(['push', '-a', `${reg.host}/all/bb:a`]);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, "tag can't be used with --all-tags/-a\n");
    assert.equal(f.g(['push', '-a', '-q', `${reg.host}/all/bb`]).stdout, `${reg.host}/all/bb\n`);
  });

  test('basic auth: docker\'s "no basic auth credentials" without a login, then the credentials login stored', async () => {
    const f = fresh();
    const image = `${auth.host}/private/pushed:1`;
    await importBusybox(f.args, image);
    const no = f.g(['push', image]);
    assert.equal(no.status, 1);
    assert.equal(no.stderr, 'no basic auth credentials\n');
    assert.ok(f.g(['login', auth.host, '-u', auth.username!, '-p', auth.password!]).stdout.includes('Login Succeeded'));
    try {
      const r = f.g(['push', image]);
      assert.equal(r.status, 0, r.stderr);
      const raw = rawManifest(image, ['--creds', `${auth.username}:${auth.password}`]);
      assert.equal(sha256(raw), digestLine(r.stdout, '1').digest);
    } finally {
      f.g(['logout', auth.host]);
    }
  });

  test('token auth: a pull,push token for the stored credentials, refused in docker\'s words without; a mount asks pull on its source', async () => {
    const f = fresh();
    const image = `${tokenReg.host}/private/a:1`;
    await importBusybox(f.args, image);
    const anon = await f.ga(['push', image]);
    assert.equal(anon.status, 1);
    assert.equal(anon.stderr, 'unauthorized: authentication required\n');
    assert.ok(tokens.requests().some((q) => q.scope === 'repository:private/a:pull,push' && q.user === ''));
    assert.equal((await f.ga(['login', tokenReg.host, '-u', 'tester', '-p', 'token-pw'])).status, 0);
    try {
      const r = await f.ga(['push', image]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(tokens.requests().some((q) => q.scope === 'repository:private/a:pull,push' && q.user === 'tester'));
      const other = `${tokenReg.host}/private/b:1`;
      assert.equal((await f.ga(['tag', image, other])).status, 0);
      const m = await f.ga(['push', other]);
      assert.equal(m.status, 0, m.stderr);
      assert.match(m.stdout, /: Mounted from private\/a$/m);
      assert.ok(tokens.requests().some((q) => q.scope === 'repository:private/b:pull,push repository:private/a:pull' && q.user === 'tester'));
      assert.equal(sha256(rawManifest(other, ['--creds', 'tester:token-pw'])), digestLine(m.stdout, '1').digest);
    } finally {
      await f.ga(['logout', tokenReg.host]);
    }
  });

  test('progress on a terminal: one line per layer redrawn in place, byte counts, every state', async () => {
    // Loaded from an archive: no repository it came from to mount its layers from.
    const f = fresh();
    assert.equal(f.g(['load', '-i', ociArchive(await bigLayerImage(64), path.join(work, 'huge-oci.tar'), 'huge:1')]).status, 0);
    const image = `${reg.host}/tty/huge:1`;
    assert.equal(f.g(['tag', 'huge:1', image]).status, 0);
    const [small, big] = diffIds(f, image).map(shortId);
    const cmd = [process.execPath, BIN, ...f.args, 'push', image].join(' ');
    // script(1) gives the CLI a real terminal, as a user's shell would.
    const out = await new Promise<string>((resolve) => {
      const c = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'], env });
      let o = '';
      c.stdout!.on('data', (d: Buffer) => (o += d.toString()));
      c.on('close', () => resolve(o));
    });
    assert.match(out, /^The push refers to repository \[127\.0\.0\.1:\d+\/tty\/huge\]\r?\n/);
    assert.match(out, /\x1b\[2A/, 'redrawn: the cursor goes up over the two layer lines');
    const states = (id: string): string[] => [...out.matchAll(new RegExp(`\\x1b\\[2K${id}: ([^\\r\\n]*)`, 'g'))].map((m) => m[1]);
    const bigStates = states(big);
    const pushing = bigStates.map((t) => /^Pushing ([\d.]+[kM]?B)\/([\d.]+MB)$/.exec(t)).filter((m): m is RegExpExecArray => !!m);
    assert.ok(pushing.length >= 3, bigStates.join(' | '));
    assert.ok(pushing.some((m) => m[1] !== m[2]), 'a partial count was shown');
    assert.equal(bigStates[0], 'Preparing');
    assert.equal(bigStates.at(-1), 'Pushed');
    assert.equal(states(small).at(-1), 'Pushed');
    assert.match(out, /\r?\n1: digest: sha256:[0-9a-f]{64} size: \d+\r?\n$/);
  });

  test('errors: docker\'s words, exit 1, one line, nothing left behind', async () => {
    const f = fresh();
    const none = f.g(['push', `${reg.host}/nope:1`]);
    assert.equal(none.status, 1);
    assert.equal(none.stdout, `The push refers to repository [${reg.host}/nope]\n`);
    assert.equal(none.stderr, `An image does not exist locally with the tag: ${reg.host}/nope\n`);
    await importBusybox(f.args, `${reg.host}/e/bb:1`);
    const tag = f.g(['push', `${reg.host}/e/bb:2`]);
    assert.equal(tag.status, 1);
    assert.equal(tag.stderr, `tag does not exist: ${reg.host}/e/bb:2\n`);
    const dig = f.g(['push', `${reg.host}/e/bb@sha256:${'0'.repeat(64)}`]);
    assert.equal(dig.status, 1);
    assert.equal(dig.stderr, 'cannot push a digest reference\n');
    const bad = f.g(['push', 'Bad:Ref']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^invalid reference format[^\n]*\n$/);
    const dead = `127.0.0.1:${await freePort()}/e/bb:1`;
    assert.equal(f.g(['tag', `${reg.host}/e/bb:1`, dead]).status, 0);
    const down = f.g(['push', dead]);
    assert.equal(down.status, 1);
    assert.match(down.stderr, /^blob sha256:[0-9a-f]{64}: connection refused\n$/);
    assert.deepEqual(ls(path.join(f.root, 'tmp')), []);
    assert.deepEqual(JSON.parse(f.g(['image', 'inspect', '-f', '{{json .RepoDigests}}', dead]).stdout), []);
  });
});

describe('interrupted uploads', () => {
  test('a push killed mid-upload is continued by the next: no finished blob sent again, the big layer from where the registry stands', async () => {
    await withProxy([reg.url, 'stall-upload', { afterPatches: 2 }], async (proxy) => {
      const f = fresh();
      const pulled = await f.ga(['pull', `${reg.host}/src/huge:1`]);
      assert.equal(pulled.status, 0, pulled.stderr);
      const source = /Digest: (sha256:[0-9a-f]{64})/.exec(pulled.stdout)![1];
      const image = `${proxy.host}/resumed/huge:1`;
      assert.equal((await f.ga(['tag', `${reg.host}/src/huge:1`, image])).status, 0);
      const manifest = JSON.parse(rawManifest(`${reg.host}/src/huge:1`).toString()) as { layers: Array<{ digest: string; size: number }> };
      const [small, big] = manifest.layers;

      const p = spawnPush(f, [image]);
      await until('the held chunk', () => proxy.log.some((q) => q.held));
      p.child.kill('SIGKILL');
      await p.exited;
      const first = proxy.log.slice();
      const held = first.find((q) => q.held)!;
      assert.equal(held.headers['content-range'], `${2 * CHUNK}-${3 * CHUNK - 1}`, 'two chunks were accepted, the third held');
      // The small layer went in one PUT (monolithic), the big one in PATCHes.
      const smallPut = first.find((q) => q.method === 'PUT' && putDigest(q) === small.digest);
      assert.equal(smallPut?.status, 201);
      assert.equal(Number(smallPut.headers['content-length']), small.size);
      const session = (q: Logged): string => q.url.split('?')[0];
      assert.ok(!first.some((q) => q.method === 'PATCH' && session(q) === session(smallPut)));
      assert.ok(ls(path.join(f.root, 'tmp')).some((n) => /^upload-[0-9a-f]{64}\.json$/.test(n)), 'the session is kept for the next push');

      const r = await f.ga(['push', image]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(digestLine(r.stdout, '1').digest, source, 'a pulled image goes as it came');
      const second = proxy.log.slice(first.length);
      // Nothing finished before is sent again; the big layer is not started over.
      assert.ok(!second.some((q) => q.method === 'PUT' && putDigest(q) === small.digest), 'the small layer was not sent again');
      assert.match(r.stdout, /: Layer already exists$/m);
      const sent = sending(second).filter((q) => q.method === 'PATCH' || putDigest(q) === big.digest);
      assert.equal(sent[0].headers['content-range'], held.headers['content-range'], 'the upload goes on with the chunk the registry never got');
      assert.equal(sent.reduce((n, q) => n + Number(q.headers['content-length']), 0), big.size - 2 * CHUNK);
      assert.ok(second.some((q) => q.method === 'GET' && q.url.includes('/blobs/uploads/') && q.status === 204), 'the session was asked where it stands');
      assert.deepEqual(ls(path.join(f.root, 'tmp')), []);

      // What the registry holds pulls, verified, on a fresh root and has the same data.
      const b = fresh();
      assert.equal((await b.ga(['pull', '-q', `${reg.host}/resumed/huge:1`])).status, 0);
      const sum = ['sh', '-c', 'sha256sum /data/random'];
      assert.equal((await b.ga(['run', '--rm', `${reg.host}/resumed/huge:1`, ...sum])).stdout, (await f.ga(['run', '--rm', `${reg.host}/src/huge:1`, ...sum])).stdout);
    });
  });

  test('a chunk cut halfway: the registry drops the session, the blob starts over in the same push, which completes', async () => {
    await withProxy([reg.url, 'cut-upload'], async (proxy) => {
      const f = fresh();
      assert.equal((await f.ga(['pull', '-q', `${reg.host}/src/huge:1`])).status, 0);
      const image = `${proxy.host}/cut/huge:1`;
      assert.equal((await f.ga(['tag', `${reg.host}/src/huge:1`, image])).status, 0);
      const [, bigDiff] = diffIds(f, image);
      const r = await f.ga(['push', image]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${shortId(bigDiff)}: Retrying in 1 second$`, 'm'));
      assert.match(r.stdout, new RegExp(`^${shortId(bigDiff)}: Pushed$`, 'm'));
      const status = proxy.log.find((q) => q.method === 'GET' && q.url.includes('/blobs/uploads/'));
      assert.equal(status?.status, 404, 'distribution refuses a session it got part of a chunk for');
      assert.equal(proxy.log.filter((q) => q.method === 'PATCH' && q.headers['content-range'] === `0-${CHUNK - 1}`).length, 2, 'the blob started over');
      assert.equal(sha256(rawManifest(`${reg.host}/cut/huge:1`)), digestLine(r.stdout, '1').digest);
    });
  });

  test('the library: progress events per layer, and an AbortSignal that stops every upload before push() rejects', async () => {
    await withProxy([reg.url, 'none'], async (proxy) => {
      const f = fresh();
      assert.equal((await f.ga(['pull', '-q', `${reg.host}/src/huge:1`])).status, 0);
      const image = `${proxy.host}/lib/huge:1`;
      assert.equal((await f.ga(['tag', `${reg.host}/src/huge:1`, image])).status, 0);
      const [smallDiff, bigDiff] = diffIds(f, image).map(shortId);
      const { Gocker } = await import('../../lib/index');
      const g = new Gocker({ root: f.root, runroot: f.runroot });

      const ac = new AbortController();
      const aborted = g.push(image, {
        signal: ac.signal,
        onEvent: (e) => {
          if (e.kind === 'layer' && e.status === 'Pushing' && e.id === bigDiff && (e.current ?? 0) > CHUNK + (4 << 20)) ac.abort();
        },
      });
      await assert.rejects(aborted, (e: Error) => e.name === 'AbortError');
      const count = proxy.log.length;
      await sleep(500);
      assert.equal(proxy.log.length, count, 'no request after the rejection');

      const events: Array<{ kind: string; id?: string; status?: string; current?: number; total?: number; digest?: string }> = [];
      const [result] = await g.push(image, { onEvent: (e) => events.push(e) });
      assert.deepEqual(events[0], { kind: 'repository', name: `${proxy.host}/lib/huge` });
      assert.deepEqual(events.filter((e) => e.status === 'Preparing').map((e) => e.id), [bigDiff, smallDiff]);
      const pushing = events.filter((e) => e.id === bigDiff && e.status === 'Pushing');
      const total = pushing[0].total!;
      assert.ok(pushing.length > 10 && pushing.every((e, i) => e.total === total && e.current! <= total && (i === 0 || e.current! >= pushing[i - 1].current!)));
      assert.equal(pushing.at(-1)!.current, total);
      assert.equal(events.filter((e) => e.id === bigDiff).at(-1)!.status, 'Pushed');
      assert.deepEqual(events.at(-1), { kind: 'done', tag: '1', digest: result.digest, size: result.size });
      assert.equal(sha256(rawManifest(`${reg.host}/lib/huge:1`)), result.digest);
    });
  });
});
