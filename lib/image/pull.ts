// `gocker pull`: manifest -> config -> layers downloaded concurrently, verified, applied in
// order into the store, and the image recorded only once every layer is in place.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError } from '../errors';
import { familiarString, parseReference } from '../name';
import { validateDigest } from '../name/digest';
import { RegistryClient, type ClientOptions, type Descriptor } from '../remote';
import { Store, chainIds } from '../store';
import type { ImageConfig } from '../store/types';
import { imageEvent } from '../events';

/**
 * What a pull reports as it goes, docker's progress lines as data: the reference resolved, each
 * layer's state (with bytes while downloading or extracting), retries, and the end.
 */
export type PullEvent =
  | { kind: 'resolved'; ref: string; tag: string; repository: string; layers: string[] }
  | { kind: 'layer'; id: string; status: 'Already exists' | 'Waiting' | 'Downloading' | 'Verifying Checksum' | 'Download complete' | 'Extracting' | 'Pull complete'; current?: number; total?: number }
  | { kind: 'layer'; id: string; status: 'Retrying'; /** ms until the next attempt */ delayMs: number; attempt: number; error: string }
  | { kind: 'done'; digest: string; id: string; ref: string; fresh: boolean };

/** How to pull: the registry client's options (auth, platform, signal, ...) and these. */
export interface PullOptions extends ClientOptions {
  /** layers downloaded at once: 3, dockerd's max-concurrent-downloads */
  maxConcurrentDownloads?: number;
  /** called with each step of the pull, in order */
  onEvent?: (e: PullEvent) => void;
}

const short = (d: string): string => d.slice(d.indexOf(':') + 1, d.indexOf(':') + 13);

/** Under the store's shared gc lock: see Store.adding. */
export async function pullImage(store: Store, name: string, opts: PullOptions = {}): Promise<{ id: string; digest: string }> {
  const r = await store.adding(() => pullImageLocked(store, name, opts));
  // docker's actor: the reference pulled, named by its repository.
  const ref = parseReference(name);
  imageEvent(store.paths, 'pull', familiarString(ref), familiarString({ ...ref, tag: undefined, digest: undefined }));
  return r;
}

