import type { Argv } from 'yargs';
import { WAIT_CONDITIONS, type WaitCondition } from '../../lib/index';
import { GockerError } from '../../lib/errors';
import { errorText } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('condition', { type: 'string', describe: `Wait until the container reaches a condition (${WAIT_CONDITIONS.join(', ')})`, default: 'not-running' });
}

/** As docker: each exit code in turn; one that cannot be waited for is an error, the others go on. */
export async function handler(argv: GlobalArgs & { containers: string[]; condition: string }): Promise<number> {
  const g = engine(argv);
  const condition = argv.condition as WaitCondition;
  let code = 0;
  for (const c of argv.containers) {
    try {
      // The condition before the container, as the engine checks them.
      if (!WAIT_CONDITIONS.includes(condition)) throw new GockerError(`invalid condition: ${JSON.stringify(condition)}`, { exitCode: 1 });
      process.stdout.write(`${(await g.container(String(c)).wait({ condition })).exitCode}\n`);
    } catch (e) {
      process.stderr.write(`${errorText(e)}\n`);
      code = 1;
    }
  }
  return code;
}
