// Images are hostile: digests and diff_ids from a load archive, a registry, or the store's own
// files read back never become paths unchecked, sha384/sha512 content is verified like
// sha256, and registry bodies held in memory are bounded. Each test is an attack class; each
// asserts nothing was created or removed outside the store, nothing registered, one line of
// error and docker's exit code (1, or 125 for run).
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gocker, gockerAsync, tempRoots } from '../helpers/cli';
import { tar } from '../helpers/tar';
import { goArch, pumpEndless, serveImage, sha, startFakeRegistry, type FakeRegistry } from '../helpers/fakeregistry';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secimg-'));
/** Where an attack would land: outside every store. */
const victims = path.join(work, 'victims');
fs.mkdirSync(victims);
const dockerConfig = fs.mkdtempSync(path.join(work, 'dockercfg-'));
const env = { ...process.env, DOCKER_CONFIG: dockerConfig, GOCKER_REGISTRY_TIMEOUT_MS: '5000' };
const cleanups: Array<() => void | Promise<void>> = [];

after(async () => {
  for (const c of cleanups.reverse()) await c();
  fs.rmSync(work, { recursive: true, force: true });
});

function store(): { root: string; g: (args: string[]) => ReturnType<typeof gocker>; ga: (args: string[]) => ReturnType<typeof gockerAsync> } {
  const r = tempRoots('gocker-secimg-root-');
  cleanups.push(r.remove);
  return { root: r.root, g: (args) => gocker([...r.args, ...args], { env }), ga: (args) => gockerAsync([...r.args, ...args], { env }) };
}

/** Everything under the store that a failed command must not have changed (tmp/ must be empty). */
function snapshot(root: string): string {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (!fs.existsSync(dir)) return;
    for (const n of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, n);
      const st = fs.lstatSync(p);
      out.push(`${path.relative(root, p)} ${st.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : st.isDirectory() ? 'dir' : st.size}`);
      if (st.isDirectory() && depth > 0) walk(p, depth - 1);
    }
  };
  for (const d of ['blobs', 'layers', 'l', 'images', 'tmp']) walk(path.join(root, d), d === 'layers' ? 0 : 2);
  const book = path.join(root, 'images', 'images.json');
  out.push(fs.existsSync(book) ? fs.readFileSync(book, 'utf8') : '{}');
  return out.join('\n');
}

function assertRefused(r: { status: number | null; stderr: string; stdout: string }, want: RegExp, status = 1): void {
  assert.equal(r.status, status, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, want);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
}

function assertNothingAt(p: string): void {
  assert.equal(fs.lstatSync(p, { throwIfNoEntry: false }), undefined, `${p} was created`);
}