async function pullImageLocked(store: Store, name: string, opts: PullOptions = {}): Promise<{ id: string; digest: string }> {
  const ref = parseReference(name);
  const emit = opts.onEvent ?? (() => undefined);
  const layerDigests = new Set<string>();
  const client = new RegistryClient({
    ...opts,
    onRetry: (what, attempt, err, delayMs) => {
      // Shown on the layer's line, as docker does; the manifest and config have none.
      // The layers' digests were validated by resolve: a set lookup, no digest grammar again.
      const digest = what.startsWith('blob ') ? what.slice(5) : '';
      if (layerDigests.has(digest)) emit({ kind: 'layer', id: short(digest), status: 'Retrying', delayMs, attempt, error: err.message });
      opts.onRetry?.(what, attempt, err, delayMs);
    },
  });
  const img = await client.resolve(ref);
  for (const l of img.layers) layerDigests.add(l.digest);
  const configBuf = await client.fetchBlobBuffer(ref, img.config);
  let config: ImageConfig;
  try {
    config = JSON.parse(configBuf.toString('utf8')) as ImageConfig;
  } catch {
    throw new GockerError(`${familiarString(ref)}: the image config is not valid JSON`);
  }
  const diffIds = config?.rootfs?.diff_ids ?? [];
  if (!Array.isArray(diffIds)) throw new GockerError(`${familiarString(ref)}: the image config's rootfs.diff_ids is not a list`);
  // They become chain ids, and so layer paths: checked before anything is looked up by them
  // (sha256 only: the extractor verifies each layer's tar as a sha256).
  diffIds.forEach((d, i) => validateDigest(d, `${familiarString(ref)}: image config rootfs.diff_ids[${i}]`, { sha256Only: true }));
  if (diffIds.length !== img.layers.length) {
    throw new GockerError(`${familiarString(ref)}: the manifest has ${img.layers.length} layers but the config lists ${diffIds.length}`);
  }
  const chains = chainIds(diffIds);
  emit({ kind: 'resolved', ref: familiarString(ref), tag: ref.tag ?? ref.digest ?? 'latest', repository: ref.repository, layers: img.layers.map((l) => short(l.digest)) });
  const existed = store.resolveId(name);

  fs.mkdirSync(store.paths.tmp, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(store.paths.tmp, 'pull-'));
  try {
    // A layer counts as present only with its blob (save and push read it): a pull killed
    // between storing one and the other fetches what is missing next time.
    const haveBlob = img.layers.map((l) => fs.existsSync(store.paths.blob(l.digest)));
    const haveLayer = img.layers.map((_, i) => {
      const meta = store.layerMeta(chains[i]);
      if (meta) store.ensureLink(meta); // a command killed between a layer's rename and its link
      return !!meta;
    });
    const blobs: Array<Promise<void> | undefined> = [];
    const queue: Array<() => void> = [];
    let active = 0;
    const limit = Math.max(1, opts.maxConcurrentDownloads ?? 3);
    // Downloaded, verified, then moved into blobs/ before any layer is made from it.
    const download = (l: Descriptor, i: number): Promise<void> => new Promise((resolve, reject) => {
      const start = (): void => {
        active++;
        const file = path.join(tmp, `layer-${i}`);
        emit({ kind: 'layer', id: short(l.digest), status: 'Downloading', current: 0, total: l.size });
        client.fetchBlobToFile(ref, l, file, (n) => emit({ kind: 'layer', id: short(l.digest), status: 'Downloading', current: n, total: l.size }))
          .then(() => {
            emit({ kind: 'layer', id: short(l.digest), status: 'Verifying Checksum' });
            store.putBlobFile(file, l.digest);
            emit({ kind: 'layer', id: short(l.digest), status: 'Download complete' });
            resolve();
          })
          .catch(reject)
          .finally(() => {
            active--;
            queue.shift()?.();
          });
      };
      if (active < limit) start();
      else {
        emit({ kind: 'layer', id: short(l.digest), status: 'Waiting' });
        queue.push(start);
      }
    });
    img.layers.forEach((l, i) => {
      if (haveLayer[i] && haveBlob[i]) {
        emit({ kind: 'layer', id: short(l.digest), status: 'Already exists' });
        return;
      }
      if (haveBlob[i]) {
        emit({ kind: 'layer', id: short(l.digest), status: 'Download complete' });
        return;
      }
      blobs[i] = download(l, i);
      blobs[i]!.catch(() => undefined); // awaited below, in order
    });
    // Apply in order (each layer's chain id needs its parent's) while later ones still download.
    let parent: string | null = null;
    for (const [i, l] of img.layers.entries()) {
      if (blobs[i]) await blobs[i];
      if (!haveLayer[i]) {
        emit({ kind: 'layer', id: short(l.digest), status: 'Extracting', current: 0, total: l.size });
        await store.addLayer(parent, { file: store.paths.blob(l.digest), mediaType: l.mediaType, diffId: diffIds[i],
          onProgress: (n) => emit({ kind: 'layer', id: short(l.digest), status: 'Extracting', current: n, total: l.size }) });
      }
      if (!haveLayer[i] || !haveBlob[i]) emit({ kind: 'layer', id: short(l.digest), status: 'Pull complete' });
      parent = chains[i];
    }
    store.putBlob(configBuf);
    store.putBlob(img.manifest);
    const names = [ref];
    const id = await store.registerImage(configBuf, img.manifest, names, `${familiarString({ ...ref, tag: undefined, digest: undefined })}@${img.indexDigest ?? img.manifestDigest}`);
    const digest = img.indexDigest ?? img.manifestDigest;
    emit({ kind: 'done', digest, id, ref: familiarString(ref), fresh: existed !== id });
    return { id, digest };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
