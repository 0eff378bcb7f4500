import type { Argv, Options } from 'yargs';
import { Runner } from '../../lib/container/run';
import type { GlobalArgs } from '../types';
import { storeFor } from '../store';
import { cidfileWriter, runOptionsFromFlags } from '../runflags';
import { OPTIONS as RUN_OPTIONS, checkRestart, withPull, type RunArgs } from './run';

// docker create: run's flags, less the ones only a start has (-d: a created container is
// started later, by `start`).
const { detach: _detach, 'detach-keys': _detachKeys, ...rest } = RUN_OPTIONS;
export const OPTIONS: Record<string, Options> = rest;

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('image', { type: 'string', demandOption: true })
    .positional('command', { type: 'string', array: true })
    .options(OPTIONS);
}

export async function handler(argv: RunArgs): Promise<number> {
  const store = storeFor(argv);
  const runner = new Runner(store.paths, store);
  // main() put '--' after the image: the container's command is verbatim in argv._.
  const command = (argv._ ?? []).slice(1).map(String);
  checkRestart(argv, 'create');
  const r = await withPull(argv, 'create', store, () => runner.create(runOptionsFromFlags(argv, command), { onCreate: cidfileWriter(argv.cidfile) }));
  if (r.error) {
    process.stderr.write(`gocker: ${r.error}\n`);
    return r.exitCode || 125;
  }
  process.stdout.write(`${r.id}\n`);
  return 0;
}
