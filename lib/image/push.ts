// `gocker push`: an image's manifest, config and layer blobs from the store to a registry.
// A pulled image goes as it came (the same manifest bytes, so the same digest and media
// type); a layer kept only as an uncompressed tar (import, load, commit) is gzipped first,
// once: the image's manifest is rewritten to name the compressed blob, as docker's does.
// Blobs the registry has are skipped (HEAD), blobs another repository of the same registry
// holds are mounted, the rest uploaded; an interrupted upload is continued by the next push.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { GockerError, NoSuchImageError, isErrno } from '../errors';
import { compressionOf, sniffCompression, type Compression } from '../layer';
import { familiarRepo, familiarString, hasTag, isTag, parseReference, type Reference } from '../name';
import { isDigest, validateDigest } from '../name/digest';
import { MEDIA, RegistryError, type ClientOptions, type Descriptor } from '../remote';
import { PushClient, type UploadSession } from '../remote/push';
import { Store, sha256 } from '../store';
import { unlinkIfThere, writeFileAtomic } from '../store/atomic';
import { hexOf } from '../store/paths';
import { imageEvent } from '../events';

/** What a push reports as it goes, docker's progress lines as data. */
export type PushEvent =
  /** docker's first line: "The push refers to repository [host/name]" */
  | { kind: 'repository'; name: string }
  | { kind: 'layer'; id: string; status: 'Preparing' | 'Waiting' | 'Pushing' | 'Pushed' | 'Layer already exists'; current?: number; total?: number }
  | { kind: 'layer'; id: string; status: 'Mounted from'; /** the repository, as docker names it: 'library/busybox' */ from: string }
  | { kind: 'layer'; id: string; status: 'Retrying'; /** ms until the next attempt */ delayMs: number; attempt: number; error: string }
  /** one tag pushed: docker's "<tag>: digest: <digest> size: <bytes>" */
  | { kind: 'done'; tag: string; digest: string; size: number };

/** How to push: the registry client's options (auth, signal, ...) and these. */
export interface PushOptions extends ClientOptions {
  /** every tag of the repository (`--all-tags`); the name then has none */
  allTags?: boolean;
  /** layers uploaded at once: 5, dockerd's max-concurrent-uploads */
  maxConcurrentUploads?: number;
  /** bytes a PATCH carries; a blob no larger goes in one PUT (remote/push.ts DEFAULT_CHUNK_SIZE) */
  chunkSize?: number;
  /** called with each step of the push, in order */
  onEvent?: (e: PushEvent) => void;
}

/** One tag pushed. */
export interface PushResult {
  /** the tag */
  tag: string;
  /** the manifest's digest, as the registry now knows the tag by */
  digest: string;
  /** the manifest's length in bytes */
  size: number;
}

const short = (d: string): string => hexOf(d).slice(0, 12);

/**
 * Pushes name (repo:tag, or with allTags every tag of repo). The store's shared gc lock is
 * held throughout: rmi and prune wait rather than delete a blob being sent.
 */
export async function pushImage(store: Store, name: string, opts: PushOptions = {}): Promise<PushResult[]> {
  const ref = parseReference(name);
  if (ref.digest) throw new GockerError('cannot push a digest reference', { code: 'EINVALREF' });
  if (opts.allTags && hasTag(name)) throw new GockerError("tag can't be used with --all-tags/-a", { code: 'EINVALREF' });
  return store.adding(() => pushLocked(store, ref, opts));
}

async function pushLocked(store: Store, ref: Reference, opts: PushOptions): Promise<PushResult[]> {
  const emit = opts.onEvent ?? (() => undefined);
  emit({ kind: 'repository', name: `${ref.registry}/${ref.repository}` });
  const repo = familiarRepo(ref);
  const tags = store.readBook()[repo] ?? {};
  const names = Object.keys(tags).filter(isTag);
  // docker's words and order: no image of the repository at all, then no such tag.
  if (names.length === 0) throw new NoSuchImageError(`An image does not exist locally with the tag: ${repo}`);
  const todo = opts.allTags ? names.sort() : [ref.tag ?? 'latest'];
  if (!tags[todo[0]]) throw new NoSuchImageError(`tag does not exist: ${familiarString(ref)}`);
  const out: PushResult[] = [];
  for (const tag of todo) out.push(await pushTag(store, { ...ref, tag }, tags[tag], opts, emit));
  return out;
}