const config = (diffIds: unknown[]): Buffer => Buffer.from(JSON.stringify({ architecture: goArch(), os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));

/** A docker-archive tarball: manifest.json and the files it names, as given. */
function dockerArchive(name: string, files: Record<string, Buffer | string>, manifest: unknown): string {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  for (const [f, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), data);
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const t = `${dir}.tar`;
  execFileSync('tar', ['-cf', t, '-C', dir, '.']);
  return t;
}

/** meta.json as gocker writes it, but with a link (and chain id) an attacker picked. */
const plantedMeta = (link: string): string => JSON.stringify({ chainId: `sha256:${'0'.repeat(64)}`, diffId: `sha256:${'0'.repeat(64)}`, parent: null, size: 1, link });

test('load: diff_ids that are not digests never name a path (docker-archive)', () => {
  const { root, g } = store();
  // An image whose own layer carries a meta.json: through a diff_id of
  // 'sha256:<that layer>/diff/x' the store would take it for a stored layer's metadata and
  // make its short link wherever that file says.
  const target = path.join(victims, 'from-layer-contents');
  const plant = tar([{ name: 'x/', type: 'dir' }, { name: 'x/meta.json', data: plantedMeta(path.relative(path.join(root, 'l'), target)) }]);
  const c1 = config([sha('sha256', plant)]);
  const ok = g(['load', '-i', dockerArchive('plant', { 'c1.json': c1, 'l1/layer.tar': plant }, [{ Config: 'c1.json', RepoTags: ['plant:1'], Layers: ['l1/layer.tar'] }])]);
  assert.equal(ok.stdout, 'Loaded image: plant:1\n', ok.stderr);
  // The same through a directory outside the store holding a meta.json (any place a local
  // user can write).
  const hostDir = path.join(victims, 'hostdir');
  fs.mkdirSync(hostDir);
  const target2 = path.join(victims, 'from-host-dir');
  fs.writeFileSync(path.join(hostDir, 'meta.json'), plantedMeta(path.relative(path.join(root, 'l'), target2)));
  const layer = tar([{ name: 'f', data: 'x' }]);
  const before = snapshot(root);
  const cases: Array<[string, RegExp]> = [
    [`${sha('sha256', plant)}/diff/x`, /^Error response from daemon: load: image config rootfs\.diff_ids\[0\]: invalid checksum digest length: "sha256:[0-9a-f]{64}\/diff\/x"\n$/],
    [`sha256:${path.relative(path.join(root, 'layers'), hostDir)}`, /^Error response from daemon: load: image config rootfs\.diff_ids\[0\]: invalid checksum digest (length|format): /],
    [`sha256:${'../'.repeat(21)}a`, /^Error response from daemon: load: image config rootfs\.diff_ids\[0\]: invalid checksum digest format: /],
    [`sha512:${'a'.repeat(128)}`, /^Error response from daemon: load: image config rootfs\.diff_ids\[0\]: unsupported digest algorithm \(only sha256 is supported here\): /],
  ];
  for (const [diffId, want] of cases) {
    const t = dockerArchive('evil', { 'c.json': config([diffId]), 'l/layer.tar': layer }, [{ Config: 'c.json', RepoTags: ['evil:1'], Layers: ['l/layer.tar'] }]);
    assertRefused(g(['load', '-i', t]), want);
    assertNothingAt(target);
    assertNothingAt(target2);
    assert.equal(snapshot(root), before, `the store changed after ${diffId}`);
  }
  // Names in manifest.json are paths inside the archive, and nothing else (already so).
  const out = dockerArchive('outside', { 'c.json': config([sha('sha256', layer)]) }, [{ Config: 'c.json', RepoTags: ['evil:2'], Layers: ['../../../../../../../../../etc/passwd'] }]);
  assertRefused(g(['load', '-i', out]), /^Error response from daemon: load: layer \S+ points outside the archive\n$/);
  const shape = dockerArchive('shape', {}, [{ Config: { evil: 1 }, Layers: 'x' }]);
  assertRefused(g(['load', '-i', shape]), /^Error response from daemon: load: manifest\.json is not a list of \{Config, RepoTags, Layers\}\n$/);
  assert.equal(snapshot(root), before);
});

/** An OCI layout tarball from blobs given by digest. */
function ociLayout(name: string, blobs: Map<string, Buffer>, index: unknown): string {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  for (const [d, data] of blobs) {
    const [alg, hex] = d.split(':');
    fs.mkdirSync(path.join(dir, 'blobs', alg), { recursive: true });
    fs.writeFileSync(path.join(dir, 'blobs', alg, hex), data);
  }
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
  const t = `${dir}.tar`;
  execFileSync('tar', ['-cf', t, '-C', dir, '.']);
  return t;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

test('load: OCI layout digests are validated and every algorithm verified (sha256, sha384, sha512)', () => {
  const { root, g } = store();
  const layer = tar([{ name: 'hello', data: 'from a sha512 blob\n' }]);
  const cfg = config([sha('sha256', layer)]);
  const build = (layerDigest: string, layerBytes = layer, alg: 'sha256' | 'sha384' | 'sha512' = 'sha256') => {
    const blobs = new Map<string, Buffer>([[sha('sha256', cfg), cfg], [layerDigest, layerBytes]]);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha('sha256', cfg), size: cfg.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }] }));
    const md = sha(alg, manifest);
    blobs.set(md, manifest);
    return { blobs, desc: { mediaType: OCI_MANIFEST, digest: md, size: manifest.length } };
  };
  // A sha512 layer and a sha384 manifest: verified by their own algorithm, and they load.
  const good = build(sha('sha512', layer), layer, 'sha384');
  const r = g(['load', '-i', ociLayout('good', good.blobs, { schemaVersion: 2, manifests: [{ ...good.desc, annotations: { 'org.opencontainers.image.ref.name': 'sha512' } }] })]);
  assert.equal(r.stdout, 'Loaded image: localhost/oci-image:sha512\n', r.stderr);
  assert.ok(fs.existsSync(path.join(root, 'blobs', 'sha512', sha('sha512', layer).slice(7))));
  const before = snapshot(root);

  const other = tar([{ name: 'hello', data: 'something else\n' }]);
  const wrong = build(sha('sha512', layer), other); // the right name, other bytes
  const nestedWrong = (() => {
    const b = build(sha('sha256', layer));
    const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...b.desc, platform: { os: 'linux', architecture: goArch() } }] }));
    const claimed = sha('sha512', Buffer.from('not this index'));
    b.blobs.set(claimed, inner);
    return { blobs: b.blobs, index: { schemaVersion: 2, manifests: [{ mediaType: OCI_INDEX, digest: claimed, size: inner.length }] } };
  })();
  const cases: Array<[string, Map<string, Buffer>, unknown, RegExp]> = [
    ['sha512 layer, other bytes', wrong.blobs, { schemaVersion: 2, manifests: [wrong.desc] }, /^Error response from daemon: load: layer sha512:[0-9a-f]{128} does not match its digest\n$/],
    ['nested index, other bytes', nestedWrong.blobs, nestedWrong.index, /^Error response from daemon: load: index sha512:[0-9a-f]{128} does not match its digest\n$/],
    ['index entry ../', good.blobs, { schemaVersion: 2, manifests: [{ ...good.desc, digest: 'sha256:../../../../etc/passwd' }] }, /^Error response from daemon: load: index\.json manifests\[0\]: invalid checksum digest length: "sha256:\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd"\n$/],
    ['layer ../', build(`sha256:${'a'.repeat(61)}/..`).blobs, undefined, /^Error response from daemon: load: layer 0 of manifest \S+: invalid checksum digest format: /],
    ['md5', good.blobs, { schemaVersion: 2, manifests: [{ ...good.desc, digest: `md5:${'a'.repeat(32)}` }] }, /^Error response from daemon: load: index\.json manifests\[0\]: unsupported digest algorithm: /],
  ];
  for (const [what, blobs, idx, want] of cases) {
    let index = idx;
    if (index === undefined) {
      // the manifest itself names a bad layer digest: the layout is built around it
      const m = [...blobs].find(([, b]) => b.includes(Buffer.from(OCI_MANIFEST)))!;
      index = { schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: m[0], size: m[1].length }] };
    }
    const t = ociLayout('evil', new Map([...blobs].filter(([d]) => /^sha(256|384|512):[0-9a-f]+$/.test(d))), index);
    assertRefused(g(['load', '-i', t]), want);
    assert.equal(snapshot(root), before, `the store changed: ${what}`);
  }
});

