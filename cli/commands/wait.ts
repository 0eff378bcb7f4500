import type { Argv } from 'yargs';
import { wait } from '../../lib/container/lifecycle';
import { errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('containers', { type: 'string', array: true, demandOption: true });
}

/** As docker: each exit code in turn; one that cannot be waited for is an error, the others go on. */
export async function handler(argv: GlobalArgs & { containers: string[] }): Promise<number> {
  const g = engine(argv);
  let code = 0;
  for (const c of argv.containers) {
    try {
      process.stdout.write(`${await wait(g.paths, String(c))}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
