// tag, rmi, image inspect and history: the book-keeping side of images.
import * as path from 'node:path';
import { listRecords } from '../container/state';
import { GockerError } from '../errors';
import { familiarRepo, familiarString, parseReference } from '../name';
import { Store } from '../store';
import { collectGarbage } from './prune';
import { hexOf } from '../store/paths';
import type { ImageRecord } from './types';

const short = (id: string): string => hexOf(id).slice(0, 12);

function mustResolve(store: Store, name: string): ImageRecord {
  const img = store.resolveImage(name);
  if (!img) throw new GockerError(`No such image: ${name}`, { code: 'ENOIMAGE', exitCode: 1 });
  return img;
}

export async function tagImage(store: Store, source: string, target: string): Promise<void> {
  const img = mustResolve(store, source);
  const ref = parseReference(target);
  if (ref.digest) throw new GockerError(`refusing to create a tag with a digest reference: ${target}`);
  await store.updateBook((book) => {
    (book[familiarRepo(ref)] ??= {})[ref.tag!] = img.id;
  });
}

/** docker rmi: untags a name; deletes the image (and layers no other image uses) once it has no name left. */
export async function removeImage(store: Store, name: string, force: boolean): Promise<string[]> {
  const img = mustResolve(store, name);
  const out: string[] = [];
  const users = listRecords(store.paths).filter((c) => c.Image === img.id);
  const byId = hexOf(img.id).startsWith(name.replace(/^sha256:/, ''));
  let untag: string[] = [];
  if (!byId) {
    const ref = parseReference(name);
    untag = [`${familiarRepo(ref)}:${ref.tag ?? 'latest'}`];
  } else {
    if (img.repoTags.length > 1 && !force) {
      throw new GockerError(`conflict: unable to delete ${short(img.id)} (must be forced) - image is referenced in multiple repositories`, { exitCode: 1 });
    }
    untag = img.repoTags;
  }
  const remaining = img.repoTags.filter((t) => !untag.includes(t));
  if (users.length && remaining.length === 0 && !force) {
    const what = byId ? short(img.id) : `repository reference "${name}"`;
    throw new GockerError(`conflict: unable to ${byId ? 'delete' : 'remove'} ${what} (must force) - container ${users[0].Id.slice(0, 12)} is using its referenced image ${short(img.id)}`, { exitCode: 1 });
  }
  await store.updateBook((book) => {
    for (const t of untag) {
      const i = t.lastIndexOf(':');
      delete book[t.slice(0, i)]?.[t.slice(i + 1)];
    }
    if (remaining.length === 0) {
      // Digest-only entries go with the image.
      for (const tags of Object.values(book)) for (const [k, v] of Object.entries(tags)) if (v === img.id) delete tags[k];
    }
  });
  out.push(...untag.map((t) => `Untagged: ${t}`));
  // An image a container still uses keeps its files (docker leaves it dangling); otherwise
  // it goes, with the layers and blobs no other image or container needs.
  if (remaining.length === 0 && users.length === 0) {
    const gone = await collectGarbage(store, [img.id]);
    out.push(...gone.images.map((i) => `Deleted: ${i}`), ...gone.layers.map((l) => `Deleted: ${l}`));
  }
  return out;
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

export interface HistoryRow { id: string; created: string; createdBy: string; size: number; comment: string }

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
