// Build step, after tsc: bundles dist/cli/main.js and everything it requires into
// dist/cli/main.bundle.js, which cli/gocker.ts runs through a V8 code cache. The bundle is
// made from tsc's output, so what runs is what tsc compiled and the tests load. Run as
// `node dist/cli/bundle.js` (npm run build:ts does).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const dir = __dirname;
const out = path.join(dir, 'main.bundle.js');
const result = buildSync({
  entryPoints: [path.join(dir, 'main.js')],
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
// Caches of earlier bundles are never read again.
fs.rmSync(path.join(dir, 'cache'), { recursive: true, force: true });
console.log(`bundle: ${path.relative(process.cwd(), out)} (${(code.length / 1024).toFixed(0)} KiB, ${hash})`);