/** The layer's media type in the manifest's family, for the compression its blob has. */
function layerMediaType(docker: boolean, compression: Exclude<Compression, 'none'>, current: string | undefined): string {
  if (current && current.startsWith(docker ? 'application/vnd.docker.' : 'application/vnd.oci.') && compressionOf(current) === compression) return current;
  if (!docker) return `application/vnd.oci.image.layer.v1.tar+${compression}`;
  return compression === 'gzip' ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.docker.image.rootfs.diff.tar.zstd';
}

function sniffFile(file: string): Compression {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    return sniffCompression(head.subarray(0, fs.readSync(fd, head, 0, 4, 0)));
  } finally {
    fs.closeSync(fd);
  }
}

/** gzips a blob into the store (zlib's default level, no name or time in the header: the same bytes every time). */
async function gzipBlob(store: Store, file: string): Promise<{ digest: string; size: number }> {
  fs.mkdirSync(store.paths.tmp, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(store.paths.tmp, 'push-'));
  try {
    const out = path.join(tmp, 'blob');
    const hash = crypto.createHash('sha256');
    let size = 0;
    await pipeline(fs.createReadStream(file), zlib.createGzip(), new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    }), fs.createWriteStream(out));
    const fd = fs.openSync(out, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const digest = `sha256:${hash.digest('hex')}`;
    store.putBlobFile(out, digest);
    return { digest, size };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

interface Prepared {
  id: string;
  manifest: Buffer;
  mediaType: string;
  config: Buffer;
  configDesc: Descriptor;
  /** top layer first, as docker lists them; id is the diff_id's short form, as docker shows it */
  layers: Array<{ desc: Descriptor; id: string }>;
}

/**
 * The manifest to push and the blobs it names, all in the store. The stored manifest is
 * input like any file read back: its digests are checked before they name blob paths, its
 * config must be the image's own.
 */
async function prepare(store: Store, id: string): Promise<Prepared> {
  const dir = store.paths.image(id);
  const where = `image ${short(id)}`;
  const config = fs.readFileSync(path.join(dir, 'config.json'));
  let manifest = fs.readFileSync(path.join(dir, 'manifest.json'));
  let m: { mediaType?: string; config?: Descriptor; layers?: Descriptor[] };
  try {
    m = JSON.parse(manifest.toString('utf8')) as typeof m;
  } catch {
    throw new GockerError(`${where}: its stored manifest is not valid JSON`, { code: 'ECORRUPT' });
  }
  const mediaType = m?.mediaType ?? MEDIA.ociManifest;
  if (mediaType !== MEDIA.ociManifest && mediaType !== MEDIA.dockerManifest) throw new GockerError(`${where}: cannot push a manifest of media type ${mediaType}`, { code: 'EUNSUPPORTED' });
  const docker = mediaType === MEDIA.dockerManifest;
  if (!m.config || m.config.digest !== id || m.config.size !== config.length || sha256(config) !== id) {
    throw new GockerError(`${where}: its stored manifest does not name its config`, { code: 'ECORRUPT' });
  }
  const diffIds = (JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  if (!Array.isArray(m.layers) || m.layers.length !== diffIds.length) throw new GockerError(`${where}: its manifest and config disagree on the number of layers`, { code: 'ECORRUPT' });
  let changed = false;
  const layers: Descriptor[] = [];
  for (const [i, l] of m.layers.entries()) {
    validateDigest(l?.digest, `${where}: manifest layer ${i}`);
    const file = store.paths.blob(l.digest);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      throw new GockerError(`${where}: the blob of layer ${diffIds[i]} is not in the store`, { code: 'ENOENT' });
    }
    if (size !== l.size) throw new GockerError(`${where}: the blob of layer ${diffIds[i]} is ${size} bytes, its manifest says ${l.size}`, { code: 'ECORRUPT' });
    const kind = sniffFile(file);
    if (kind === 'none') {
      const z = await gzipBlob(store, file);
      layers.push({ ...l, mediaType: layerMediaType(docker, 'gzip', undefined), digest: z.digest, size: z.size });
      changed = true;
    } else {
      const t = layerMediaType(docker, kind, l.mediaType);
      layers.push(t === l.mediaType ? l : { ...l, mediaType: t });
      changed ||= t !== l.mediaType;
    }
  }
  if (changed) {
    // Recorded before any byte leaves: the next push (or a resumed one) finds the same blobs.
    manifest = Buffer.from(JSON.stringify({ ...m, layers }));
    store.putBlob(manifest);
    await store.registerImage(config, manifest, []);
  }
  return {
    id,
    manifest,
    mediaType,
    config,
    configDesc: m.config,
    layers: layers.map((desc, i) => ({ desc, id: short(diffIds[i]) })).reverse(),
  };
}

/**
 * Repositories of the target's registry known to hold each blob: those images with the blob
 * were pulled from or pushed to (their repo digests). The store's files are read back as
 * input; an image whose files are unreadable offers nothing.
 */
function mountSources(store: Store, target: Reference): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const ids = new Set(Object.values(store.readBook()).flatMap((t) => Object.values(t)));
  for (const id of ids) {
    let repos: string[];
    let layers: Array<{ digest?: unknown }>;
    try {
      const dir = store.paths.image(id);
      repos = (JSON.parse(fs.readFileSync(path.join(dir, 'repodigests.json'), 'utf8')) as unknown[])
        .flatMap((rd) => {
          try {
            const r = parseReference(String(rd));
            return r.registry === target.registry && r.repository !== target.repository ? [r.repository] : [];
          } catch {
            return [];
          }
        });
      if (!repos.length) continue;
      layers = (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { layers: Array<{ digest?: unknown }> }).layers;
    } catch {
      continue;
    }
    for (const l of Array.isArray(layers) ? layers : []) {
      if (!isDigest(l?.digest)) continue;
      const set = out.get(l.digest) ?? new Set<string>();
      for (const r of repos) set.add(r);
      out.set(l.digest, set);
    }
  }
  return out;
}

