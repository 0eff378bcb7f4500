// tag, rmi, image inspect and history: the book-keeping side of images.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecords, type ImageUser } from '../store/records';
import { ConflictError, GockerError, InvalidOptionError, errorLine } from '../errors';
import { familiarRepo, familiarString, noSuchImage, parseAnyReference, parseReference } from '../name';
import { Store } from '../store';
import { collectGarbage } from './prune';
import { writeFileAtomic } from '../store/atomic';
import { hexOf } from '../store/paths';
import type { ImageRecord } from '../store/types';
import { imageEvent } from '../events';
import { matchKVList } from '../labels';
import { BadPatternError, globMatcher } from '../patterns';

const short = (id: string): string => hexOf(id).slice(0, 12);

/**
 * An image argument checked as docker checks one, before any lookup: a reference docker
 * refuses fails with its error (exit 1, as docker's image commands), worded by `wording`.
 * parse: how docker reads it (an id or a reference, or a reference only).
 */
export function checkImageArgument(name: string, wording = (msg: string): string => msg, parse: (s: string) => unknown = parseAnyReference): void {
  try {
    parse(name);
  } catch (e) {
    throw new GockerError(wording(errorLine(e)), { code: 'EINVALREF', exitCode: 1 });
  }
}

function mustResolve(store: Store, name: string): ImageRecord {
  checkImageArgument(name);
  const img = store.resolveImage(name);
  if (!img) throw noSuchImage(name);
  return img;
}

export async function tagImage(store: Store, source: string, target: string): Promise<void> {
  // docker's client checks both names before it asks for the image.
  const wording = (s: string) => (msg: string): string => `error parsing reference: "${s}" is not a valid repository/tag: ${msg}`;
  checkImageArgument(source, wording(source));
  checkImageArgument(target, wording(target), parseReference);
  const ref = parseReference(target);
  const img = mustResolve(store, source);
  if (ref.digest) throw new GockerError(`refusing to create a tag with a digest reference: ${target}`);
  await store.updateBook((book) => {
    (book[familiarRepo(ref)] ??= {})[ref.tag!] = img.id;
  });
  imageEvent(store.paths, 'tag', img.id, familiarString(ref));
}

/** Every name images.json gives an image: 'repo:tag', or 'repo@sha256:...' for one pulled by digest alone. */
function bookRefs(book: Record<string, Record<string, string>>, id: string): string[] {
  const out: string[] = [];
  for (const [repo, tags] of Object.entries(book)) {
    for (const [k, v] of Object.entries(tags)) if (v === id) out.push(k.startsWith('sha256:') ? `${repo}@${k}` : `${repo}:${k}`);
  }
  return out;
}

/** 'repo:tag' or 'repo@sha256:...' split at its separator. */
function splitRef(r: string): [string, string] {
  const at = r.indexOf('@');
  const i = at >= 0 ? at : r.lastIndexOf(':');
  return [r.slice(0, i), r.slice(i + 1)];
}

/**
 * docker rmi: removes one reference (a tag, or a digest reference `repo@sha256:...`);
 * deletes the image (and layers no other image uses) once it has no reference left.
 */
