import type { Argv, Options } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine } from '../util';
import { containerOptionsFromFlags, openCidfile } from '../runflags';
import { OPTIONS as RUN_OPTIONS, checkRestart, enginePuller, withPull, type RunArgs } from './run';

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
  const g = engine(argv);
  // main() put '--' after the image: the container's command is verbatim in argv._.
  const command = (argv._ ?? []).slice(1).map(String);
  checkRestart(argv, 'create');
  // The pull's progress on stderr, as run's: stdout is for the new container's id.
  const pull = enginePuller(g);
  const options = containerOptionsFromFlags(argv);
  const cid = openCidfile(argv.cidfile);
  let failed = true;
  try {
    const c = await withPull(argv, 'create', pull, () => g.createContainer(argv.image, command, options, { onCreate: cid.write }));
    failed = false;
    process.stdout.write(`${c.id}\n`);
  } finally {
    cid.done(failed, false);
  }
  return 0;
}
