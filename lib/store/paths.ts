// The on-disk layout, in one place. Under root (persistent):
//   blobs/<alg>/<hex>             content-addressed blobs (compressed layers, configs, manifests);
//                                 <alg> is sha256, sha384 or sha512
//   layers/<chain-hex>/           one dir per layer, by chain id: diff/ (the tree), meta.json (chain id,
//                                 diff_id, parent, short link name, size; checked when read back)
//   l/<short>                     overlay2-style short links -> ../layers/<chain-hex>/diff
//   images/images.json            repo -> tag -> image id (config digest)
//   images/<image-hex>/           manifest.json, config.json
//   containers/<id>/              config.v2.json (the record), upper/, work/, logs
//   tmp/                          work in progress; anything here after a crash is garbage, but
//                                 upload-<hash>.json: where an interrupted push's upload stands
// Under runroot (dies with the machine):
//   containers/<id>/              pid, monitor socket, merged/ mount point
//   locks/
import * as path from 'node:path';
import { GockerError } from '../errors';
import { DIGEST_HEX_LENGTH, isDigest, isSha256Digest, quoteInput, splitDigest, type DigestAlgorithm } from '../name/digest';
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
  /**
   * The engine's process takes its containers' exits from their monitors while it lives
   * (GockerOptions.exitHandoff): set by the library's engine, never by the CLI's nor by the
   * exit command's.
   */
  exitHandoff = false;

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

  // Every helper that turns a digest into a path checks it first and throws otherwise: a
  // digest is input (an archive, a registry, a file of the store read back), and
  // 'sha256:../../etc' joined onto a directory is a host path. The check is a regular
  // expression, cheap beside the file operation that follows.
  blob(digest: string): string {
    const { algorithm, hex } = splitDigest(digest);
    return `${this.blobDir(algorithm)}/${hex}`;
  }
  /** blobs/<alg>: the blobs of one digest algorithm. */
  blobDir(algorithm: DigestAlgorithm): string {
    return algorithm === 'sha256' ? this.blobs : path.join(this.root, 'blobs', algorithm);
  }
  /** Layers are keyed by chain id, always a sha256 (of the diff_ids, themselves sha256). */
  layer(chainId: string): string { return `${this.layers}/${sha256Hex(chainId, 'layer')}`; }
  /** Image ids are the sha256 of the config. */
  image(imageId: string): string { return `${this.images}/${sha256Hex(imageId, 'image')}`; }
  container(id: string): string { return `${this.containers}/${id}`; }
  runContainer(id: string): string { return `${this.runContainers}/${id}`; }
  lock(name: string): string { return `${this.locks}/${name}.lock`; }
}

/** 'sha256:abc' -> 'abc'; a bare hex of a known length stays as it is. Anything else throws. */
export function hexOf(digest: string): string {
  if (isDigest(digest)) return digest.slice(digest.indexOf(':') + 1);
  if (typeof digest === 'string' && (Object.keys(DIGEST_HEX_LENGTH) as DigestAlgorithm[]).some((alg) => isDigest(`${alg}:${digest}`))) return digest;
  throw new GockerError(`refusing to use ${quoteInput(digest)} as a digest: not a sha256, sha384 or sha512 digest`, { code: 'EDIGEST', exitCode: 125 });
}

/** A layer's overlay2-style short link, its name under l/: the chain id's first 20 hex digits. */
export function shortLink(chainId: string): string {
  return hexOf(chainId).slice(0, 20);
}

function sha256Hex(id: string, what: string): string {
  if (!isSha256Digest(id)) throw new GockerError(`refusing to use ${quoteInput(id)} as ${what === 'image' ? 'an' : 'a'} ${what} id: not a sha256 digest`, { code: 'EDIGEST', exitCode: 125 });
  return id.slice(7);
}