export async function removeImage(store: Store, name: string, force: boolean): Promise<string[]> {
  const img = mustResolve(store, name);
  const out: string[] = [];
  const users = readRecords<ImageUser>(store.paths).filter((c) => c.Image === img.id);
  const byId = hexOf(img.id).startsWith(name.replace(/^sha256:/, ''));
  const refs = bookRefs(store.readBook(), img.id);
  let untag: string[];
  if (!byId) {
    const ref = parseReference(name);
    const repo = familiarRepo(ref);
    // By digest the digest reference goes, never a tag the image also has.
    untag = [ref.digest ? `${repo}@${ref.digest}` : `${repo}:${ref.tag ?? 'latest'}`];
    // docker: the last tag of a repository takes that repository's digest references with it.
    const left = refs.filter((r) => !untag.includes(r) && splitRef(r)[0] === repo);
    if (!ref.digest && left.every((r) => r.includes('@'))) untag.push(...left);
  } else {
    if (new Set(refs.map((t) => splitRef(t)[0])).size > 1 && !force) {
      throw new ConflictError(`conflict: unable to delete ${short(img.id)} (must be forced) - image is referenced in multiple repositories`, { exitCode: 1 });
    }
    untag = refs;
  }
  const remaining = refs.filter((t) => !untag.includes(t));
  if (users.length && remaining.length === 0 && !force) {
    const what = byId ? short(img.id) : `repository reference "${name}"`;
    throw new ConflictError(`conflict: unable to ${byId ? 'delete' : 'remove'} ${what} (must force) - container ${users[0].Id.slice(0, 12)} is using its referenced image ${short(img.id)}`, { exitCode: 1 });
  }
  await store.updateBook((book) => {
    for (const t of untag) {
      const [repo, key] = splitRef(t);
      if (book[repo]?.[key] === img.id) delete book[repo][key];
    }
  });
  // The digests it was pulled by, of a repository it no longer has a name in, go too.
  const named = new Set(remaining.map((r) => splitRef(r)[0]));
  const digestsGone = img.repoDigests.filter((d) => untag.includes(d) || !named.has(splitRef(d)[0]));
  dropRepoDigests(store, img.id, digestsGone);
  out.push(...[...untag, ...digestsGone.filter((d) => !untag.includes(d))].map((t) => `Untagged: ${t}`));
  for (let i = 0; i < untag.length; i++) imageEvent(store.paths, 'untag', img.id, img.id);
  // An image a container still uses keeps its files (docker leaves it dangling); otherwise
  // it goes, with the layers and blobs no other image or container needs.
  if (remaining.length === 0 && users.length === 0) {
    const gone = await collectGarbage(store, [img.id]);
    out.push(...gone.images.map((i) => `Deleted: ${i}`), ...gone.layers.map((l) => `Deleted: ${l}`));
    for (const i of gone.images) imageEvent(store.paths, 'delete', i, i);
  }
  return out;
}

/** The image's recorded RepoDigests (repodigests.json, written by the store on pull) less some. */
function dropRepoDigests(store: Store, id: string, drop: string[]): void {
  const file = path.join(store.paths.image(id), 'repodigests.json');
  let list: string[];
  try {
    list = JSON.parse(fs.readFileSync(file, 'utf8')) as string[];
  } catch {
    return;
  }
  const kept = list.filter((d) => !drop.includes(d));
  if (kept.length !== list.length) writeFileAtomic(file, JSON.stringify(kept));
}

/** One row of `docker images`: a name of an image (or `<none>`), with the image. */
export interface ImageRow {
  /** the repository as docker shows it ('busybox', 'localhost:5000/app'), or '<none>' */
  repository: string;
  /** the tag, or '<none>' for a row of a digest or of an image with no name */
  tag: string;
  /** the repository's digest of the image ('sha256:...') when digests were asked for and there is one, else '<none>' */
  digest: string;
  /** the image the row names */
  image: ImageRecord;
}

/** What `docker images` takes: Gocker.imageRows's options. */
export interface ListImagesOptions {
  /** docker's --filter, each key's values: before, since and until, dangling, label, reference (a glob of names) */
  filters?: Record<string, string[]>;
  /** docker's REPOSITORY[:TAG] argument: a glob (`*`, `?`, `[...]`) names are matched against, one more reference= */
  reference?: string;
  /** a row for each digest a repository knows the image by (docker's --digests), with it in `digest` */
  digests?: boolean;
}

/** docker's REPOSITORY[:TAG] glob (Go's path.Match), its error in path.Match's words. */
function glob(pattern: string): (name: string) => boolean {
  try {
    return globMatcher(pattern);
  } catch (e) {
    if (e instanceof BadPatternError) throw new GockerError(e.message);
    throw e;
  }
}

