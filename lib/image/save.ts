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
import { familiarString, parseReference } from '../name';

export async function saveImages(store: Store, names: string[], out: NodeJS.WritableStream): Promise<void> {
  fs.mkdirSync(store.paths.tmp, { recursive: true });
  const stage = fs.mkdtempSync(path.join(store.paths.tmp, 'save-'));
  try {
    const manifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
    const written = new Set<string>();
    for (const name of names) {
      const img = store.resolveImage(name);
      if (!img) throw new GockerError(`No such image: ${name}`, { exitCode: 1 });
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
      // Saved by name: that name; by id: every name the image has (as docker save).
      const byId = /^(sha256:)?[0-9a-f]{6,64}$/.test(name) && hexOf(img.id).startsWith(name.replace(/^sha256:/, ''));
      const tags = byId ? img.repoTags : [familiarString(parseReference(name))];
      manifest.push({ Config: configName, RepoTags: tags, Layers: layers });
    }
    fs.writeFileSync(path.join(stage, 'manifest.json'), JSON.stringify(manifest));
    await pipeline(tar.c({ cwd: stage, portable: true }, fs.readdirSync(stage)), out);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}
