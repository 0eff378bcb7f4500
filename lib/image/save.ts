// `gocker save`: images as a docker-archive tarball (what `docker load`, `podman load` and
// `skopeo ... docker-archive:` read): manifest.json, the config, one uncompressed tar a layer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import * as tar from 'tar';
import { GockerError } from '../errors';
import { sniffCompression } from '../layer';
import type { Store } from '../store';
import { hexOf } from '../store/paths';
import { familiarString, noSuchImage, parseReference } from '../name';
import { checkImageArgument } from './manage';
import { imageEvent } from '../events';

export async function saveImages(store: Store, names: string[], out: NodeJS.WritableStream): Promise<void> {
  for (const name of names) checkImageArgument(name);
  fs.mkdirSync(store.paths.tmp, { recursive: true });
  const stage = fs.mkdtempSync(path.join(store.paths.tmp, 'save-'));
  try {
    const manifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
    const written = new Set<string>();
    for (const name of names) {
      const img = store.resolveImage(name);
      if (!img) throw noSuchImage(name);
      const m = JSON.parse(fs.readFileSync(path.join(store.paths.image(img.id), 'manifest.json'), 'utf8')) as { layers: Array<{ digest: string }> };
      const configName = `${hexOf(img.id)}.json`;
      fs.copyFileSync(path.join(store.paths.image(img.id), 'config.json'), path.join(stage, configName));
      const layers: string[] = [];
      for (const [i, l] of img.layers.entries()) {
        const rel = `${hexOf(l.diffId)}/layer.tar`;
        layers.push(rel);
        if (written.has(rel)) continue;
        const blob = store.paths.blob(m.layers[i].digest);
        if (!fs.existsSync(blob)) throw new GockerError(`save: the blob of layer ${l.diffId} is not in the store (pull the image again)`);
        fs.mkdirSync(path.join(stage, hexOf(l.diffId)));
        const head = Buffer.alloc(4);
        const fd = fs.openSync(blob, 'r');
        fs.readSync(fd, head, 0, 4, 0);
        fs.closeSync(fd);
        const kind = sniffCompression(head);
        if (kind === 'zstd') throw new GockerError('save: zstd layers are not supported yet');
        const src = fs.createReadStream(blob);
        const dst = fs.createWriteStream(path.join(stage, rel));
        if (kind === 'gzip') await pipeline(src, zlib.createGunzip(), dst);
        else await pipeline(src, dst);
        written.add(rel);
      }
      // Saved by name: that name; by id: every name the image has (as docker save). One
      // entry an image, however many of its names are asked for.
      const byId = /^(sha256:)?[0-9a-f]{6,64}$/.test(name) && hexOf(img.id).startsWith(name.replace(/^sha256:/, ''));
      const tags = byId ? img.repoTags : [familiarString(parseReference(name))];
      const entry = manifest.find((m) => m.Config === configName);
      if (entry) entry.RepoTags.push(...tags.filter((t) => !entry.RepoTags.includes(t)));
      else manifest.push({ Config: configName, RepoTags: [...tags], Layers: layers });
    }
    fs.writeFileSync(path.join(stage, 'manifest.json'), JSON.stringify(manifest));
    await pipeline(tar.c({ cwd: stage, portable: true }, fs.readdirSync(stage)), out);
    for (const name of names) {
      const img = store.resolveImage(name);
      if (img) imageEvent(store.paths, 'save', img.id, name);
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** save -o: written beside the target and renamed into place, so a failed save leaves no half file. */
export async function saveImagesToFile(store: Store, names: string[], file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  // docker's check and wording (its CLI exits 1 on it).
  if (!fs.existsSync(dir)) throw new GockerError(`failed to save image: invalid output path: directory "${dir}" does not exist`, { exitCode: 1 });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'wx');
  } catch (e) {
    throw new GockerError(`failed to save image: ${(e as Error).message}`, { cause: e });
  }
  const out = fs.createWriteStream('', { fd });
  try {
    await saveImages(store, names, out);
    const sync = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(sync);
    } finally {
      fs.closeSync(sync);
    }
    fs.renameSync(tmp, file);
  } finally {
    out.destroy();
    fs.rmSync(tmp, { force: true });
  }
}