test('store metadata read back is input: a tampered images.json or meta.json reaches no host path', () => {
  const { root, g } = store();
  const layer = tar([{ name: 'f', data: 'store metadata\n' }]);
  const t = dockerArchive('meta', { 'c.json': config([sha('sha256', layer)]), 'l/layer.tar': layer }, [{ Config: 'c.json', RepoTags: ['meta:1'], Layers: ['l/layer.tar'] }]);
  assert.equal(g(['load', '-i', t]).status, 0);
  const bookFile = path.join(root, 'images', 'images.json');
  const book = fs.readFileSync(bookFile, 'utf8');

  // images.json naming a directory outside the store as an image: rmi would delete it.
  const victimDir = path.join(victims, 'image-dir');
  fs.mkdirSync(victimDir);
  fs.writeFileSync(path.join(victimDir, 'config.json'), '{"rootfs":{"type":"layers","diff_ids":[]}}');
  const evilId = `sha256:${path.relative(path.join(root, 'images'), victimDir)}`;
  fs.writeFileSync(bookFile, JSON.stringify({ ...JSON.parse(book), evil: { '1': evilId } }));
  // Each command with docker's prefix and exit code for an engine error.
  const commands: Array<[string[], string, number]> = [[['rmi', 'evil:1'], 'Error response from daemon', 1], [['images'], 'Error response from daemon', 1], [['image', 'inspect', 'evil:1'], 'Error response from daemon', 1]];
  for (const [args, prefix, status] of commands) {
    assertRefused(g(args), new RegExp(`^${prefix}: \\S+images\\.json is corrupt: image id "sha256:\\.\\./.*" of "evil:1" is not a sha256 digest\\n$`), status);
  }
  assert.ok(fs.existsSync(path.join(victimDir, 'config.json')), 'rmi deleted a directory outside the store');
  fs.writeFileSync(bookFile, book);

  // A layer's meta.json whose link points outside: loading the image again would make the
  // link there, rmi would delete whatever is there.
  const [hex] = fs.readdirSync(path.join(root, 'layers'));
  const metaFile = path.join(root, 'layers', hex, 'meta.json');
  const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  const newLink = path.join(victims, 'new-link');
  const precious = path.join(victims, 'precious');
  fs.writeFileSync(precious, 'precious\n');
  const before = snapshot(root);
  const uses: Array<[string, string[], string, number]> = [[newLink, ['load', '-i', t], 'Error response from daemon', 1], [precious, ['rmi', 'meta:1'], 'Error response from daemon', 1], [newLink, ['run', '--rm', 'meta:1', 'true'], 'gocker', 125]];
  for (const [target, args, prefix, status] of uses) {
    fs.writeFileSync(metaFile, JSON.stringify({ ...meta, link: path.relative(path.join(root, 'l'), target) }));
    assertRefused(g(args), new RegExp(`^${prefix}: layer metadata \\S+meta\\.json is corrupt: link "\\.\\./.*" is not the short form of its chain id\\n$`), status);
  }
  assertNothingAt(newLink);
  assert.equal(fs.readFileSync(precious, 'utf8'), 'precious\n');
  // Other fields, each on its own.
  for (const bad of [{ chainId: `sha256:${'1'.repeat(64)}` }, { parent: '../../x' }, { diffId: 'sha256:..' }]) {
    fs.writeFileSync(metaFile, JSON.stringify({ ...meta, ...bad }));
    assertRefused(g(['load', '-i', t]), /^Error response from daemon: layer metadata \S+meta\.json is corrupt: (chainId|parent|diffId) /);
  }
  fs.writeFileSync(metaFile, JSON.stringify(meta));
  assert.equal(snapshot(root), before);
  assert.equal(g(['rmi', 'meta:1']).status, 0);
});

