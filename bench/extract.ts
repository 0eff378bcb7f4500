// Layer extraction: gocker's native extractor against GNU tar (-xzf and with pigz) and the
// `tar` npm package, on a Debian minbase layer made by mmdebstrap.  node dist/bench/extract.js
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, which, type Contender } from './common';
import { fixtureCacheDir } from '../test/helpers/fixtures';

function debianLayer(): string {
  const file = path.join(fixtureCacheDir(), 'debian-minbase-bookworm.tar.gz');
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    execSync(`mmdebstrap --quiet --variant=minbase bookworm - | gzip -6 > ${tmp}`, { stdio: ['ignore', 'ignore', 'inherit'], shell: '/bin/bash' });
    fs.renameSync(tmp, file);
  }
  return file;
}

function main(): void {
  const runs = Number(process.env.RUNS ?? 5);
  const layer = debianLayer();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-extract-'));
  const dest = path.join(work, 'd');
  const reset = (): void => {
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest);
    // Untimed: the previous contender's dirty pages would otherwise be written back during
    // (and charged to) the next one.
    execSync('sync');
  };
  const one = path.join(__dirname, 'extract-one.js');
  try {
    const mb = (fs.statSync(layer).size / 1e6).toFixed(1);
    const contenders: Contender[] = [
      { name: 'gocker extractor (node + addon)', cmd: [process.execPath, one, 'gocker', layer, dest], reset },
      { name: 'tar -xzf', cmd: ['tar', '-xzf', layer, '-C', dest], reset },
      which('pigz') ? { name: 'tar -I pigz -xf', cmd: ['tar', '-I', 'pigz', '-xf', layer, '-C', dest], reset } : { name: 'tar -I pigz -xf', why: 'pigz not installed' },
      // Twice tar's time and more: it alone would put the default run past two minutes.
      process.env.EXTRACT_TAR_NPM === '1'
        ? { name: 'tar npm package (node)', cmd: [process.execPath, one, 'tar-npm', layer, dest], reset }
        : { name: 'tar npm package (node)', why: 'slowest by far (2x tar -xzf); EXTRACT_TAR_NPM=1 runs it' },
    ];
    bench(`layer extraction (${mb} MB gzip, Debian minbase)`, contenders, runs, 'tar -xzf');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
