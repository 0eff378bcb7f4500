import type { Argv } from 'yargs';
import { InvalidOptionError, OptionSyntaxError, checkUpdateOptions, errorLine, type UpdateOptions } from '../../lib/index';
import { ClientError, errorText, usageError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('memory', { alias: 'm', type: 'string', describe: 'Memory limit' })
    .option('memory-swap', { type: 'string', describe: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" })
    .option('cpus', { type: 'string', describe: 'Number of CPUs' })
    .option('cpu-shares', { alias: 'c', type: 'string', describe: 'CPU shares (relative weight)' })
    .option('cpuset-cpus', { type: 'string', describe: 'CPUs in which to allow execution (0-3, 0,1)' })
    .option('pids-limit', { type: 'string', describe: 'Tune container pids limit (set -1 for unlimited)' })
    .option('restart', { type: 'string', describe: 'Restart policy to apply when a container exits' });
}

type UpdateArgs = GlobalArgs & { containers: string[]; memory?: string; memorySwap?: string; cpus?: string; cpuShares?: string; cpusetCpus?: string; pidsLimit?: string; restart?: string };

export async function handler(argv: UpdateArgs): Promise<number> {
  const given = [argv.memory, argv.memorySwap, argv.cpus, argv.cpuShares, argv.cpusetCpus, argv.pidsLimit, argv.restart].filter((v) => v !== undefined);
  if (!given.length) throw new ClientError('you must provide one or more flags when using this command');
  const opts: UpdateOptions = {
    memory: argv.memory, memorySwap: argv.memorySwap, cpus: argv.cpus, cpuShares: argv.cpuShares, cpusetCpus: argv.cpusetCpus, pidsLimit: argv.pidsLimit, restart: argv.restart,
  };
  let refused: unknown;
  try {
    checkUpdateOptions(opts);
  } catch (e) {
    // --restart's format is the CLI's to refuse; the policy itself the daemon's, per container.
    if (e instanceof InvalidOptionError && e.option === 'restart') throw new ClientError(e.message);
    // A value that does not parse is the flag's (docker's CLI refuses it); a limit out of
    // range the daemon's, said for each container below.
    if (e instanceof OptionSyntaxError) usageError(errorLine(e), 'update');
    refused = e;
  }
  const g = engine(argv);
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const c of argv.containers.map(String)) {
    try {
      if (refused) throw refused;
      warnings.push(...(await g.container(c).update(opts)).warnings);
      process.stdout.write(`${c}\n`);
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  if (warnings.length) process.stdout.write(`${warnings.join('\n')}\n`);
  if (errors.length) process.stderr.write(`${errors.join('\n')}\n`);
  return errors.length ? 1 : 0;
}
