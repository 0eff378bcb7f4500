import type { Argv } from 'yargs';
import { find } from '../../lib/container/lifecycle';
import { Runner, type AttachIo, type RunResult } from '../../lib/container/run';
import { GockerError, errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { useTerminal } from '../terminal';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('attach', { alias: 'a', type: 'boolean', describe: "Attach STDOUT/STDERR and forward signals" })
    .option('interactive', { alias: 'i', type: 'boolean', describe: "Attach container's STDIN" })
    .option('detach-keys', { type: 'string', describe: 'Override the key sequence for detaching a container' });
}

export async function handler(argv: GlobalArgs & { containers: string[]; attach?: boolean; interactive?: boolean; detachKeys?: string }): Promise<number> {
  const g = engine(argv);
  const runner = new Runner(g.paths, g.store);
  let code = 0;
  for (const c of argv.containers) {
    try {
      if (find(g.paths, String(c)).State.Paused) throw new GockerError('cannot start a paused container, try unpause instead', { exitCode: 1 });
      // -i attaches as -a does, stdin too (docker's start -i).
      const attached = !!(argv.attach || argv.interactive);
      let restore = (): void => undefined;
      const io: AttachIo = {
        stdin: process.stdin, stdout: process.stdout, stderr: process.stderr,
        onAttached: (a) => {
          restore = find(g.paths, String(c)).Config.Tty ? useTerminal(a, !!argv.interactive) : restore;
        },
      };
      let r: RunResult;
      try {
        r = await runner.start(String(c), { attach: attached, interactive: argv.interactive, io, detachKeys: argv.detachKeys });
      } finally {
        restore();
      }
      if (r.error) throw new Error(r.error);
      if (attached) code = r.detached ? 0 : r.exitCode;
      else process.stdout.write(`${c}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
