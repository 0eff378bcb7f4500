import type { Argv } from 'yargs';
import { cgroupManager } from '../../lib/cgroups';
import { containers, find } from '../../lib/container/lifecycle';
import type { GlobalArgs } from '../types';
import { engine, table } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true })
    .option('no-stream', { type: 'boolean', describe: 'Disable streaming stats and only pull the first result' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' });
}

const mib = (b: number): string => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(2)}GiB` : `${(b / 1024 ** 2).toFixed(2)}MiB`);

/** One sample a tenth of a second apart for CPU %, from the cgroups (docker reads the same files). */
export async function handler(argv: GlobalArgs & { containers?: string[]; noStream?: boolean; all?: boolean }): Promise<void> {
  const g = engine(argv);
  const recs = argv.containers?.length ? argv.containers.map((c) => find(g.paths, String(c))) : containers(g.paths, !!argv.all);
  const mgr = cgroupManager();
  const totalMem = require('node:os').totalmem() as number;
  do {
    const first = recs.map((r) => ({ r, cg: mgr.open(r.CgroupPath), s: mgr.open(r.CgroupPath).stats(), t: process.hrtime.bigint() }));
    await new Promise((res) => setTimeout(res, 100));
    const rows = first.map(({ r, cg, s, t }) => {
      const s2 = cg.stats();
      const cpu = (s2.cpuUsageNs - s.cpuUsageNs) / Number(process.hrtime.bigint() - t) * 100;
      const limit = s2.memoryLimit && s2.memoryLimit < totalMem ? s2.memoryLimit : totalMem;
      return [r.Id.slice(0, 12), r.Name.slice(1), `${cpu.toFixed(2)}%`, `${mib(s2.memoryUsage)} / ${mib(limit)}`, `${((s2.memoryUsage / limit) * 100).toFixed(2)}%`, String(s2.pids)];
    });
    process.stdout.write(table(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'], rows));
  } while (!argv.noStream && (await new Promise((res) => setTimeout(res, 900)), true));
}