const IMAGE_FILTERS = ['before', 'dangling', 'label', 'reference', 'since', 'until'];

export interface ImageFilter {
  /** dangling=: untagged images only (true), named ones only (false) */
  dangling?: boolean;
  /** reference= glob patterns: names any of them matches */
  references: string[];
  /** before=, since=, until=, label= */
  test(i: ImageRecord): boolean;
}

/**
 * `images --filter` values as dockerd takes them: a key it does not know, a dangling= that is
 * no boolean, an image before= or since= names that is not there are refused in its words.
 */
export function imageFilter(store: Store, values: string[], now = Date.now()): ImageFilter {
  const invalid = (msg: string): GockerError => new InvalidOptionError('filters', msg, { exitCode: 1 });
  const f = new Map<string, string[]>();
  for (const v of values) {
    const i = v.indexOf('=');
    const key = v.slice(0, i).trim().toLowerCase();
    if (!IMAGE_FILTERS.includes(key)) throw invalid(`invalid filter '${key}'`);
    f.set(key, [...(f.get(key) ?? []), v.slice(i + 1)]);
  }
  const out: ImageFilter = { references: f.get('reference') ?? [], test: () => true };
  for (const d of f.get('dangling') ?? []) {
    if (!/^(true|false|1|0)$/i.test(d)) throw invalid(`invalid filter 'dangling=${d}'`);
    out.dangling = /^(true|1)$/i.test(d);
  }
  const created = (i: ImageRecord): number => (i.config.created ? Date.parse(i.config.created) || 0 : 0);
  const at = (k: string): number | undefined => {
    const v = f.get(k);
    if (!v?.length) return undefined;
    const image = store.resolveImage(v[v.length - 1]);
    if (!image) throw noSuchImage(v[v.length - 1]);
    return created(image);
  };
  const before = at('before');
  const since = at('since');
  let until: number | undefined;
  for (const u of f.get('until') ?? []) {
    const { parseTime } = require('../time') as typeof import('../time');
    try {
      until = parseTime(u, 'until', now);
    } catch {
      throw invalid(`failed to parse value as time or duration: ${JSON.stringify(u)}`);
    }
  }
  const labels = f.get('label') ?? [];
  out.test = (image) => {
    const c = created(image);
    if (before !== undefined && !(c < before)) return false;
    if (since !== undefined && !(c > since)) return false;
    if (until !== undefined && !(c < until)) return false;
    // Every label= must hold.
    return matchKVList(labels, image.config.config?.Labels ?? {});
  };
  return out;
}

/**
 * The rows of `docker images`: one per repo:tag (with that repository's digest when asked),
 * one `repo <none>` per repository the image is known by digest alone, `<none> <none>` for
 * an image with no name; newest image first. `filter` is docker's REPOSITORY[:TAG] argument:
 * a pattern each name is matched against, as `repo:tag` (or `repo@digest`) or as `repo`;
 * names that do not match are left out, and images with none that do.
 */
