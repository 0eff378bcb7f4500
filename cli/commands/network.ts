import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { inspectTemplate, renderInspect } from '../../lib/format/inspect';
import { NETWORK_HEADER, NETWORK_TABLE, networkContext } from '../contexts';
import type { GlobalArgs } from '../types';
import { confirm, engine, table } from '../util';

// `gocker network create|ls|inspect|rm|prune`: user-defined bridge networks, each subcommand a
// command of its own (cli/commands.ts routes them) over one handler.
const part = (action: string, builder: (y: Argv<GlobalArgs>) => Argv<GlobalArgs>) => ({
  builder,
  handler: (argv: Args): Promise<number> => handler({ ...argv, action }),
});

export const subcommands = {
  connect: part('connect', (y) => y
    .option('alias', { type: 'string', array: true, describe: 'Add network-scoped alias for the container' })
    .option('ip', { type: 'string', describe: 'IPv4 address (e.g., "172.30.100.104")' })),
  disconnect: part('disconnect', (y) => y
    .option('force', { alias: 'f', type: 'boolean', describe: 'Force the container to disconnect from a network' })),
  create: part('create', (y) => y
    .option('driver', { alias: 'd', type: 'string', describe: 'Driver to manage the Network (bridge)' })
    .option('subnet', { type: 'string', describe: 'Subnet in CIDR format that represents a network segment' })
    .option('gateway', { type: 'string', describe: 'IPv4 Gateway for the master subnet' })
    .option('internal', { type: 'boolean', describe: 'Restrict external access to the network' })
    .option('label', { type: 'string', array: true, describe: 'Set metadata on a network' })
    .check((a) => {
      if (((a.names as string[] | undefined) ?? []).length !== 1) throw new Error('"gocker network create" requires exactly 1 argument.');
      return true;
    })),
  ls: part('ls', (y) => y
    .option('format', { type: 'string', describe: 'Format output using a Go template' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display network IDs' })
    .option('no-trunc', { type: 'boolean', describe: 'Do not truncate the output' })),
  inspect: part('inspect', (y) => y.option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template' })),
  rm: part('rm', (y) => y),
  prune: part('prune', (y) => y.option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' })),
};

type Args = GlobalArgs & {
  action: string; names?: string[]; driver?: string; subnet?: string; gateway?: string; internal?: boolean; label?: string[];
  format?: string; quiet?: boolean; noTrunc?: boolean; force?: boolean; alias?: string[]; ip?: string; network?: string; container?: string;
};

export async function handler(argv: Args): Promise<number> {
  const g = engine(argv);
  const names = (argv.names ?? []).map(String);
  switch (argv.action) {
    case 'connect': {
      await g.connectNetwork(String(argv.network), String(argv.container), { aliases: (argv.alias ?? []).map(String), ip: argv.ip });
      return 0;
    }
    case 'disconnect': {
      await g.disconnectNetwork(String(argv.network), String(argv.container), { force: argv.force });
      return 0;
    }
    case 'create': {
      const n = await g.createNetwork(names[0], { driver: argv.driver, subnet: argv.subnet, gateway: argv.gateway, internal: argv.internal, labels: argv.label });
      process.stdout.write(`${n.Id}\n`);
      return 0;
    }
    case 'ls':
    case 'list': {
      const all = (await g.networks()).sort((a, b) => a.Name.localeCompare(b.Name));
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
          const n = await g.inspectNetwork(name);
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
          await g.removeNetwork(name);
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
      const removed = await g.pruneNetworks();
      if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.join('\n')}\n\n`);
      return 0;
    }
  }
}
