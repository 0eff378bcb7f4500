// docker system df: what images, containers and volumes take on disk, and what removing
// the unused ones would free. Above the image and container packages, as it needs both.
import * as path from 'node:path';
import { containers } from '../container/lifecycle';
import type { ContainerRecord } from '../container/record';
import { bookIds, readJson, storedImageIds } from '../image/prune';
import type { ImageConfig } from '../store/types';
import { chainIds, type Store } from '../store';
import { treeSize } from '../fsread';
import { Volumes, type VolumeInfo } from '../store/volumes';

/** One row of `system df`: a kind of thing the store holds, and the disk it takes. */
export interface UsageRow {
  /** the kind, in docker's words */
  Type: 'Images' | 'Containers' | 'Local Volumes' | 'Build Cache';
  /** how many there are */
  TotalCount: number;
  /** how many are in use (images with containers, running containers, volumes mounted by one) */
  Active: number;
  /** bytes */
  Size: number;
  /** bytes */
  Reclaimable: number;
}

/**
 * docker system df. Images: shared layers count once; reclaimable is what removing every
 * image no container uses would free. Containers: the size of their writable layers;
 * reclaimable is that of the stopped ones. Volumes: the size of their data; reclaimable is
 * that of the ones no container uses. gocker has no build cache.
 */
export function diskUsage(store: Store): UsageRow[] {
  const book = bookIds(store);
  const records = containers(store.paths, true);
  const used = new Set(records.map((c) => c.Image));
  const ids = storedImageIds(store).filter((id) => book.has(id) || used.has(id));
  const layerSize = new Map<string, number>();
  const activeLayers = new Set<string>();
  for (const id of ids) {
    const config = readJson<ImageConfig>(path.join(store.paths.image(id), 'config.json'));
    if (!config) continue;
    for (const c of chainIds(config.rootfs.diff_ids)) {
      if (!layerSize.has(c)) layerSize.set(c, store.layerMeta(c)?.size ?? 0);
      if (used.has(id)) activeLayers.add(c);
    }
  }
  let size = 0;
  let reclaimable = 0;
  for (const [c, n] of layerSize) {
    size += n;
    if (!activeLayers.has(c)) reclaimable += n;
  }
  // Volumes with driver options are mounts, not data here: left out, as dockerd does.
  const vols = new Volumes(store.paths).usage();
  let csize = 0;
  let creclaim = 0;
  let running = 0;
  for (const c of records) {
    // A layer treeSize cannot size is -1, and counts as that, as dockerd's sum counts it.
    const n = treeSize(c.GraphDriver.Data.UpperDir);
    csize += n;
    if (c.State.Running) running++;
    else creclaim += n;
  }
  return [
    { Type: 'Images', TotalCount: ids.length, Active: ids.filter((id) => used.has(id)).length, Size: size, Reclaimable: reclaimable },
    { Type: 'Containers', TotalCount: records.length, Active: running, Size: csize, Reclaimable: creclaim },
    // A volume treeSize cannot size (-1) is left out of the sums, as dockerd's leave it.
    { Type: 'Local Volumes', TotalCount: vols.length, Active: vols.filter((v) => v.used).length, Size: vols.reduce((n, v) => n + Math.max(v.size, 0), 0),
      Reclaimable: vols.filter((v) => !v.used).reduce((n, v) => n + Math.max(v.size, 0), 0) },
    { Type: 'Build Cache', TotalCount: 0, Active: 0, Size: 0, Reclaimable: 0 },
  ];
}

/** One image of `system df -v`: docker's ImageSummary sizes. */
export interface ImageUsage {
  /** the image's id, 'sha256:<hex>' */
  id: string;
  /** the first of its names, repo:tag; undefined for an image no name refers to */
  repoTag?: string;
  /** when it was made (its config's), RFC 3339 */
  created?: string;
  /** bytes of all its layers */
  size: number;
  /** bytes of its layers some other image of the store has too */
  shared: number;
  /** containers made from it */
  containers: number;
}

/** `system df -v`: what is behind each of diskUsage's rows. */
export interface VerboseUsage {
  /** the images docker lists (named, or used by a container), in the store's order */
  images: ImageUsage[];
  /** every container, with its writable layer's bytes and its image's */
  containers: Array<{ record: ContainerRecord; rw: number; rootfs: number }>;
  /** the local volumes (not those with driver options, which are mounts), with how many containers use each and its data's bytes */
  volumes: Array<{ volume: VolumeInfo; links: number; size: number }>;
}

/** `system df -v`: the items behind diskUsage's totals, as dockerd's /system/df lists them. */
export function diskUsageVerbose(store: Store): VerboseUsage {
  const book = bookIds(store);
  const records = containers(store.paths, true);
  const used = new Map<string, number>();
  for (const c of records) used.set(c.Image, (used.get(c.Image) ?? 0) + 1);
  const ids = storedImageIds(store).filter((id) => book.has(id) || used.has(id));
  const chainsOf = new Map<string, string[]>();
  const layerSize = new Map<string, number>();
  const holders = new Map<string, number>();
  for (const id of ids) {
    const config = readJson<ImageConfig>(path.join(store.paths.image(id), 'config.json'));
    if (!config) continue;
    const chains = chainIds(config.rootfs.diff_ids);
    chainsOf.set(id, chains);
    for (const c of new Set(chains)) {
      if (!layerSize.has(c)) layerSize.set(c, store.layerMeta(c)?.size ?? 0);
      holders.set(c, (holders.get(c) ?? 0) + 1);
    }
  }
  const images = ids.filter((id) => chainsOf.has(id)).map((id): ImageUsage => {
    const image = store.loadImage(id);
    const chains = [...new Set(chainsOf.get(id)!)];
    return {
      id,
      repoTag: image?.repoTags[0],
      created: image?.config.created,
      size: chains.reduce((n, c) => n + layerSize.get(c)!, 0),
      shared: chains.filter((c) => holders.get(c)! > 1).reduce((n, c) => n + layerSize.get(c)!, 0),
      containers: used.get(id) ?? 0,
    };
  });
  const imageSize = new Map(images.map((i) => [i.id, i.size]));
  const volumes = new Volumes(store.paths);
  return {
    images,
    containers: records.map((record) => {
      const rw = treeSize(record.GraphDriver.Data.UpperDir);
      const image = imageSize.get(record.Image) ?? 0;
      return { record, rw, rootfs: rw === -1 ? image : rw + image };
    }),
    volumes: volumes.usage().map((v) => ({ volume: v.volume, links: volumes.users(v.volume.Name).length, size: v.size })),
  };
}
