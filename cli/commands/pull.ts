import type { Argv } from 'yargs';
import type { PullEvent } from '../../lib/image/pull';
import { parsePlatform } from '../../lib/remote';
import { errorLine } from '../../lib/errors';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('name', { type: 'string', demandOption: true, describe: 'NAME[:TAG|@DIGEST]' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress verbose output' })
    .option('platform', { type: 'string', describe: 'Set platform if server is multi-platform capable (os/arch[/variant])' })
    .option('max-concurrent-downloads', { type: 'number', default: 3, describe: 'Layers downloaded at once' });
}

/** docker's progress: one line per layer, redrawn in place on a terminal, appended otherwise. */
function progress(tty: boolean): (e: PullEvent) => void {
  const order: string[] = [];
  const lines = new Map<string, string>();
  let drawn = 0;
  const redraw = (): void => {
    if (drawn) process.stdout.write(`\x1b[${drawn}A`);
    for (const id of order) process.stdout.write(`\x1b[2K${id}: ${lines.get(id)}\n`);
    drawn = order.length;
  };
  return (e) => {
    if (e.kind === 'resolved') {
      process.stdout.write(`${e.tag}: Pulling from ${e.repository}\n`);
      return;
    }
    if (e.kind === 'done') {
      process.stdout.write(`Digest: ${e.digest}\nStatus: ${e.fresh ? 'Downloaded newer image' : 'Image is up to date'} for ${e.ref}\n`);
      return;
    }
    let text: string = e.status;
    if (e.status === 'Retrying') {
      const s = Math.max(1, Math.round(e.delayMs / 1000));
      text = `Retrying in ${s} second${s === 1 ? '' : 's'}`;
    } else if ((e.status === 'Downloading' || e.status === 'Extracting') && e.total) {
      text = `${e.status} ${humanSize(e.current ?? 0)}/${humanSize(e.total)}`;
    }
    if (tty) {
      if (!lines.has(e.id)) order.push(e.id);
      lines.set(e.id, text);
      redraw();
    } else if (e.status === 'Retrying' || (e.status !== 'Downloading' && !e.current)) {
      // Not a terminal: one line per state, no byte counts.
      process.stdout.write(`${e.id}: ${e.status === 'Retrying' ? text : e.status}\n`);
    }
  };
}

export async function handler(argv: GlobalArgs & { name: string; quiet?: boolean; platform?: string; maxConcurrentDownloads?: number }): Promise<void> {
  const { referenceString, parseReference } = await import('../../lib/name');
  let ref: ReturnType<typeof parseReference>;
  try {
    // docker's CLI reads the reference itself: one it cannot read is its own refusal.
    ref = parseReference(argv.name);
  } catch (e) {
    throw new ClientError(errorLine(e), { cause: e });
  }
  const g = engine(argv);
  await g.pull(argv.name, {
    platform: argv.platform ? parsePlatform(argv.platform) : undefined,
    maxConcurrentDownloads: argv.maxConcurrentDownloads,
    onEvent: argv.quiet ? undefined : progress(!!process.stdout.isTTY),
  });
  // docker ends with the fully qualified reference, and -q prints only that.
  process.stdout.write(`${referenceString(ref)}\n`);
}
