import type { Argv } from 'yargs';
import { find } from '../../lib/container/lifecycle';
import { Runner } from '../../lib/container/run';
import { GockerError, errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('attach', { alias: 'a', type: 'boolean', describe: "Attach STDOUT/STDERR and forward signals" })
    .option('interactive', { alias: 'i', type: 'boolean', describe: "Attach container's STDIN" });
}

export async function handler(argv: GlobalArgs & { containers: string[]; attach?: boolean; interactive?: boolean }): Promise<number> {
  const g = engine(argv);
  const runner = new Runner(g.paths, g.store);
  let code = 0;
  for (const c of argv.containers) {
    try {
      if (find(g.paths, String(c)).State.Paused) throw new GockerError('cannot start a paused container, try unpause instead', { exitCode: 1 });
      const r = await runner.start(String(c), { attach: argv.attach, interactive: argv.interactive });
      if (r.error) throw new Error(r.error);
      if (argv.attach) code = r.exitCode;
      else process.stdout.write(`${c}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