export function imageRows(store: Store, images: ImageRecord[], opts: { digests?: boolean; filter?: string | string[] } = {}): ImageRow[] {
  // Several patterns (the positional and reference= filters): a name any of them matches.
  const patterns = opts.filter === undefined ? [] : ([] as string[]).concat(opts.filter).map(glob);
  const pattern = patterns.length ? patterns : undefined;
  const matches = (ref: string): boolean => !pattern || pattern.some((p) => p(ref) || p(splitRef(ref)[0]));
  const book = store.readBook();
  const created = (i: ImageRecord): number => (i.config.created ? Date.parse(i.config.created) || 0 : 0);
  const rows: ImageRow[] = [];
  for (const image of [...images].sort((a, b) => created(b) - created(a))) {
    const refs = bookRefs(book, image.id);
    const tagged = new Set(refs.filter((r) => !r.includes('@')).map((r) => splitRef(r)[0]));
    // Digests the image was pulled by count for a repository it still has a name in.
    const digestRefs = [...new Set([...refs.filter((r) => r.includes('@')), ...image.repoDigests.filter((d) => refs.some((r) => splitRef(r)[0] === splitRef(d)[0]))])];
    const tags = new Map<string, string[]>();
    const digests = new Map<string, string[]>();
    const add = (m: Map<string, string[]>, r: string): void => {
      const [repo, key] = splitRef(r);
      m.set(repo, [...(m.get(repo) ?? []), key]);
    };
    for (const r of refs) if (!r.includes('@') && matches(r)) add(tags, r);
    for (const r of digestRefs) if (matches(r)) add(digests, r);
    if (refs.length === 0) {
      if (!pattern) rows.push({ repository: '<none>', tag: '<none>', digest: '<none>', image });
      continue;
    }
    for (const [repo, ts] of tags) {
      const ds = opts.digests ? digests.get(repo) ?? [] : [];
      for (const tag of ts) {
        if (ds.length === 0) rows.push({ repository: repo, tag, digest: '<none>', image });
        for (const digest of ds) rows.push({ repository: repo, tag, digest, image });
      }
    }
    for (const [repo, ds] of digests) {
      if (tagged.has(repo)) continue;
      if (opts.digests) for (const digest of ds) rows.push({ repository: repo, tag: '<none>', digest, image });
      else rows.push({ repository: repo, tag: '<none>', digest: '<none>', image });
    }
  }
  return rows;
}

export function inspectImage(store: Store, name: string): Record<string, unknown> {
  const img = mustResolve(store, name);
  const c = img.config;
  const top = img.layers[img.layers.length - 1];
  return {
    Id: img.id,
    RepoTags: img.repoTags,
    RepoDigests: img.repoDigests,
    Parent: '',
    Comment: c.history?.[c.history.length - 1]?.comment ?? '',
    Created: c.created ?? '',
    Author: c.author ?? '',
    Config: c.config ?? {},
    Architecture: c.architecture ?? '',
    Variant: c.variant,
    Os: c.os ?? '',
    Size: img.layers.reduce((n, l) => n + l.size, 0),
    GraphDriver: store.paths.driver === 'vfs' ? { Name: 'vfs', Data: { Dir: top?.dir } } : {
      Name: 'overlay2',
      Data: {
        LowerDir: img.layers.slice(0, -1).reverse().map((l) => l.dir).join(':') || undefined,
        UpperDir: top?.dir,
        WorkDir: top ? path.join(path.dirname(top.dir), 'work') : undefined,
      },
    },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

/** One row of `docker history`: a step of the image's build, newest first. */
export interface HistoryRow {
  /** the image's id on the newest row, '<missing>' on the others (as docker without a build cache) */
  id: string;
  /** when the step ran, RFC 3339 */
  created: string;
  /** the instruction that made it */
  createdBy: string;
  /** bytes its layer adds; 0 for a step without one (ENV, CMD, ...) */
  size: number;
  /** the step's comment (import's -m, commit's -m) */
  comment: string;
}

/** Newest first, as docker history; empty layers (ENV, CMD) have size 0. */
export function imageHistory(store: Store, name: string): HistoryRow[] {
  const img = mustResolve(store, name);
  const hist = img.config.history ?? img.layers.map(() => ({}));
  let li = 0;
  const rows = hist.map((h, i): HistoryRow => {
    const layer = (h as { empty_layer?: boolean }).empty_layer ? undefined : img.layers[li++];
    return { id: i === hist.length - 1 ? img.id : '<missing>', created: (h as { created?: string }).created ?? '', createdBy: (h as { created_by?: string }).created_by ?? '', size: layer?.size ?? 0, comment: (h as { comment?: string }).comment ?? '' };
  });
  return rows.reverse();
}

export { familiarString };
