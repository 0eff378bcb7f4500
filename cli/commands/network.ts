import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { inspectTemplate, renderInspect } from '../../lib/format/inspect';
import { NETWORK_HEADER, NETWORK_TABLE, networkContext } from '../contexts';
import type { GlobalArgs } from '../types';
import { confirm, engine, table } from '../util';

// `gocker network create|ls|inspect|rm|prune`: user-defined bridge networks.
export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('action', { type: 'string', choices: ['create', 'ls', 'list', 'inspect', 'rm', 'remove', 'prune'], demandOption: true })
    .positional('names', { type: 'string', array: true })
    .option('driver', { alias: 'd', type: 'string', describe: 'create: driver to manage the network (bridge)' })
    .option('subnet', { type: 'string', describe: 'create: subnet in CIDR format' })
    .option('gateway', { type: 'string', describe: 'create: IPv4 gateway for the subnet' })
    .option('internal', { type: 'boolean', describe: 'create: restrict external access to the network' })
    .option('label', { type: 'string', array: true, describe: 'create: set metadata on a network' })
    .option('format', { alias: 'f', type: 'string', describe: 'ls, inspect: format output using a Go template' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'ls: only display network IDs' })
    .option('no-trunc', { type: 'boolean', describe: "ls: don't truncate output" })
    .option('force', { type: 'boolean', describe: 'prune: do not prompt for confirmation' })
    .check((a) => {
      const names = (a.names as string[] | undefined) ?? [];
      if (a.action === 'create' && names.length !== 1) throw new Error('"gocker network create" requires exactly 1 argument.');
      if (['inspect', 'rm', 'remove'].includes(a.action as string) && !names.length) throw new Error(`"gocker network ${a.action}" requires at least 1 argument.`);
      if (['ls', 'list', 'prune'].includes(a.action as string) && names.length) throw new Error(`"gocker network ${a.action}" accepts no arguments.`);
      return true;
    });
}

type Args = GlobalArgs & {
  action: string; names?: string[]; driver?: string; subnet?: string; gateway?: string; internal?: boolean; label?: string[];
  format?: string; quiet?: boolean; noTrunc?: boolean; force?: boolean;
};

export async function handler(argv: Args): Promise<number> {
  const paths = engine(argv).paths;
  const m = await import('../../lib/network/manage');
  const names = (argv.names ?? []).map(String);
  switch (argv.action) {
    case 'create': {
      const n = await m.createNetwork(paths, names[0], { driver: argv.driver, subnet: argv.subnet, gateway: argv.gateway, internal: argv.internal, labels: argv.label });
      process.stdout.write(`${n.Id}\n`);
      return 0;
    }
    case 'ls':
    case 'list': {
      const { listNetworks } = await import('../../lib/network/store');
      const all = (await listNetworks(paths)).sort((a, b) => a.Name.localeCompare(b.Name));
      const id = (i: string): string => (argv.noTrunc ? i : i.slice(0, 12));
      const format = lastFlag(argv.format as string | string[] | undefined);
      if (argv.quiet) process.stdout.write(all.map((n) => `${id(n.Id)}\n`).join(''));
      else process.stdout.write(formatList(format === undefined || format === 'table' ? NETWORK_TABLE : format, NETWORK_HEADER, all.map((n) => networkContext(n, !argv.noTrunc))));
      return 0;
    }
    case 'inspect': {
      const out: unknown[] = [];
      let code = 0;
      const format = lastFlag(argv.format as string | string[] | undefined);
      const tmpl = format === undefined || format === 'json' ? undefined : inspectTemplate(format);
      for (const name of names) {
        try {
          const n = await m.inspectNetwork(paths, name);
          if (tmpl) process.stdout.write(`${renderInspect(tmpl, n)}\n`);
          else out.push(n);
        } catch (e) {
          process.stderr.write(`Error: ${errorLine(e)}\n`);
          code = 1;
        }
      }
      if (!tmpl) process.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
      return code;
    }
    case 'rm':
    case 'remove': {
      let code = 0;
      for (const name of names) {
        try {
          await m.removeNetwork(paths, name);
          process.stdout.write(`${name}\n`);
        } catch (e) {
          process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
          code = 1;
        }
      }
      return code;
    }
    default: {
      if (!argv.force && !(await confirm('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return 0;
      const removed = await m.pruneNetworks(paths);
      if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.join('\n')}\n\n`);
      return 0;
    }
  }
}
