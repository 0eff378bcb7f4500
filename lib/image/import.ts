// `gocker import` (a rootfs tarball becomes a one-layer image) and `gocker load`
// (docker-archive and OCI layout tarballs, as docker save and skopeo write them).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import * as tar from 'tar';
import { GockerError, isErrno } from '../errors';
import { readWhole } from '../fsread';
import { sniffCompression } from '../layer';
import { parseReference, familiarString, type Reference } from '../name';
import { validateDigest, splitDigest, type Digest } from '../name/digest';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, hostPlatform } from '../remote';
import { signalNumber } from '../signals';
import { Store, sha256 } from '../store';
import type { ImageConfig } from '../store/types';
import { imageEvent } from '../events';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const LAYER_MEDIA = { gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd', none: 'application/vnd.oci.image.layer.v1.tar' };

export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

function parseName(name: string | undefined): Reference[] {
  if (!name) return [];
  const ref = parseReference(name);
  if (ref.digest) throw new GockerError(`refusing to create a tag with a digest reference: ${name}`);
  return [ref];
}

/** What `import` takes besides the tarball, as docker import's flags. */
export interface ImportOptions {
  /** extra history comment, as `docker import -m` */
  message?: string;
  /** e.g. ['CMD ["sh"]'] — the few Dockerfile instructions docker import -c takes */
  changes?: string[];
}

/** A rootfs tarball (plain or compressed) from a stream becomes a one-layer image. Returns the image id. */
export async function importImage(store: Store, input: NodeJS.ReadableStream, name: string | undefined, source: string, opts: ImportOptions = {}): Promise<string> {
  return store.adding(() => importImageLocked(store, input, name, source, opts));
}

/** The import itself, under the store's shared gc lock (see Store.adding). */
async function importImageLocked(store: Store, input: NodeJS.ReadableStream, name: string | undefined, source: string, opts: ImportOptions = {}): Promise<string> {
  const names = parseName(name);
  fs.mkdirSync(store.paths.tmp, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(store.paths.tmp, 'import-'));
  try {
    const blob = path.join(tmp, 'blob');
    const hash = crypto.createHash('sha256');
    let size = 0;
    let head: Buffer | undefined;
    await pipeline(input, new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        head ??= chunk.subarray(0, 4);
        cb(null, chunk);
      },
    }), fs.createWriteStream(blob));
    if (size === 0) throw new GockerError('import: the archive is empty');
    const layer = await store.addLayer(null, { file: blob });
    const digest = `sha256:${hash.digest('hex')}`;
    const now = new Date().toISOString();
    const config: ImageConfig = {
      architecture: goArch(),
      os: 'linux',
      created: now,
      config: applyChanges({}, opts.changes ?? []),
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created: now, created_by: `gocker import ${source}`, comment: opts.message || `Imported from ${source}` }],
    };
    const configBuf = Buffer.from(JSON.stringify(config));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(configBuf), size: configBuf.length },
      layers: [{ mediaType: LAYER_MEDIA[sniffCompression(head ?? Buffer.alloc(0))], digest, size }],
    }));
    store.putBlobFile(blob, digest);
    store.putBlob(configBuf);
    store.putBlob(manifest);
    const id = await store.registerImage(configBuf, manifest, names);
    imageEvent(store.paths, 'import', id, id);
    return id;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Splits `A=1 B="two words"` as a Dockerfile line is split: quotes group, backslash escapes. */
function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let any = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (quote) throw new GockerError(`unexpected end of statement while looking for matching ${quote}`);
  if (cur || any) out.push(cur);
  return out;
}

/** `KEY=VALUE ...` pairs, or the old single `KEY VALUE` form (ENV, LABEL). */
function pairs(instr: string, arg: string): Array<[string, string]> {
  const t = arg.trim();
  const first = /^\S+/.exec(t)?.[0] ?? '';
  if (!first.includes('=')) {
    const value = t.slice(first.length).trim();
    if (!first || !value) throw new GockerError(`${instr} must have two arguments`);
    return [[first, words(value).join(' ')]];
  }
  return words(t).map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw new GockerError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** A JSON array of strings, or undefined when the argument is not one (the shell form). */
function jsonList(arg: string): string[] | undefined {
  const t = arg.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: the shell form */
  }
  return undefined;
}

