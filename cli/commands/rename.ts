import type { Argv } from 'yargs';
import { errorText } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('container', { type: 'string', demandOption: true })
    .positional('name', { type: 'string', demandOption: true });
}

/** As docker: nothing on success; the engine's refusal, then the CLI's own line. */
export async function handler(argv: GlobalArgs & { container: string; name: string }): Promise<number> {
  const from = String(argv.container).trim();
  const to = String(argv.name).trim();
  if (!from || !to) {
    process.stderr.write('Error: Neither old nor new names may be empty\n');
    return 1;
  }
  try {
    await engine(argv).container(from).rename(to);
    return 0;
  } catch (e) {
    process.stderr.write(`${errorText(e)}\nError: failed to rename container named ${from}\n`);
    return 1;
  }
}
