// One extraction, for bench/extract: `node dist/bench/extract-one.js gocker|tar-npm LAYER DIR`.
import * as fs from 'node:fs';
import * as tar from 'tar';
import { applyLayerFile } from '../lib/layer';

async function main(): Promise<void> {
  const [mode, layer, dir] = process.argv.slice(2);
  if (mode === 'gocker') {
    await applyLayerFile(layer, dir, { whiteouts: 'overlay', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
  } else {
    await tar.x({ file: layer, cwd: dir, preserveOwner: true });
  }
  if (fs.readdirSync(dir).length === 0) throw new Error('nothing extracted');
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