/** EXPOSE 80, 53/udp, 8000-8002/tcp: docker expands a range to its ports. */
function exposed(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new GockerError(`invalid containerPort: ${spec}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) throw new GockerError(`invalid range format for --expose: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto}`);
}

/** docker import -c / commit -c: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR. */
export function applyChanges(cfg: NonNullable<ImageConfig['config']>, changes: string[]): NonNullable<ImageConfig['config']> {
  for (const change of changes) {
    const m = /^\s*(\w+)(?:\s+(.*))?$/s.exec(change);
    if (!m) throw new GockerError(`invalid change: ${change}`);
    const instr = m[1].toUpperCase();
    const arg = (m[2] ?? '').trim();
    const known = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];
    if (!known.includes(instr)) throw new GockerError(`${m[1]} is not a valid change command`);
    if (!arg && instr !== 'CMD' && instr !== 'ENTRYPOINT') throw new GockerError(`${instr} requires at least one argument`);
    const command = (): string[] => jsonList(arg) ?? (arg ? ['/bin/sh', '-c', arg] : []);
    switch (instr) {
      case 'CMD': cfg.Cmd = command(); break;
      case 'ENTRYPOINT': cfg.Entrypoint = command(); break;
      case 'ENV':
        for (const [k, v] of pairs(instr, arg)) cfg.Env = [...(cfg.Env ?? []).filter((e) => e.split('=')[0] !== k), `${k}=${v}`];
        break;
      case 'LABEL':
        for (const [k, v] of pairs(instr, arg)) cfg.Labels = { ...(cfg.Labels ?? {}), [k]: v };
        break;
      case 'EXPOSE':
        for (const p of words(arg).flatMap(exposed)) cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}), [p]: {} };
        break;
      case 'VOLUME':
        for (const v of jsonList(arg) ?? words(arg)) {
          if (!v) throw new GockerError('VOLUME specified can not be an empty string');
          cfg.Volumes = { ...(cfg.Volumes ?? {}), [v]: {} };
        }
        break;
      case 'WORKDIR': cfg.WorkingDir = words(arg).join(' '); break;
      case 'USER': cfg.User = words(arg).join(' '); break;
      case 'STOPSIGNAL':
        // As docker's builder dispatches it: a signal that does not parse makes no image.
        cfg.StopSignal = words(arg).join(' ');
        signalNumber(cfg.StopSignal);
        break;
    }
  }
  return cfg;
}

interface Descriptor { mediaType?: string; digest: string; size?: number; annotations?: Record<string, string>; platform?: { os: string; architecture: string; variant?: string } }

/** Loads every image of a docker-archive or OCI layout tarball. Returns what docker prints. */
export async function loadImages(store: Store, input: NodeJS.ReadableStream): Promise<string[]> {
  return store.adding(() => loadImagesLocked(store, input));
}

/** The load itself, under the store's shared gc lock (see Store.adding). */
async function loadImagesLocked(store: Store, input: NodeJS.ReadableStream): Promise<string[]> {
  fs.mkdirSync(store.paths.tmp, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(store.paths.tmp, 'load-'));
  try {
    const dir = path.join(tmp, 'x');
    fs.mkdirSync(dir);
    try {
      // The tar package refuses entries that would land outside cwd (.., absolute, through links).
      await pipeline(input, tar.x({ cwd: dir, strict: true, preservePaths: false }));
    } catch (e) {
      throw new GockerError(`load: not a readable tar archive: ${(e as Error).message}`, { cause: e });
    }
    if (fs.existsSync(path.join(dir, 'index.json'))) return await loadOciLayout(store, dir);
    if (fs.existsSync(path.join(dir, 'manifest.json'))) return await loadDockerArchive(store, dir);
    throw new GockerError('load: the archive is neither a docker-archive (manifest.json) nor an OCI layout (index.json)');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A JSON file of the archive, read only when it is no larger than max (a manifest's cap). */
function readJson<T>(file: string, max = MAX_MANIFEST_BYTES): T {
  return parseJson<T>(readCapped(file, max, path.basename(file)), path.basename(file));
}

/** A file of the archive, through one descriptor: its size checked, then no more than that read. */
function readCapped(file: string, max: number, what: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) throw new GockerError(`load: ${what} is missing from the archive`);
    throw e;
  }
  try {
    const { size } = fs.fstatSync(fd);
    if (size > max) throw new GockerError(`load: ${what} is ${size} bytes, more than the ${max} allowed`);
    return readWhole(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    throw new GockerError(`load: ${what} is not valid JSON`);
  }
}

/**
 * A file the archive's own JSON names, resolved inside the unpacked archive. The names are
 * data from the archive: '../../etc/shadow', or a symlink the archive carries pointing at
 * the host, must not pull a host file into an image. (docker save itself writes symlinks
 * between layer files, so links that stay inside are fine.)
 */
function inArchive(dir: string, name: string, what: string): string {
  let real: string;
  try {
    real = fs.realpathSync(path.resolve(dir, name));
  } catch {
    throw new GockerError(`load: ${what} ${name} is missing from the archive`);
  }
  const root = fs.realpathSync(dir);
  if (!real.startsWith(root + path.sep)) throw new GockerError(`load: ${what} ${name} points outside the archive`);
  if (!fs.statSync(real).isFile()) throw new GockerError(`load: ${what} ${name} is not a regular file`);
  return real;
}

/**
 * An OCI descriptor from the archive's index or a manifest: its digest validated (algorithm
 * and exact hex length) before it names blobs/<alg>/<hex>, its size a byte count.
 */
function checkDescriptor(d: unknown, what: string): Descriptor & { digest: Digest } {
  if (typeof d !== 'object' || d === null) throw new GockerError(`load: ${what} is not a descriptor`);
  const desc = d as Descriptor;
  validateDigest(desc.digest, `load: ${what}`);
  if (desc.size !== undefined && (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0)) {
    throw new GockerError(`load: ${what} ${desc.digest} has an invalid size ${JSON.stringify(desc.size)}`);
  }
  return desc as Descriptor & { digest: Digest };
}

/**
 * The blob a descriptor names, inside the archive, checked against the descriptor: size (when
 * given) and content, by the digest's own algorithm. Returns the file.
 */
function ociBlob(dir: string, raw: unknown, what: string, max?: number): string {
  const desc = checkDescriptor(raw, what);
  const { algorithm, hex } = splitDigest(desc.digest);
  const file = inArchive(dir, path.join('blobs', algorithm, hex), what);
  const size = fs.statSync(file).size;
  if (typeof desc.size === 'number' && size !== desc.size) throw new GockerError(`load: ${what} ${desc.digest} is ${size} bytes, its descriptor says ${desc.size}`);
  if (max !== undefined && size > max) throw new GockerError(`load: ${what} ${desc.digest} is ${size} bytes, more than the ${max} allowed`);
  if (fileDigest(file, algorithm) !== desc.digest) throw new GockerError(`load: ${what} ${desc.digest} does not match its digest`);
  return file;
}

async function storeLayers(store: Store, layers: Array<{ file: string; mediaType?: string }>, diffIds: string[]): Promise<void> {
  if (layers.length !== diffIds.length) throw new GockerError(`load: the image has ${layers.length} layers but its config lists ${diffIds.length}`);
  let parent: string | null = null;
  for (const [i, l] of layers.entries()) {
    const meta = await store.addLayer(parent, { file: l.file, mediaType: l.mediaType, diffId: diffIds[i] });
    parent = meta.chainId;
  }
}

async function loadDockerArchive(store: Store, dir: string): Promise<string[]> {
  const entries = readJson<Array<{ Config: string; RepoTags?: string[] | null; Layers: string[] }>>(path.join(dir, 'manifest.json'));
  // The shape first: every name below becomes a path inside the archive.
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!Array.isArray(entries) || !entries.every((e) => typeof e?.Config === 'string' && strings(e.Layers) && (e.RepoTags == null || strings(e.RepoTags)))) {
    throw new GockerError('load: manifest.json is not a list of {Config, RepoTags, Layers}');
  }
  const out: string[] = [];
  for (const e of entries) {
    const configBuf = readCapped(inArchive(dir, e.Config, 'config'), MAX_CONFIG_BYTES, `config ${e.Config}`);
    const config = parseConfig(configBuf);
    const files = e.Layers.map((l) => inArchive(dir, l, 'layer'));
    await storeLayers(store, files.map((file) => ({ file })), config.rootfs.diff_ids);
    const layerDescs = files.map((file, i) => {
      const digest = fileDigest(file);
      store.putBlobCopy(file, digest);
      return { mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest, size: fs.statSync(file).size, diffId: config.rootfs.diff_ids[i] };
    });
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(configBuf), size: configBuf.length },
      layers: layerDescs.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    }));
    store.putBlob(configBuf);
    store.putBlob(manifest);
    const names = (e.RepoTags ?? []).map((t) => parseReference(t));
    const id = await store.registerImage(configBuf, manifest, names);
    imageEvent(store.paths, 'load', id, names.length ? familiarString(names[0]) : id);
    if (names.length) for (const n of names) out.push(`Loaded image: ${familiarString(n)}`);
    else out.push(`Loaded image ID: ${id}`);
  }
  return out;
}

async function loadOciLayout(store: Store, dir: string): Promise<string[]> {
  const index = readJson<{ manifests: Descriptor[] }>(path.join(dir, 'index.json'));
  if (!Array.isArray(index?.manifests)) throw new GockerError('load: index.json has no manifests');
  const out: string[] = [];
  for (const [n, top] of index.manifests.entries()) {
    let desc = checkDescriptor(top, `index.json manifests[${n}]`);
    // A nested index (multi-platform): take the host's platform.
    if (desc.mediaType === OCI_INDEX || desc.mediaType === DOCKER_LIST) {
      const inner = parseJson<{ manifests: Descriptor[] }>(fs.readFileSync(ociBlob(dir, desc, 'index', MAX_MANIFEST_BYTES)), `index ${desc.digest}`);
      if (!Array.isArray(inner?.manifests)) throw new GockerError(`load: index ${desc.digest} has no manifests`);
      desc = checkDescriptor(pickPlatform(inner.manifests.filter((m) => typeof m === 'object' && m !== null)), `index ${desc.digest} entry`);
    }
    // Every blob is checked against its descriptor (size, and digest by its algorithm)
    // before it is read; the extractor then checks each layer's tar against its diff_id.
    const manifestBuf = fs.readFileSync(ociBlob(dir, desc, 'manifest', MAX_MANIFEST_BYTES));
    const manifest = parseJson<{ config: Descriptor; layers: Descriptor[] }>(manifestBuf, `manifest ${desc.digest}`);
    if (!Array.isArray(manifest?.layers ?? [])) throw new GockerError(`load: manifest ${desc.digest} has no list of layers`);
    const configBuf = fs.readFileSync(ociBlob(dir, manifest.config, 'config', MAX_CONFIG_BYTES));
    const config = parseConfig(configBuf);
    const layerDescs = (manifest.layers ?? []).map((l, i) => checkDescriptor(l, `layer ${i} of manifest ${desc.digest}`));
    const files = layerDescs.map((l) => ociBlob(dir, l, 'layer'));
    await storeLayers(store, files.map((file, i) => ({ file, mediaType: manifest.layers[i].mediaType })), config.rootfs.diff_ids);
    files.forEach((file, i) => store.putBlobCopy(file, layerDescs[i].digest));
    store.putBlob(configBuf);
    store.putBlob(manifestBuf);
    const refName = top.annotations?.['io.containerd.image.name'] ?? top.annotations?.['org.opencontainers.image.ref.name'];
    let names: Reference[] = [];
    if (refName) {
      // skopeo and umoci write just the tag; docker writes the full name.
      names = [parseReference(/[:/@]/.test(refName) ? refName : `localhost/oci-image:${refName}`)];
    }
    const id = await store.registerImage(configBuf, manifestBuf, names);
    imageEvent(store.paths, 'load', id, names.length ? familiarString(names[0]) : id);
    out.push(names.length ? `Loaded image: ${familiarString(names[0])}` : `Loaded image ID: ${id}`);
  }
  return out;
}

const platformName = (p: NonNullable<Descriptor['platform']>): string => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

/**
 * The host's entry of a multi-platform index: same os and architecture, and the same
 * variant (arm64's v8 is also written as none), else one that names no variant.
 */
function pickPlatform(manifests: Descriptor[]): Descriptor {
  const host = hostPlatform();
  const norm = (arch: string, v: string | undefined): string => (arch === 'arm64' && v === 'v8' ? '' : v ?? '');
  const same = manifests.filter((m) => m.platform?.os === host.os && m.platform.architecture === host.architecture);
  const pick = same.find((m) => norm(host.architecture, m.platform!.variant) === norm(host.architecture, host.variant))
    ?? same.find((m) => !m.platform!.variant);
  if (!pick) {
    const avail = manifests.filter((m) => m.platform).map((m) => platformName(m.platform!));
    throw new GockerError(`load: no manifest for ${platformName(host)} in the archive (available: ${avail.join(', ') || 'none'})`);
  }
  return pick;
}

function parseConfig(buf: Buffer): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(buf.toString('utf8')) as ImageConfig;
  } catch {
    throw new GockerError('load: the image config is not valid JSON');
  }
  if (!Array.isArray(config?.rootfs?.diff_ids)) throw new GockerError('load: the image config has no rootfs.diff_ids');
  // They become chain ids and so layer paths; sha256 only, as the extractor verifies them.
  config.rootfs.diff_ids.forEach((d, i) => validateDigest(d, `load: image config rootfs.diff_ids[${i}]`, { sha256Only: true }));
  return config;
}

function fileDigest(file: string, algorithm: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  const h = crypto.createHash(algorithm);
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return `${algorithm}:${h.digest('hex')}`;
}
