import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Force the removal of a running container (uses SIGKILL)' })
    .option('volumes', { alias: 'v', type: 'boolean', describe: 'Remove anonymous volumes associated with the container' });
}

export async function handler(argv: GlobalArgs & { containers: string[]; force?: boolean; volumes?: boolean }): Promise<number> {
  const g = engine(argv);
  let code = 0;
  for (const c of argv.containers) {
    try {
      await g.container(String(c)).remove({ force: argv.force, volumes: argv.volumes });
      process.stdout.write(`${c}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