async function registry(): Promise<FakeRegistry> {
  const reg = await startFakeRegistry();
  cleanups.push(() => reg.stop());
  return reg;
}

test('pull: digests from a registry never name a path; sha384/sha512 are verified', async () => {
  const reg = await registry();
  const { root, ga } = store();
  // A tar file on the host, named as a layer blob by a path relative to blobs/sha256: the
  // store would take it for a blob it already has and apply it.
  const hostTar = path.join(victims, 'host.tar');
  fs.writeFileSync(hostTar, tar([{ name: 'secret', data: 'from the host\n' }]));
  const rel = path.relative(path.join(root, 'blobs', 'sha256'), hostTar);
  serveImage(reg, 'hostfile', { layer: fs.readFileSync(hostTar), diffIds: [sha('sha256', fs.readFileSync(hostTar))], layerDigest: `sha256:${rel}` });
  const layer = tar([{ name: 'ok', data: 'fine\n' }]);
  serveImage(reg, 'diffid', { layer, diffIds: [`${sha('sha256', layer)}/../../x`] });
  // An index whose entry is a sha512 digest the manifest it serves does not have.
  const { manifest } = serveImage(reg, 'plain', { layer, diffIds: [sha('sha256', layer)] });
  const claimed = sha('sha512', Buffer.from('another manifest'));
  reg.manifests.set(claimed, { body: manifest, mediaType: OCI_MANIFEST });
  const index = (d: string) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: d, size: manifest.length, platform: { os: 'linux', architecture: goArch() } }] }));
  reg.manifests.set('lying-index', { body: index(claimed), mediaType: OCI_INDEX });
  reg.manifests.set('index-dotdot', { body: index('sha256:../../../../v2/x'), mediaType: OCI_INDEX });
  // A sha512 layer blob with other bytes.
  const wrong = tar([{ name: 'ok', data: 'not fine\n' }]);
  serveImage(reg, 'sha512-wrong', { layer: wrong, diffIds: [sha('sha256', layer)], layerDigest: sha('sha512', layer) });
  const repo = `${reg.host}/evil`;
  // A store that has pulled before: blobs/sha256 exists, so '..' from it resolves.
  const plain = await ga(['pull', '-q', `${repo}:plain`]);
  assert.equal(plain.status, 0, plain.stderr);
  const before = snapshot(root);
  const cases: Array<[string, RegExp]> = [
    ['hostfile', /^Error response from daemon: manifest for \S+: layer 0: invalid checksum digest (length|format): "sha256:\.\.\/.*"\n$/],
    ['diffid', /^Error response from daemon: \S+evil:diffid: image config rootfs\.diff_ids\[0\]: invalid checksum digest length: /],
    ['lying-index', /^Error response from daemon: manifest verification failed for digest sha512:[0-9a-f]{128}: got sha512:[0-9a-f]{128}\n$/],
    ['index-dotdot', /^Error response from daemon: \S+: index entry: invalid checksum digest length: "sha256:\.\.\//],
    ['sha512-wrong', /^Error response from daemon: blob sha512:[0-9a-f]{128}: digest mismatch, got sha512:[0-9a-f]{128}\n$/],
  ];
  for (const [tag, want] of cases) {
    assertRefused(await ga(['pull', '-q', `${repo}:${tag}`]), want);
    assert.equal(snapshot(root), before, `the store changed: ${tag}`);
  }
  assert.ok(!reg.requests.some((r) => r.includes('..')), 'a request carried ..');
  // Right content under sha512 (layer) and a sha384 manifest in an index: pulled and run.
  const { manifest: m2 } = serveImage(reg, 'sha512-right', { layer, diffIds: [sha('sha256', layer)], layerDigest: sha('sha512', layer) });
  reg.manifests.set(sha('sha384', m2), { body: m2, mediaType: OCI_MANIFEST });
  reg.manifests.set('sha384-index', { body: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha('sha384', m2), size: m2.length, platform: { os: 'linux', architecture: goArch() } }] })), mediaType: OCI_INDEX });
  for (const tag of ['sha512-right', 'sha384-index']) {
    const ok = await ga(['pull', '-q', `${repo}:${tag}`]);
    assert.equal(ok.status, 0, ok.stderr);
  }
  assert.ok(fs.existsSync(path.join(root, 'blobs', 'sha512', sha('sha512', layer).slice(7))));
});

