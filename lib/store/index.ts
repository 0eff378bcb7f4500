// The image store: blobs by digest, layers by chain id (each stored once, shared by every
// image that has it), images.json as the book of what is installed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, isErrno } from '../errors';
import type { ImageConfig, ImageRecord, LayerRecord } from './types';
import { applyLayerFile, type WhiteoutMode } from '../layer';
import { familiarRepo, isTag, parseAnyReference, parseReference, type Reference } from '../name';
import { isDigest, isSha256Digest, quoteInput, validateDigest } from '../name/digest';
import { native } from '../native';
import { tryExclusiveLock, withLock, writeFileAtomic } from './atomic';
import { StorePaths, hexOf, shortLink } from './paths';
import { secureStore } from './perms';

/** repo -> tag -> image id, as the seeds' images.json. Tags include 'latest'. */
export type ImagesBook = Record<string, Record<string, string>>;

export interface LayerMeta {
  chainId: string;
  diffId: string;
  parent: string | null;
  size: number;
  link: string;
}

export interface LayerSource {
  /** a file holding the layer blob (compressed or not) */
  file: string;
  mediaType?: string;
  /** the config's diff_id for it, verified while extracting; unknown for `import` */
  diffId?: string;
  onProgress?: (bytes: number) => void;
}

/**
 * Chain ids, which name layer directories. The diff_ids are checked here too (sha256 only:
 * the extractor verifies a layer's diff_id as a sha256), so a caller that forgot to validate
 * a config still cannot turn 'sha256:../..' into a path; callers at the boundary validate
 * first with a message that says where the digest came from.
 */
