import type { Argv } from 'yargs';
import { find, listContainers } from '../../lib/container/lifecycle';
import { sampleStats } from '../../lib/container/stats';
import type { GlobalArgs } from '../types';
import { engine, table } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true })
    .option('no-stream', { type: 'boolean', describe: 'Disable streaming stats and only pull the first result' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' });
}

/** docker's sizes: %.{precision}g of a unit of 1024 (binary) or 1000. */
function size(bytes: number, binary: boolean, precision: number): string {
  const units = binary ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'kB', 'MB', 'GB', 'TB'];
  const base = binary ? 1024 : 1000;
  let v = bytes;
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  return `${Number(v.toPrecision(precision))}${units[i]}`;
}

export async function handler(argv: GlobalArgs & { containers?: string[]; noStream?: boolean; noTrunc?: boolean; all?: boolean }): Promise<void> {
  const g = engine(argv);
  const recs = argv.containers?.length ? argv.containers.map((c) => find(g.paths, String(c))) : await listContainers(g.paths, !!argv.all);
  for (;;) {
    const rows = (await sampleStats(recs)).map((s) => [
      argv.noTrunc ? s.id : s.id.slice(0, 12), s.name, `${s.cpuPercent.toFixed(2)}%`,
      `${size(s.memoryUsage, true, 4)} / ${size(s.memoryLimit, true, 4)}`, `${s.memoryPercent.toFixed(2)}%`,
      `${size(s.netRx, false, 3)} / ${size(s.netTx, false, 3)}`, `${size(s.blockRead, false, 3)} / ${size(s.blockWrite, false, 3)}`, String(s.pids),
    ]);
    process.stdout.write(table(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'], rows));
    if (argv.noStream) return;
    await new Promise((res) => setTimeout(res, 900));
  }
}