test('pull: manifests, configs, tokens and error bodies are read to their size and a cap, no further', async () => {
  const reg = await registry();
  const { root, ga } = store();
  const layer = tar([{ name: 'ok', data: 'fine\n' }]);
  const { config: cfg } = serveImage(reg, 'endless-config', { layer, diffIds: [sha('sha256', layer)] });
  serveImage(reg, 'cl-lie', { layer, diffIds: [sha('sha256', layer)] });
  const configDigest = sha('sha256', cfg);
  const sent: Record<string, () => number> = {};
  const chunk = Buffer.alloc(64 << 10, 0x20);
  let tokenMode = false;
  reg.override = (req, res) => {
    const url = req.url ?? '';
    if (tokenMode && url.startsWith('/v2/') && !req.headers.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${reg.url}/token",service="fake"`, 'Content-Type': 'application/json' }).end('{}');
      return true;
    }
    if (url.startsWith('/token')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"token":"');
      sent.token = pumpEndless(res, Buffer.alloc(64 << 10, 0x61));
      return true;
    }
    if (url.endsWith(`/blobs/${configDigest}`)) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // no length: only counting tells
      sent.config = pumpEndless(res, chunk);
      return true;
    }
    if (url.endsWith('/manifests/endless-error')) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.write('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"');
      sent.error = pumpEndless(res, chunk);
      return true;
    }
    if (url.endsWith('/manifests/cl-lie')) {
      // Content-Length says 100 bytes; a megabyte follows.
      res.writeHead(200, { 'Content-Type': OCI_MANIFEST, 'Content-Length': 100 });
      res.write(Buffer.alloc(1 << 20, 0x20));
      res.end();
      return true;
    }
    return false;
  };
  const repo = `${reg.host}/evil`;
  const t0 = Date.now();
  // Bytes first: what the client read is the point; the message says why it stopped.
  const c = await ga(['pull', '-q', `${repo}:endless-config`]);
  assert.ok(sent.config() < 8 << 20, `the config stream was read for ${sent.config()} bytes`);
  assertRefused(c, new RegExp(`^Error response from daemon: blob ${configDigest} is larger than the ${cfg.length} bytes its descriptor gives\\n$`));
  const e = await ga(['pull', '-q', `${repo}:endless-error`]);
  assert.ok(sent.error() < 8 << 20, `the error body was read for ${sent.error()} bytes`);
  assertRefused(e, /^Error response from daemon: manifest for \S+: not found\n$/);
  assertRefused(await ga(['pull', '-q', `${repo}:cl-lie`]), /^Error response from daemon: manifest for \S+( is not valid JSON|: .*)\n$/);
  tokenMode = true;
  const tk = await ga(['pull', '-q', `${repo}:cl-lie`]);
  assert.ok(sent.token() < 8 << 20, `the token answer was read for ${sent.token()} bytes`);
  assertRefused(tk, /^Error response from daemon: token from 127\.0\.0\.1:\d+ is larger than 1048576 bytes\n$/);
  assert.ok(Date.now() - t0 < 60_000, 'bounded reads fail fast');
  assertNothingAt(path.join(root, 'images', 'images.json'));
  assert.deepEqual(fs.existsSync(path.join(root, 'tmp')) ? fs.readdirSync(path.join(root, 'tmp')) : [], []);
});
