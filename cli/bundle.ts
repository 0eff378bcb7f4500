// Build step, after tsc: bundles dist/cli/main.js (the whole CLI) and dist/cli/fast.js (run
// and exec) with everything each requires into one file each, which cli/gocker.ts runs
// through a V8 code cache. They are made from tsc's output, so what runs is what tsc
// compiled and the tests load. Run as `node dist/cli/bundle.js` (npm run build:ts does).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build, type Plugin } from 'esbuild';

const dir = __dirname;

/**
 * The modules the engine facade (lib/index.ts, lib/containers.ts) requires inside the
 * methods that run and exec never call (info, images, volumes' prune, cp, stats, ...): left
 * out of the fast bundle, where they only made it larger to read and load on every start,
 * and required from dist/lib (tsc's output, shipped in the package) if a call ever reaches
 * them. Such a module then has its own copies of the modules it requires (the error classes,
 * the log's level), so run and exec must not call them: test/integration/fast-bundle.test.ts
 * runs both and checks that nothing is loaded from dist/lib. Paths under dist/lib, without .js.
 */
export const FAST_EXTERNAL = [
  'info', 'system/df', 'network/manage',
  'container/changes', 'container/cp', 'container/filters', 'container/prune', 'container/stats', 'container/top', 'container/update',
  'image/import', 'image/manage', 'image/prune', 'image/push', 'image/save',
];

/** Requires of FAST_EXTERNAL's modules, as requires of dist/lib's files from the bundle's directory. */
function libExternal(modules: string[]): Plugin {
  const lib = path.join(dir, '..', 'lib');
  const wanted = new Set(modules.map((m) => path.join(lib, `${m}.js`)));
  return {
    name: 'lib-external',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const file = path.resolve(args.resolveDir, args.path);
        const js = file.endsWith('.js') ? file : `${file}.js`;
        if (!wanted.has(js)) return undefined;
        // The bundle runs with cli/gocker.ts's require, which resolves from this directory.
        return { path: path.relative(dir, js).split(path.sep).join('/'), external: true };
      });
    },
  };
}

/** Bundles dist/cli/<name>.js into dist/cli/<name>.bundle.js, named in its first line by a hash. */
async function bundle(name: string, plugins: Plugin[] = []): Promise<string> {
  const out = path.join(dir, `${name}.bundle.js`);
  // The async API: the sync one takes no plugins.
  const result = await build({
    entryPoints: [path.join(dir, `${name}.js`)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    outfile: out,
    // Loaded from node_modules when a command needs them (tar by a few commands, undici
    // only for https with extra certificates, re2js only for a name= or id= filter). yargs is bundled: loading it file by file
    // was a third of every other command's start; the locale files it then cannot find are
    // not needed, as the CLI speaks English (main.ts sets the locale).
    external: ['re2js', 'tar', 'undici'],
    // The addon's require(file) and native/source-hash.js's are computed paths by design.
    logOverride: { 'unsupported-require-call': 'silent' },
    logLevel: 'warning',
    // A third less to read and a smaller cache to load on every start (0.8 ms of `run`'s);
    // names are kept, so a stack (--log-level debug) still says where it was.
    minifyWhitespace: true,
    minifySyntax: true,
    plugins,
  });
  const code = Buffer.from(result.outputFiles[0].contents);
  const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`// gocker-bundle ${hash}\n`), code]));
  fs.renameSync(tmp, out);
  return `${path.relative(process.cwd(), out)} (${(code.length / 1024).toFixed(0)} KiB, ${hash})`;
}

/**
 * The gocker command's first lines, in place of tsc's `#!/usr/bin/env node`: sh, then node on
 * the same file. Node reads NODE_EXTRA_CA_CERTS, and all of its own root certificates with it,
 * before any script runs (about 40 ms, more than the rest of a `run`); the variable is handed
 * over as GOCKER_EXTRA_CA_CERTS, which the registry client (lib/remote/tls.ts) reads at its
 * first https request. The second line is `:` to sh and a string and a comment to JavaScript,
 * and stays in the directive prologue, before tsc's "use strict". Node resolves "$0" through
 * npm's bin symlink itself, as it does for any script.
 */
const LAUNCHER = [
  '#!/bin/sh',
  '":" //; if [ -n "$NODE_EXTRA_CA_CERTS" ]; then GOCKER_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export GOCKER_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"',
].join('\n');

function launcher(): void {
  const file = path.join(dir, 'gocker.js');
  const text = fs.readFileSync(file, 'utf8');
  if (text.startsWith(`${LAUNCHER}\n`)) return; // tsc did not write it again
  const shebang = '#!/usr/bin/env node\n';
  if (!text.startsWith(shebang)) throw new Error(`${file}: expected tsc's output to start with ${JSON.stringify(shebang)}`);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${LAUNCHER}\n${text.slice(shebang.length)}`, { mode: 0o755 });
  fs.renameSync(tmp, file);
  // One line more before the code: its source map starts one (empty) line later too.
  const mapFile = `${file}.map`;
  const map = JSON.parse(fs.readFileSync(mapFile, 'utf8')) as { mappings: string };
  map.mappings = `;${map.mappings}`;
  fs.writeFileSync(mapFile, JSON.stringify(map));
}

async function main(): Promise<void> {
  // The whole CLI, and run and exec on their own (cli/fast.ts): a container's start reads and
  // loads half as much.
  const made = [await bundle('main'), await bundle('fast', [libExternal(FAST_EXTERNAL)])];
  launcher();
  // Where older builds kept their code caches (cli/gocker.ts now keeps them in the user's cache
  // directory, by the bundle's hash): never read again.
  fs.rmSync(path.join(dir, 'cache'), { recursive: true, force: true });
  console.log(`bundles: ${made.join(', ')}`);
}

// Built when run (npm run build:ts); a test may require this module for FAST_EXTERNAL alone.
if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
