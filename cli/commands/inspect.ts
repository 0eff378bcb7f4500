import type { Argv } from 'yargs';
import { find } from '../../lib/container/lifecycle';
import { errorLine, GockerError } from '../../lib/errors';
import { renderTemplate } from '../../lib/format/template';
import { inspectImage } from '../../lib/image/manage';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('format', { alias: 'f', type: 'string', describe: "Format output using a Go template, e.g. '{{.State.Pid}}'" })
    .option('type', { type: 'string', choices: ['container', 'image'], describe: 'Only inspect objects of the given type' });
}

const isCode = (e: unknown, code: string): boolean => (e as { code?: unknown }).code === code;

/**
 * As docker inspect: a name is a container's first, else an image's (`container inspect`
 * asks with type 'container').
 */
export function handler(argv: GlobalArgs & { containers: string[]; format?: string; type?: 'container' | 'image' }): number {
  const g = engine(argv);
  const out: unknown[] = [];
  let code = 0;
  const object = (name: string): unknown => {
    if (argv.type !== 'image') {
      try {
        return find(g.paths, name);
      } catch (e) {
        if (!isCode(e, 'ENOCONTAINER') || argv.type === 'container') throw e;
      }
    }
    try {
      return inspectImage(g.store, name);
    } catch (e) {
      if (argv.type === 'image') throw e;
      throw new GockerError(`No such object: ${name}`, { exitCode: 1 });
    }
  };
  for (const c of argv.containers) {
    try {
      const obj = object(String(c));
      if (argv.format !== undefined) process.stdout.write(`${renderTemplate(argv.format, obj)}\n`);
      else out.push(obj);
    } catch (e) {
      process.stderr.write(`Error: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  if (argv.format === undefined) process.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
  return code;
}
