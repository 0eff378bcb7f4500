import { execFileSync } from 'node:child_process';
import type { Argv } from 'yargs';
import { cgroupManager } from '../../lib/cgroups';
import { find } from '../../lib/container/lifecycle';
import { GockerError } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('container', { type: 'string', demandOption: true });
}

/** As docker: the host's ps, limited to the processes in the container's cgroup. */
export function handler(argv: GlobalArgs & { container: string }): void {
  const rec = find(engine(argv).paths, argv.container);
  if (!rec.State.Running) throw new GockerError(`container ${rec.Id} is not running`, { exitCode: 1 });
  const pids = cgroupManager().open(rec.CgroupPath).pids();
  process.stdout.write(execFileSync('ps', ['-o', 'uid,pid,ppid,c,stime,tty,time,cmd', '-p', pids.join(',')]).toString());
}