export function chainIds(diffIds: readonly string[], where = 'rootfs.diff_ids'): string[] {
  if (!Array.isArray(diffIds)) throw new GockerError(`${where}: not a list`, { code: 'EDIGEST' });
  const out: string[] = [];
  for (const [i, d] of diffIds.entries()) {
    validateDigest(d, `${where}[${i}]`, { sha256Only: true });
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${native().sha256(`${prev} ${d}`)}`);
  }
  return out;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${native().sha256(data)}`;
}

export class Store {
  constructor(readonly paths: StorePaths) {
    secureStore(paths);
  }

  readBook(): ImagesBook {
    let book: unknown;
    try {
      book = JSON.parse(fs.readFileSync(this.paths.imagesJson, 'utf8'));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return {};
      throw new GockerError(`images.json is unreadable: ${(e as Error).message}`, { cause: e });
    }
    return checkBook(book, this.paths.imagesJson);
  }

  /** Changes images.json under the store lock; the write is atomic. */
  async updateBook(change: (book: ImagesBook) => void): Promise<void> {
    await withLock(this.paths.lock('images'), () => {
      const book = this.readBook();
      change(book);
      for (const [repo, tags] of Object.entries(book)) if (Object.keys(tags).length === 0) delete book[repo];
      writeFileAtomic(this.paths.imagesJson, `${JSON.stringify(book, null, 2)}\n`);
    });
  }

  /**
   * Anything that adds layers and then registers an image holds the gc lock shared for the
   * whole sequence; garbage collection (rmi, image prune) holds it exclusively. Otherwise a
   * collector would see a pull's stored-but-unregistered layers as garbage, or delete a
   * layer a pull has just found "already exists".
   */
  adding<T>(fn: () => Promise<T>): Promise<T> {
    this.sweepTmp();
    return withLock(this.paths.lock('gc'), fn, true);
  }

  collecting<T>(fn: () => Promise<T> | T): Promise<T> {
    return withLock(this.paths.lock('gc'), () => {
      this.sweepTmpLocked();
      return fn();
    });
  }

  /** An image by name ('alpine', 'repo:tag', 'name@sha256:') or id (full, 'sha256:...', or a unique prefix). */
  resolveImage(nameOrId: string): ImageRecord | undefined {
    // images.json read once: a run reads nothing else of the other images.
    const book = this.readBook();
    const id = this.resolveId(nameOrId, book);
    return id === undefined ? undefined : this.loadImage(id, book);
  }

  resolveId(nameOrId: string, book: ImagesBook = this.readBook()): string | undefined {
    const ids = new Set<string>();
    for (const tags of Object.values(book)) for (const id of Object.values(tags)) ids.add(id);
    const hex = nameOrId.startsWith('sha256:') ? nameOrId.slice(7) : nameOrId;
    if (/^[0-9a-f]{1,64}$/.test(hex)) {
      const matches = [...ids].filter((id) => hexOf(id).startsWith(hex));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1 && hex.length < 64) {
        throw new GockerError(`Error response from daemon: multiple IDs found with provided prefix: ${hex}`);
      }
      if (nameOrId.startsWith('sha256:')) return undefined;
    }
    // A reference docker would refuse fails here with docker's error, not as "no such image".
    const ref = parseAnyReference(nameOrId);
    if (!ref) return undefined;
    const tags = book[familiarRepo(ref)];
    if (!tags) return undefined;
    if (ref.digest) {
      if (tags[ref.digest]) return tags[ref.digest];
      const want = `${familiarRepo(ref)}@${ref.digest}`;
      const ids = new Set(Object.values(tags));
      for (const id of ids) if (this.repoDigestsOf(id).includes(want) || this.manifestDigestOf(id) === ref.digest) return id;
      return undefined;
    }
    return tags[ref.tag ?? 'latest'];
  }

  private repoDigestsOf(id: string): string[] {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.paths.image(id), 'repodigests.json'), 'utf8')) as string[];
    } catch {
      return [];
    }
  }

  private manifestDigestOf(id: string): string | undefined {
    try {
      return sha256(fs.readFileSync(path.join(this.paths.image(id), 'manifest.json')));
    } catch {
      return undefined;
    }
  }

  loadImage(id: string, book: ImagesBook = this.readBook()): ImageRecord | undefined {
    validateDigest(id, 'image id', { sha256Only: true });
    let config: ImageConfig;
    try {
      config = JSON.parse(fs.readFileSync(path.join(this.paths.image(id), 'config.json'), 'utf8')) as ImageConfig;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
    const repoTags: string[] = [];
    for (const [repo, tags] of Object.entries(book)) {
      for (const [tag, tid] of Object.entries(tags)) if (tid === id && !tag.startsWith('sha256:')) repoTags.push(`${repo}:${tag}`);
    }
    // The config read back is input like any other: its diff_ids become layer paths.
    const layers = chainIds(config?.rootfs?.diff_ids, `image ${hexOf(id).slice(0, 12)}: config.json: rootfs.diff_ids`).map((chainId, i): LayerRecord => {
      const meta = this.layerMeta(chainId);
      if (!meta) throw new GockerError(`image ${hexOf(id).slice(0, 12)} is missing layer ${chainId}: pull it again`);
      return { chainId, diffId: config.rootfs.diff_ids[i], dir: path.join(this.paths.layer(chainId), 'diff'), link: meta.link, size: meta.size };
    });
    let repoDigests: string[] = [];
    try {
      repoDigests = JSON.parse(fs.readFileSync(path.join(this.paths.image(id), 'repodigests.json'), 'utf8')) as string[];
    } catch {
      /* none: imported or loaded */
    }
    return { id, repoTags, repoDigests, config, layers };
  }

  layerMeta(chainId: string): LayerMeta | undefined {
    const file = path.join(this.paths.layer(chainId), 'meta.json');
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      if (e instanceof SyntaxError) throw corruptMeta(file, 'not valid JSON');
      throw e;
    }
    return checkLayerMeta(raw, chainId, file);
  }

  listImages(): ImageRecord[] {
    const book = this.readBook();
    const ids = new Set<string>();
    for (const tags of Object.values(book)) for (const id of Object.values(tags)) ids.add(id);
    return [...ids].map((id) => this.loadImage(id, book)).filter((r): r is ImageRecord => r !== undefined);
  }

  /**
   * Stores a layer under its chain id unless it is there already. Extraction happens in
   * tmp/ and the finished directory is renamed into place, so a crash leaves nothing
   * visible; when two processes race, the first rename wins and the other's copy is dropped.
   */
  async addLayer(parent: string | null, src: LayerSource, whiteouts: WhiteoutMode = 'overlay'): Promise<LayerMeta> {
    if (parent !== null) validateDigest(parent, 'parent layer', { sha256Only: true });
    if (src.diffId !== undefined) validateDigest(src.diffId, 'layer diff_id', { sha256Only: true });
    if (src.diffId) {
      const existing = this.layerMeta(parent === null ? src.diffId : chainIds([parent, src.diffId])[1]);
      if (existing) {
        this.ensureLink(existing);
        return existing;
      }
    }
    fs.mkdirSync(this.paths.tmp, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(this.paths.tmp, 'layer-'));
    try {
      const diff = path.join(tmp, 'diff');
      if (this.paths.driver === 'vfs' && parent !== null) {
        // vfs: the parent's whole tree first (shared extents where the filesystem allows),
        // then this layer applied onto it with whiteouts deleting.
        await native().copyTree('/', path.join(this.paths.layer(parent), 'diff'), '/', diff, -1, -1);
      } else {
        fs.mkdirSync(diff, { mode: 0o755 });
      }
      // overlay: the layers below, top first, for the directories this one needs but does not describe.
      const lowerDirs: string[] = [];
      for (let id = parent; id !== null && lowerDirs.length < 128; id = this.layerMeta(id)?.parent ?? null) lowerDirs.push(path.join(this.paths.layer(id), 'diff'));
      let r: Awaited<ReturnType<typeof applyLayerFile>>;
      try {
        r = await applyLayerFile(src.file, diff, { mediaType: src.mediaType, diffId: src.diffId, whiteouts: this.paths.driver === 'vfs' ? 'delete' : whiteouts, onProgress: src.onProgress, lowerDirs });
      } catch (e) {
        // docker's wording; the extractor's own message names only the path inside the layer
        if (isErrno(e, 'ENOSPC') || isErrno(e, 'EDQUOT')) {
          throw new GockerError(`failed to register layer: write ${(e as NodeJS.ErrnoException).path ?? diff}: ${e.code === 'ENOSPC' ? 'no space left on device' : 'disk quota exceeded'}`, { code: e.code, cause: e });
        }
        throw e;
      }
      const chainId = parent === null ? r.diffId : chainIds([parent, r.diffId])[1];
      // overlay2-style short link: keeps the lowerdir option of a 60-layer image under a page.
      const link = shortLink(chainId);
      const meta: LayerMeta = { chainId, diffId: r.diffId, parent, size: r.size, link };
      fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(meta));
      fs.mkdirSync(this.paths.layers, { recursive: true });
      // The short link before the rename: dangling until then, which nothing minds, so a
      // crash can never leave a stored layer without its link.
      this.ensureLink(meta);
      try {
        fs.renameSync(tmp, this.paths.layer(chainId));
      } catch (e) {
        if (!isErrno(e, 'ENOTEMPTY') && !isErrno(e, 'EEXIST')) throw e;
        return this.layerMeta(chainId)!; // another process stored it first
      }
      return meta;
    } finally {
      // A layer's tree (left here when another process stored it first, or by a failed
      // extraction) can be as deep as a container nests its directories: not fs.rmSync's
      // recursive walk, which overflows the stack there.
      native().removeTreeSync(tmp);
    }
  }

  /**
   * The layer's short link l/<link> -> ../layers/<chain>/diff, made if missing: layers stored
   * by an older gocker, or by one killed between the two steps, get theirs back here.
   */
  ensureLink(meta: LayerMeta): void {
    // meta may come from disk: its link and chain id name the symlink and its target.
    checkLayerMeta(meta, meta?.chainId, 'layer metadata');
    const linkPath = path.join(this.paths.links, meta.link);
    const target = path.join('..', 'layers', hexOf(meta.chainId), 'diff');
    try {
      if (fs.readlinkSync(linkPath) === target) return;
      fs.rmSync(linkPath, { force: true }); // pointing elsewhere: 20 hex digits do not collide, so a torn write
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    fs.mkdirSync(this.paths.links, { recursive: true });
    try {
      fs.symlinkSync(target, linkPath);
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e; // made by a concurrent command, with the same target
    }
  }

  /** Moves a verified file into blobs/ under its digest (kept for save and push). */
  putBlobFile(file: string, digest: string): void {
    const dest = this.paths.blob(digest);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(file, dest);
  }

  /** Copies a file into blobs/ (the caller has verified its digest). */
  putBlobCopy(file: string, digest: string): void {
    const dest = this.paths.blob(digest);
    if (fs.existsSync(dest)) return;
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.${process.pid}.tmp`;
    fs.copyFileSync(file, tmp);
    fs.renameSync(tmp, dest);
  }

  putBlob(data: Buffer): string {
    const digest = sha256(data);
    const file = this.paths.blob(digest);
    if (!fs.existsSync(file)) writeFileAtomic(file, data);
    return digest;
  }

  /**
   * Records an image whose layers are all stored: its config and manifest first, then the
   * images.json entry, so a reader never finds a name whose image is incomplete.
   */
  async registerImage(config: Buffer, manifest: Buffer, names: Reference[], repoDigest?: string): Promise<string> {
    const id = sha256(config);
    const parsed = JSON.parse(config.toString('utf8')) as ImageConfig;
    for (const chainId of chainIds(parsed?.rootfs?.diff_ids, 'image config: rootfs.diff_ids')) {
      if (!this.layerMeta(chainId)) throw new GockerError(`cannot register image ${id}: layer ${chainId} is not stored`);
    }
    const dir = this.paths.image(id);
    writeFileAtomic(path.join(dir, 'config.json'), config);
    writeFileAtomic(path.join(dir, 'manifest.json'), manifest);
    if (repoDigest) {
      const file = path.join(dir, 'repodigests.json');
      let list: string[] = [];
      try {
        list = JSON.parse(fs.readFileSync(file, 'utf8')) as string[];
      } catch {
        /* first one */
      }
      if (!list.includes(repoDigest)) writeFileAtomic(file, JSON.stringify([...list, repoDigest]));
    }
    if (names.length) {
      await this.updateBook((book) => {
        for (const ref of names) {
          // Pulled by digest alone: kept under the digest, shown as <none> (as docker does).
          const key = ref.tag ?? ref.digest;
          if (key) (book[familiarRepo(ref)] ??= {})[key] = id;
        }
      });
    }
    return id;
  }

  /**
   * Removes what crashed commands left in tmp/, but only when no other command is adding to
   * the store or collecting from it (the gc lock is free): an entry's age says nothing about
   * whether a concurrent pull is still downloading into it. Called by adding() before it takes
   * the lock shared; a no-op when the lock is held, by others or by this process.
   */
  sweepTmp(): void {
    const release = tryExclusiveLock(this.paths.lock('gc'));
    if (!release) return;
    try {
      this.sweepTmpLocked();
    } finally {
      release();
    }
  }

  /** The caller holds the gc lock exclusively. */
  private sweepTmpLocked(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.paths.tmp);
    } catch {
      return;
    }
    // Entries of commands that add to the store hold the gc lock while they exist, so with
    // it held here they are a dead command's. `save` and the overlay probe work in tmp/
    // without it: theirs go only when a day old.
    const cutoff = Date.now() - 24 * 3600_000;
    for (const n of names) {
      const p = path.join(this.paths.tmp, n);
      try {
        if (ADDERS.test(n) || fs.lstatSync(p).mtimeMs < cutoff) native().removeTreeSync(p); // a dead command's layer tree, as deep as it was
      } catch {
        /* gone already */
      }
    }
  }
}

function corruptMeta(file: string, why: string): GockerError {
  return new GockerError(`layer metadata ${file} is corrupt: ${why}`, { code: 'ECORRUPT', exitCode: 125 });
}

/**
 * meta.json read back from disk, checked field by field before any of it becomes a path:
 * its chain id must be the directory it sits in, its link exactly the one gocker makes
 * (the first 20 hex digits of the chain id), its parent and diff_id sha256 digests. A
 * tampered file (or one a layer's own contents planted, reached through a bad diff_id)
 * must not make ensureLink create or remove a symlink elsewhere.
 */
function checkLayerMeta(raw: unknown, chainId: string, file: string): LayerMeta {
  const m = raw as Partial<LayerMeta> | null;
  if (typeof m !== 'object' || m === null) throw corruptMeta(file, 'not an object');
  if (!isSha256Digest(m.chainId) || m.chainId !== chainId) throw corruptMeta(file, `chainId ${quoteInput(m.chainId)} is not ${quoteInput(chainId)}`);
  if (!isSha256Digest(m.diffId)) throw corruptMeta(file, `diffId ${quoteInput(m.diffId)} is not a sha256 digest`);
  if (m.parent !== null && !isSha256Digest(m.parent)) throw corruptMeta(file, `parent ${quoteInput(m.parent)} is not a sha256 digest`);
  if (m.link !== shortLink(m.chainId)) throw corruptMeta(file, `link ${quoteInput(m.link)} is not the short form of its chain id`);
  if (typeof m.size !== 'number' || !Number.isSafeInteger(m.size) || m.size < 0) throw corruptMeta(file, `size ${quoteInput(m.size)} is not a byte count`);
  return m as LayerMeta;
}

/**
 * images.json read back: repo -> tag -> image id, where a tag is a docker tag or a digest
 * (an image pulled by digest alone) and an id is a sha256 digest. The ids become paths
 * (images/<hex>, removed recursively by rmi), so a bad one fails the command here.
 */
function checkBook(raw: unknown, file: string): ImagesBook {
  const bad = (why: string): GockerError => new GockerError(`${file} is corrupt: ${why}`, { code: 'ECORRUPT', exitCode: 125 });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('not an object');
  for (const [repo, tags] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) throw bad(`${quoteInput(repo)} is not an object`);
    for (const [tag, id] of Object.entries(tags as Record<string, unknown>)) {
      if (!isSha256Digest(id)) throw bad(`image id ${quoteInput(id)} of ${quoteInput(`${repo}:${tag}`)} is not a sha256 digest`);
      if (!isTag(tag) && !isDigest(tag)) throw bad(`${quoteInput(tag)} of ${quoteInput(repo)} is neither a tag nor a digest`);
    }
  }
  return raw as ImagesBook;
}

/**
 * tmp/ entries of the commands that run under Store.adding. push's upload-*.json (an upload to
 * continue) are not among them: they outlive their command, and go when a day old.
 */
const ADDERS = /^(pull|layer|import|load|commit|push)-/;
