import type { Argv } from 'yargs';
import { pullProgress } from '../progress';
import { errorLine } from '../../lib/errors';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('name', { type: 'string', demandOption: true, describe: 'NAME[:TAG|@DIGEST]' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress verbose output' })
    .option('platform', { type: 'string', describe: 'Set platform if server is multi-platform capable (os/arch[/variant])' })
    .option('max-concurrent-downloads', { type: 'number', default: 3, describe: 'Layers downloaded at once' });
}

export async function handler(argv: GlobalArgs & { name: string; quiet?: boolean; platform?: string; maxConcurrentDownloads?: number }): Promise<void> {
  const { referenceString, parseReference, parsePlatform } = await import('../../lib/index');
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
    onEvent: argv.quiet ? undefined : pullProgress(process.stdout),
  });
  // docker ends with the fully qualified reference, and -q prints only that.
  process.stdout.write(`${referenceString(ref)}\n`);
}
