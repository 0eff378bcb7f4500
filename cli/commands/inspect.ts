import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import { lastFlag } from '../../lib/format/formatter';
import { inspectTemplate, renderInspect } from '../../lib/format/inspect';
import { ClientError, errorText } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('format', { alias: 'f', type: 'string', describe: "Format output: 'json', or a Go template, e.g. '{{.State.Pid}}'" })
    .option('type', { type: 'string', choices: ['container', 'image'], describe: 'Only inspect objects of the given type' });
}

const isCode = (e: unknown, code: string): boolean => (e as { code?: unknown }).code === code;

/**
 * As docker inspect: a name is a container's first, else an image's (`container inspect`
 * asks with type 'container').
 */
export function handler(argv: GlobalArgs & { containers: string[]; format?: string | string[]; type?: 'container' | 'image' }): number {
  // Opened at the first lookup: a template that does not parse fails before it.
  let opened: ReturnType<typeof engine> | undefined;
  return printInspected(argv.containers.map(String), argv.format, (name) => {
    const g = (opened ??= engine(argv));
    if (argv.type !== 'image') {
      try {
        return g.inspectContainer(name);
      } catch (e) {
        if (!isCode(e, 'ENOCONTAINER') || argv.type === 'container') throw e;
      }
    }
    try {
      return g.inspectImage(name);
    } catch (e) {
      if (argv.type === 'image') throw e;
      // docker's CLI's own words, having asked for both (system/inspect.go): no daemon's prefix.
      throw new ClientError(`Error: No such object: ${name}`);
    }
  });
}

/**
 * docker's inspect output for each name lookup() finds: JSON indented by default, compact for
 * --format json, else the template per object; a name not found is an error line, the others
 * are still shown; exit 1 when any failed. Shared by inspect, container inspect, image inspect.
 */
export function printInspected(names: string[], formatFlag: string | string[] | undefined, lookup: (name: string) => unknown): number {
  const format = lastFlag(formatFlag) || undefined;
  // A template that does not parse fails before any lookup (docker: exit 64).
  const tmpl = format === undefined || format === 'json' ? undefined : inspectTemplate(format);
  const out: unknown[] = [];
  let code = 0;
  let written = false;
  for (const name of names) {
    let obj: unknown;
    try {
      obj = lookup(name);
    } catch (e) {
      // As docker's inspect.Inspect: each error as its client has it, the daemon's after
      // its prefix (container inspect, image inspect, --type), the CLI's own bare.
      process.stderr.write(`${errorText(e)}\n`);
      code = 1;
      continue;
    }
    if (!tmpl) {
      out.push(obj);
      continue;
    }
    try {
      process.stdout.write(`${renderInspect(tmpl, obj as object)}\n`);
      written = true;
    } catch (e) {
      // docker prints a template's error as it is: "template parsing error: ..."
      process.stderr.write(`${errorLine(e)}\n`);
      code = 1;
    }
  }
  // As docker: JSON indented by default, compact for --format json; an empty line when a
  // template wrote nothing at all.
  if (!tmpl) process.stdout.write(`${format === 'json' ? JSON.stringify(out) : JSON.stringify(out, null, 4)}\n`);
  else if (!written) process.stdout.write('\n');
  return code;
}
