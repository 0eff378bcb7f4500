// Garbage collection of the image store (rmi, image prune).
//
// What stays is decided from two sources only: images.json (what is installed) and the
// container records (an untagged image a container runs on stays, as docker keeps it
// dangling). Everything else under images/, layers/, l/ and blobs/ is garbage once no live
// image names it. Collection runs under the exclusive gc lock, so a pull that has stored
// layers but not yet registered its image is never collected (see Store.adding).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecords, type ImageUser } from '../store/records';
import { isErrno } from '../errors';
import { Store, chainIds, sha256 } from '../store';
import { DIGEST_HEX_LENGTH, isDigest, type DigestAlgorithm } from '../name/digest';
import { native } from '../native';
import { hexOf, shortLink } from '../store/paths';
import type { ImageConfig } from '../store/types';

/** What a garbage collection of the store deleted. */
export interface Collected {
  /** image ids whose directories were deleted */
  images: string[];
  /** chain ids of deleted layers */
  layers: string[];
  /** bytes freed: deleted layers' sizes and deleted blobs' sizes */
  bytes: number;
}

/** What `image prune` did: the names it took away, and what was then deleted. */
export interface PruneResult extends Collected {
  /** 'repo:tag' or 'repo@digest' entries taken out of images.json */
  untagged: string[];
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/** The names in dir that are the hex of an alg digest (anything else there is not gocker's). */
function listHex(dir: string, alg: DigestAlgorithm = 'sha256'): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => isDigest(`${alg}:${n}`));
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return [];
    throw e;
  }
}

/** Image ids present on disk (a directory with a config), named or not. */
export function storedImageIds(store: Store): string[] {
  return listHex(store.paths.images).map((h) => `sha256:${h}`).filter((id) => fs.existsSync(path.join(store.paths.image(id), 'config.json')));
}

export function bookIds(store: Store): Set<string> {
  const ids = new Set<string>();
  for (const tags of Object.values(store.readBook())) for (const id of Object.values(tags)) ids.add(id);
  return ids;
}

function containerImageIds(store: Store): Set<string> {
  return new Set(readRecords<ImageUser>(store.paths).map((c) => c.Image));
}

/**
 * docker's dangling images as gocker has them: on disk, named by nothing in images.json, kept
 * because a container uses them. Any other unnamed image directory is garbage (a pull killed
 * before it wrote images.json, an image whose last tag moved on): never shown, collected by
 * the next rmi or image prune.
 */
export function danglingImageIds(store: Store): string[] {
  const named = bookIds(store);
  const used = containerImageIds(store);
  return storedImageIds(store).filter((id) => !named.has(id) && used.has(id));
}

/**
 * Deletes every image directory in `candidates` that is not live, then every layer, short
 * link and blob no live image refers to. The caller holds the gc lock.
 */
function collectLocked(store: Store, candidates: Iterable<string>): Collected {
  const live = new Set([...bookIds(store), ...containerImageIds(store)]);
  const out: Collected = { images: [], layers: [], bytes: 0 };
  for (const id of candidates) {
    if (live.has(id)) continue;
    fs.rmSync(store.paths.image(id), { recursive: true, force: true });
    out.images.push(id);
  }
  // What the remaining images need: their layers, and the blobs save/push read.
  const keepLayers = new Set<string>();
  const keepBlobs = new Set<string>();
  for (const id of storedImageIds(store)) {
    const dir = store.paths.image(id);
    const config = readJson<ImageConfig>(path.join(dir, 'config.json'));
    if (!config) continue;
    for (const c of chainIds(config.rootfs.diff_ids)) keepLayers.add(hexOf(c));
    keepBlobs.add(id);
    let manifest: Buffer | undefined;
    try {
      manifest = fs.readFileSync(path.join(dir, 'manifest.json'));
    } catch {
      continue;
    }
    keepBlobs.add(sha256(manifest));
    const m = JSON.parse(manifest.toString('utf8')) as { config?: { digest: string }; layers?: Array<{ digest: string }> };
    // Read back from disk: only well-formed digests name blobs to keep (a bad one names none).
    if (isDigest(m?.config?.digest)) keepBlobs.add(m.config.digest);
    for (const l of Array.isArray(m?.layers) ? m.layers : []) if (isDigest(l?.digest)) keepBlobs.add(l.digest);
  }
  for (const hex of listHex(store.paths.layers)) {
    if (keepLayers.has(hex)) continue;
    let meta: ReturnType<Store['layerMeta']>;
    try {
      meta = store.layerMeta(`sha256:${hex}`);
    } catch {
      meta = undefined; // corrupt metadata: the layer goes all the same, its size unknown
    }
    // The short link first: a dangling link is harmless, a link to a half-deleted tree is not.
    // Its name is the one gocker gives it, from the chain id, never meta.json's word for it.
    fs.rmSync(path.join(store.paths.links, shortLink(hex)), { force: true });
    // Not fs.rmSync: its recursive walk overflows the stack on a layer 100,000 directories deep.
    native().removeTreeSync(store.paths.layer(`sha256:${hex}`));
    out.layers.push(`sha256:${hex}`);
    out.bytes += meta?.size ?? 0;
  }
  // Short links whose layer is gone: left by a command killed after making the link and
  // before renaming its layer into place (see Store.addLayer). No adder runs now.
  let links: string[] = [];
  try {
    links = fs.readdirSync(store.paths.links);
  } catch {
    /* no layers yet */
  }
  for (const n of links) {
    const p = path.join(store.paths.links, n);
    if (!fs.existsSync(p)) fs.rmSync(p, { force: true });
  }
  for (const alg of Object.keys(DIGEST_HEX_LENGTH) as DigestAlgorithm[]) for (const hex of listHex(store.paths.blobDir(alg), alg)) {
    if (keepBlobs.has(`${alg}:${hex}`)) continue;
    const file = store.paths.blob(`${alg}:${hex}`);
    try {
      out.bytes += fs.statSync(file).size;
      fs.rmSync(file, { force: true });
    } catch {
      /* gone already */
    }
  }
  return out;
}

/** Deletes the given images if nothing names or uses them, and whatever only they needed. */
export function collectGarbage(store: Store, candidates: Iterable<string> = []): Promise<Collected> {
  return store.collecting(() => collectLocked(store, candidates));
}

/**
 * docker image prune: dangling images (no name in images.json) that no container uses; with
 * `all`, every image no container uses, its names removed first.
 */
export async function pruneImages(store: Store, all: boolean): Promise<PruneResult> {
  return store.collecting(async () => {
    const used = containerImageIds(store);
    const untagged: string[] = [];
    if (all) {
      await store.updateBook((book) => {
        for (const [repo, tags] of Object.entries(book)) {
          for (const [tag, id] of Object.entries(tags)) {
            if (used.has(id)) continue;
            untagged.push(tag.startsWith('sha256:') ? `${repo}@${tag}` : `${repo}:${tag}`);
            delete tags[tag];
          }
        }
      });
    }
    return { untagged, ...collectLocked(store, storedImageIds(store)) };
  });
}
