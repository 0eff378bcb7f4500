import type { Argv } from 'yargs';
import { inspectImage } from '../../lib/image/manage';
import { errorLine } from '../../lib/errors';
import { lastFlag } from '../../lib/format/formatter';
import { inspectTemplate, renderInspect } from '../../lib/format/inspect';
import type { GlobalArgs } from '../types';
import { confirm, engine, humanSize } from '../util';

// `gocker image inspect IMAGE...` and `gocker image prune` (the other image subcommands
// have top-level forms).
export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('action', { type: 'string', choices: ['inspect', 'prune'], demandOption: true })
    .positional('images', { type: 'string', array: true })
    .option('format', { alias: 'f', type: 'string', describe: 'inspect: format output using a Go template' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'prune: remove all images no container uses, not just dangling ones' })
    .option('force', { type: 'boolean', describe: 'prune: do not prompt for confirmation' })
    .check((a) => {
      if (a.action === 'inspect' && !(a.images as string[] | undefined)?.length) throw new Error('"gocker image inspect" requires at least 1 argument.');
      if (a.action === 'prune' && (a.images as string[] | undefined)?.length) throw new Error('"gocker image prune" accepts no arguments.');
      return true;
    });
}

type Args = GlobalArgs & { action: string; images?: string[]; format?: string | string[]; all?: boolean; force?: boolean };

export async function handler(argv: Args): Promise<number> {
  return argv.action === 'prune' ? prune(argv) : inspect(argv);
}

function inspect(argv: Args): number {
  const format = lastFlag(argv.format) || undefined;
  const tmpl = format === undefined || format === 'json' ? undefined : inspectTemplate(format);
  const store = engine(argv).store;
  const out: unknown[] = [];
  let code = 0;
  let written = false;
  for (const i of argv.images ?? []) {
    let info: Record<string, unknown>;
    try {
      info = inspectImage(store, String(i));
    } catch (e) {
      process.stderr.write(`Error: ${errorLine(e)}\n`);
      code = 1;
      continue;
    }
    if (!tmpl) {
      out.push(info);
      continue;
    }
    try {
      process.stdout.write(`${renderInspect(tmpl, info)}\n`);
      written = true;
    } catch (e) {
      process.stderr.write(`${errorLine(e)}\n`);
      code = 1;
    }
  }
  if (!tmpl) process.stdout.write(`${format === 'json' ? JSON.stringify(out) : JSON.stringify(out, null, 4)}\n`);
  else if (!written) process.stdout.write('\n');
  return code;
}

async function prune(argv: Args): Promise<number> {
  // docker image prune's -f is --force (image inspect's -f is --format).
  const force = argv.force || argv.format !== undefined;
  const what = argv.all ? 'all images without at least one container associated to them' : 'all dangling images';
  if (!force && !(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return 0;
  const r = await engine(argv).pruneImages({ all: !!argv.all });
  const lines = [...r.untagged.map((t) => `untagged: ${t}`), ...r.images.map((i) => `deleted: ${i}`), ...r.layers.map((l) => `deleted: ${l}`)];
  if (lines.length) process.stdout.write(`Deleted Images:\n${lines.join('\n')}\n\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.bytes)}\n`);
  return 0;
}
