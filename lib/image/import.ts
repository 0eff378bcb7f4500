// `gocker import` (a rootfs tarball becomes a one-layer image) and `gocker load`
// (docker-archive and OCI layout tarballs, as docker save and skopeo write them).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import * as tar from 'tar';
import { GockerError, isErrno } from '../errors';
import { sniffCompression } from '../layer';
import { parseReference, familiarString, type Reference } from '../name';
import { Store, sha256 } from '../store';
import type { ImageConfig } from './types';

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
  store.sweepTmp();
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
    return await store.registerImage(configBuf, manifest, names);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** docker import -c: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL. */
export function applyChanges(cfg: NonNullable<ImageConfig['config']>, changes: string[]): NonNullable<ImageConfig['config']> {
  for (const change of changes) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(change);
    if (!m) throw new GockerError(`invalid change: ${change}`);
    const [, instr, arg] = m;
    const list = (): string[] => {
      const t = arg.trim();
      if (t.startsWith('[')) {
        try {
          const v = JSON.parse(t) as unknown;
          if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
        } catch {
          /* shell form below */
        }
      }
      return ['/bin/sh', '-c', t];
    };
    switch (instr.toUpperCase()) {
      case 'CMD': cfg.Cmd = list(); break;
      case 'ENTRYPOINT': cfg.Entrypoint = list(); break;
      case 'ENV': {
        const kv = arg.includes('=') ? arg.trim() : arg.trim().replace(/\s+/, '=');
        const key = kv.split('=')[0];
        cfg.Env = [...(cfg.Env ?? []).filter((e) => e.split('=')[0] !== key), kv];
        break;
      }
      case 'WORKDIR': cfg.WorkingDir = arg.trim(); break;
      case 'USER': cfg.User = arg.trim(); break;
      case 'STOPSIGNAL': cfg.StopSignal = arg.trim(); break;
      case 'LABEL': {
        const [k, ...v] = arg.trim().split('=');
        cfg.Labels = { ...(cfg.Labels ?? {}), [k]: v.join('=').replace(/^"(.*)"$/, '$1') };
        break;
      }
      case 'EXPOSE': cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}), [arg.includes('/') ? arg.trim() : `${arg.trim()}/tcp`]: {} }; break;
      default: throw new GockerError(`${instr} is not a valid change command`);
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
  store.sweepTmp();
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

function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) throw new GockerError(`load: ${path.basename(file)} is missing from the archive`);
    throw new GockerError(`load: ${path.basename(file)} is not valid JSON`);
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

/** OCI layout blobs live at blobs/<alg>/<hex>; the digest must be one the store can hold. */
function ociBlob(dir: string, digest: unknown, what: string): string {
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new GockerError(`load: ${what} has an invalid or unsupported digest ${JSON.stringify(digest)}`);
  return inArchive(dir, path.join('blobs', 'sha256', digest.slice(7)), what);
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
  const out: string[] = [];
  for (const e of entries) {
    const configBuf = fs.readFileSync(inArchive(dir, e.Config, 'config'));
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
    if (names.length) for (const n of names) out.push(`Loaded image: ${familiarString(n)}`);
    else out.push(`Loaded image ID: ${id}`);
  }
  return out;
}

async function loadOciLayout(store: Store, dir: string): Promise<string[]> {
  const index = readJson<{ manifests: Descriptor[] }>(path.join(dir, 'index.json'));
  const out: string[] = [];
  for (const top of index.manifests) {
    let desc = top;
    // A nested index (multi-platform): take the host's platform.
    if (desc.mediaType === OCI_INDEX || desc.mediaType === DOCKER_LIST) {
      const inner = readJson<{ manifests: Descriptor[] }>(ociBlob(dir, desc.digest, 'index'));
      const pick = inner.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === goArch());
      if (!pick) throw new GockerError(`load: no manifest for linux/${goArch()} in the archive`);
      desc = pick;
    }
    const manifestBuf = fs.readFileSync(ociBlob(dir, desc.digest, 'manifest'));
    if (sha256(manifestBuf) !== desc.digest) throw new GockerError(`load: manifest ${desc.digest} does not match its digest`);
    const manifest = JSON.parse(manifestBuf.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    const configBuf = fs.readFileSync(ociBlob(dir, manifest.config?.digest, 'config'));
    if (sha256(configBuf) !== manifest.config.digest) throw new GockerError(`load: config ${manifest.config.digest} does not match its digest`);
    const config = parseConfig(configBuf);
    // Each layer blob is checked against its descriptor (digest and size) before it is
    // applied; the extractor then checks the uncompressed stream against the diff_id.
    const files = (manifest.layers ?? []).map((l) => {
      const file = ociBlob(dir, l.digest, 'layer');
      const size = fs.statSync(file).size;
      if (typeof l.size === 'number' && size !== l.size) throw new GockerError(`load: layer ${l.digest} is ${size} bytes, its manifest says ${l.size}`);
      if (fileDigest(file) !== l.digest) throw new GockerError(`load: layer ${l.digest} does not match its digest`);
      return file;
    });
    await storeLayers(store, files.map((file, i) => ({ file, mediaType: manifest.layers[i].mediaType })), config.rootfs.diff_ids);
    files.forEach((file, i) => store.putBlobCopy(file, manifest.layers[i].digest));
    store.putBlob(configBuf);
    store.putBlob(manifestBuf);
    const refName = top.annotations?.['io.containerd.image.name'] ?? top.annotations?.['org.opencontainers.image.ref.name'];
    let names: Reference[] = [];
    if (refName) {
      // skopeo and umoci write just the tag; docker writes the full name.
      names = [parseReference(/[:/@]/.test(refName) ? refName : `localhost/oci-image:${refName}`)];
    }
    const id = await store.registerImage(configBuf, manifestBuf, names);
    out.push(names.length ? `Loaded image: ${familiarString(names[0])}` : `Loaded image ID: ${id}`);
  }
  return out;
}

function parseConfig(buf: Buffer): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(buf.toString('utf8')) as ImageConfig;
  } catch {
    throw new GockerError('load: the image config is not valid JSON');
  }
  if (!Array.isArray(config?.rootfs?.diff_ids)) throw new GockerError('load: the image config has no rootfs.diff_ids');
  return config;
}

function fileDigest(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return `sha256:${h.digest('hex')}`;
}
