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
  // The fixed directories are joined once; an id or digest is then appended as it is (hex, no
  // separator): a container's start asks for these paths dozens of times.
  readonly blobs: string;
  readonly layers: string;
  readonly links: string;
  readonly images: string;
  readonly imagesJson: string;
  readonly containers: string;
  readonly runContainers: string;
  readonly tmp: string;
  readonly locks: string;

  constructor(readonly root: string, readonly runroot: string, readonly driver: StorageDriver = 'overlay2') {
    this.blobs = path.join(root, 'blobs', 'sha256');
    this.layers = path.join(root, 'layers');
    this.links = path.join(root, 'l');
    this.images = path.join(root, 'images');
    this.imagesJson = path.join(this.images, 'images.json');
    this.containers = path.join(root, 'containers');
    this.runContainers = path.join(runroot, 'containers');
    this.tmp = path.join(root, 'tmp');
    this.locks = path.join(runroot, 'locks');
  }

  /** A driver's own store: overlay2 at the roots themselves, vfs under ROOT/vfs and RUNROOT/vfs. */
  static forDriver(root: string, runroot: string, driver: StorageDriver): StorePaths {
    return driver === 'vfs' ? new StorePaths(path.join(root, 'vfs'), path.join(runroot, 'vfs'), driver) : new StorePaths(root, runroot, driver);
  }

  blob(digest: string): string { return `${this.blobs}/${hexOf(digest)}`; }
  layer(chainId: string): string { return `${this.layers}/${hexOf(chainId)}`; }
  image(imageId: string): string { return `${this.images}/${hexOf(imageId)}`; }
  container(id: string): string { return `${this.containers}/${id}`; }
  runContainer(id: string): string { return `${this.runContainers}/${id}`; }
  lock(name: string): string { return `${this.locks}/${name}.lock`; }
}

/** 'sha256:abc' -> 'abc'; a bare hex stays as it is. */
export function hexOf(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 ? digest.slice(i + 1) : digest;
}