/** tmp/upload-<hash>.json: an upload in progress, for the next push to the same place to continue. */
function sessionFile(store: Store, ref: Reference, digest: string): string {
  return path.join(store.paths.tmp, `upload-${hexOf(sha256(`${ref.registry}/${ref.repository}@${digest}`))}.json`);
}

function readSession(file: string, ref: Reference, digest: string): UploadSession | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as { registry?: unknown; repository?: unknown; digest?: unknown; location?: unknown; offset?: unknown };
    if (s.registry !== ref.registry || s.repository !== ref.repository || s.digest !== digest) return undefined;
    if (typeof s.location !== 'string' || !/^https?:\/\//.test(s.location) || typeof s.offset !== 'number' || !Number.isSafeInteger(s.offset) || s.offset < 0) return undefined;
    return { location: s.location, offset: s.offset };
  } catch {
    return undefined;
  }
}

/** At most `limit` of fn at once; an item waiting for a slot is told so first. */
async function inTurn<T>(items: T[], limit: number, waiting: (t: T) => void, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  items.slice(limit).forEach(waiting);
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function pushTag(store: Store, ref: Reference, id: string, opts: PushOptions, emit: (e: PushEvent) => void): Promise<PushResult> {
  const img = await prepareEmitting(store, id, emit);
  const idOf = new Map(img.layers.map((l) => [l.desc.digest, l.id]));
  // One failed upload stops the others: nothing goes on sending after push() has failed.
  const stop = new AbortController();
  const client = new PushClient({
    ...opts,
    signal: opts.signal ? AbortSignal.any([stop.signal, opts.signal]) : stop.signal,
    onRetry: (what, attempt, err, delayMs) => {
      const lid = idOf.get(what.startsWith('blob ') ? what.slice(5) : '');
      if (lid) emit({ kind: 'layer', id: lid, status: 'Retrying', delayMs, attempt, error: err.message });
      opts.onRetry?.(what, attempt, err, delayMs);
    },
  });
  const blobs = new BlobPusher(store, client, ref, img, opts, emit);
  const digest = sha256(img.manifest);
  try {
    const seen = new Set<string>();
    const layers = img.layers.filter((l) => !seen.has(l.desc.digest) && seen.add(l.desc.digest));
    let failure: unknown;
    await inTurn(layers, Math.max(1, opts.maxConcurrentUploads ?? 5), (l) => emit({ kind: 'layer', id: l.id, status: 'Waiting' }), async (l) => {
      if (failure !== undefined) return;
      try {
        await blobs.push(l.desc, l.id);
      } catch (e) {
        failure ??= e;
        stop.abort(e);
      }
    });
    if (failure !== undefined) throw opts.signal?.aborted ? opts.signal.reason : failure;
    await blobs.push(img.configDesc);
    await client.putManifest(ref, ref.tag!, img.manifest, img.mediaType, digest);
  } catch (e) {
    throw dockerWords(e, client, ref);
  }
  // As docker records it: the image is now known in this repository by this digest.
  await store.registerImage(img.config, img.manifest, [], `${familiarRepo(ref)}@${digest}`);
  emit({ kind: 'done', tag: ref.tag!, digest, size: img.manifest.length });
  imageEvent(store.paths, 'push', familiarString(ref), familiarString({ ...ref, tag: undefined, digest: undefined }));
  return { tag: ref.tag!, digest, size: img.manifest.length };
}

/** One blob to the registry: already there, mounted, an earlier push's upload continued, or uploaded. */
class BlobPusher {
  private readonly sources: Map<string, Set<string>>;

  constructor(private readonly store: Store, private readonly client: PushClient, private readonly ref: Reference, private readonly img: Prepared,
    private readonly opts: PushOptions, private readonly emit: (e: PushEvent) => void) {
    this.sources = mountSources(store, ref);
  }

  /** lid: the layer's id for progress; the config has none. */
  async push(desc: Descriptor, lid?: string): Promise<void> {
    const { client, ref } = this;
    const say = (e: LayerStatus): void => {
      if (lid) this.emit({ kind: 'layer', id: lid, ...e } as PushEvent);
    };
    if (await client.blobExists(ref, desc)) {
      say({ status: 'Layer already exists' });
      return;
    }
    const file = sessionFile(this.store, ref, desc.digest);
    const resume = readSession(file, ref, desc.digest);
    let location: string | undefined;
    // An earlier push's session is continued rather than the mounts it tried tried again.
    for (const from of resume ? [] : [...(this.sources.get(desc.digest) ?? [])].slice(0, 3)) {
      try {
        const r = await client.mountBlob(ref, desc.digest, from);
        if (r.mounted) {
          say({ status: 'Mounted from', from });
          return;
        }
        location = r.location;
        break;
      } catch (e) {
        // Refused (the source is gone, or not ours to read): uploaded instead, as docker does.
        if (!(e instanceof RegistryError) || this.opts.signal?.aborted) throw e;
      }
    }
    // The config goes from the image's own config.json, which prepare checked against its digest.
    const blob = desc === this.img.configDesc ? path.join(this.store.paths.image(this.img.id), 'config.json') : this.store.paths.blob(desc.digest);
    await client.uploadBlob(ref, desc, blob, {
      resume,
      location,
      chunkSize: this.opts.chunkSize,
      onProgress: (n) => say({ status: 'Pushing', current: n, total: desc.size }),
      onSession: (s) => (s ? writeFileAtomic(file, JSON.stringify({ registry: ref.registry, repository: ref.repository, digest: desc.digest, ...s }), 0o600, false) : unlinkIfThere(file)),
    });
    say({ status: 'Pushed' });
  }
}

type LayerStatus = { status: 'Layer already exists' | 'Pushed' } | { status: 'Pushing'; current: number; total: number } | { status: 'Mounted from'; from: string };

/**
 * A registry's refusal as docker words it: "no basic auth credentials" when it asked for
 * them and there were none, else its "unauthorized: ..." or "denied: ..." on its own.
 */
function dockerWords(e: unknown, client: PushClient, ref: Reference): unknown {
  if (!(e instanceof RegistryError)) return e;
  if (e.status === 401 || e.registryCode === 'UNAUTHORIZED') {
    if (client.askedForCredentials(ref.registry)) return new RegistryError('no basic auth credentials', 401, 'UNAUTHORIZED');
    return new RegistryError(/\bunauthorized: .*$/.exec(e.message)?.[0] ?? 'unauthorized: authentication required', e.status, e.registryCode ?? 'UNAUTHORIZED');
  }
  if (e.status === 403 || e.registryCode === 'DENIED') {
    return new RegistryError(/\bdenied: .*$/.exec(e.message)?.[0] ?? 'denied: requested access to the resource is denied', e.status, e.registryCode ?? 'DENIED');
  }
  return e;
}

/** prepare(), with docker's "Preparing" for every layer first (compression happens then). */
async function prepareEmitting(store: Store, id: string, emit: (e: PushEvent) => void): Promise<Prepared> {
  const img = store.loadImage(id);
  if (!img) throw new NoSuchImageError(`image ${short(id)} is not in the store`);
  const seen = new Set<string>();
  for (const l of [...img.layers].reverse()) if (!seen.has(l.diffId) && seen.add(l.diffId)) emit({ kind: 'layer', id: short(l.diffId), status: 'Preparing' });
  return prepare(store, id);
}
