import type { Argv } from 'yargs';
import { WAIT_CONDITIONS, wait, type WaitCondition } from '../../lib/container/lifecycle';
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
  let code = 0;
  for (const c of argv.containers) {
    try {
      process.stdout.write(`${await wait(g.paths, String(c), argv.condition as WaitCondition)}\n`);
    } catch (e) {
      process.stderr.write(`${errorText(e)}\n`);
      code = 1;
    }
  }
  return code;
}
