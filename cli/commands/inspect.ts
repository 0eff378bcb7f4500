import type { Argv } from 'yargs';
import { find } from '../../lib/container/lifecycle';
import { errorLine } from '../../lib/errors';
import { renderTemplate } from '../../lib/format/template';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('format', { alias: 'f', type: 'string', describe: "Format output using a Go template, e.g. '{{.State.Pid}}'" });
}

export function handler(argv: GlobalArgs & { containers: string[]; format?: string }): number {
  const g = engine(argv);
  const out: unknown[] = [];
  let code = 0;
  for (const c of argv.containers) {
    try {
      const rec = find(g.paths, String(c));
      if (argv.format !== undefined) process.stdout.write(`${renderTemplate(argv.format, rec)}\n`);
      else out.push(rec);
    } catch (e) {
      process.stderr.write(`Error: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  if (argv.format === undefined) process.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
  return code;
}
