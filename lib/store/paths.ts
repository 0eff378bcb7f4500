// The on-disk layout, in one place. Under root (persistent):
//   blobs/sha256/<hex>            content-addressed blobs (compressed layers, configs, manifests)
//   layers/<chain-hex>/           one dir per layer, by chain id: diff/ (the tree), link, lower, meta.json
//   l/<short>                     overlay2-style short links -> ../layers/<chain-hex>/diff
//   images/images.json            repo -> tag -> image id (config digest)
//   images/<image-hex>/           manifest.json, config.json
//   containers/<id>/              config.v2.json (the record), upper/, work/, logs
//   tmp/                          work in progress; anything here after a crash is garbage
// Under runroot (dies with the machine):
//   containers/<id>/              pid, monitor socket, merged/ mount point
//   locks/
import * as path from 'node:path';
import type { StorageDriver } from '../options';

export class StorePaths {
  constructor(readonly root: string, readonly runroot: string, readonly driver: StorageDriver = 'overlay2') {}

  /** A driver's own store: overlay2 at the roots themselves, vfs under ROOT/vfs and RUNROOT/vfs. */
  static forDriver(root: string, runroot: string, driver: StorageDriver): StorePaths {
    return driver === 'vfs' ? new StorePaths(path.join(root, 'vfs'), path.join(runroot, 'vfs'), driver) : new StorePaths(root, runroot, driver);
  }

  get blobs(): string { return path.join(this.root, 'blobs', 'sha256'); }
  blob(digest: string): string { return path.join(this.blobs, hexOf(digest)); }

  get layers(): string { return path.join(this.root, 'layers'); }
  layer(chainId: string): string { return path.join(this.layers, hexOf(chainId)); }
  get links(): string { return path.join(this.root, 'l'); }

  get images(): string { return path.join(this.root, 'images'); }
  get imagesJson(): string { return path.join(this.images, 'images.json'); }
  image(imageId: string): string { return path.join(this.images, hexOf(imageId)); }

  get containers(): string { return path.join(this.root, 'containers'); }
  container(id: string): string { return path.join(this.containers, id); }
  get runContainers(): string { return path.join(this.runroot, 'containers'); }
  runContainer(id: string): string { return path.join(this.runContainers, id); }

  get tmp(): string { return path.join(this.root, 'tmp'); }
  get locks(): string { return path.join(this.runroot, 'locks'); }
  lock(name: string): string { return path.join(this.locks, `${name}.lock`); }
}

/** 'sha256:abc' -> 'abc'; a bare hex stays as it is. */
export function hexOf(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 ? digest.slice(i + 1) : digest;
}
