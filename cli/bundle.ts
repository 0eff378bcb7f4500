// Build step, after tsc: bundles dist/cli/main.js (the whole CLI) and dist/cli/fast.js (run
// and exec) with everything each requires into one file each, which cli/gocker.ts runs
// through a V8 code cache. They are made from tsc's output, so what runs is what tsc
// compiled and the tests load. Run as `node dist/cli/bundle.js` (npm run build:ts does).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const dir = __dirname;

/** Bundles dist/cli/<name>.js into dist/cli/<name>.bundle.js, named in its first line by a hash. */
function bundle(name: string): string {
  const out = path.join(dir, `${name}.bundle.js`);
  const result = buildSync({
    entryPoints: [path.join(dir, `${name}.js`)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    outfile: out,
    // Loaded from node_modules when a command needs them (yargs reads its locale files
    // relative to itself); the addon and native/source-hash.js by computed paths.
    external: ['yargs', 'yargs/*', 'tar'],
    // The addon's require(file) and native/source-hash.js's are computed paths by design.
    logOverride: { 'unsupported-require-call': 'silent' },
    logLevel: 'warning',
    // A third less to read and a smaller cache to load on every start (0.8 ms of `run`'s);
    // names are kept, so a stack (--log-level debug) still says where it was.
    minifyWhitespace: true,
    minifySyntax: true,
  });
  const code = Buffer.from(result.outputFiles[0].contents);
  const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`// gocker-bundle ${hash}\n`), code]));
  fs.renameSync(tmp, out);
  return `${path.relative(process.cwd(), out)} (${(code.length / 1024).toFixed(0)} KiB, ${hash})`;
}

// The whole CLI, and run and exec on their own (cli/fast.ts): a container's start reads and
// loads half as much.
const made = ['main', 'fast'].map(bundle);
// Caches of earlier bundles are never read again.
fs.rmSync(path.join(dir, 'cache'), { recursive: true, force: true });
console.log(`bundles: ${made.join(', ')}`);
