import type { Argv } from 'yargs';
import { GockerError, errorLine, type AttachEnd } from '../../lib/index';
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
  let code = 0;
  for (const c of argv.containers) {
    try {
      const container = g.container(String(c));
      const rec = container.inspect();
      if (rec.State.Paused) throw new GockerError('cannot start a paused container, try unpause instead', { exitCode: 1 });
      // -i attaches as -a does, stdin too (docker's start -i).
      if (!(argv.attach || argv.interactive)) {
        await container.start();
        process.stdout.write(`${c}\n`);
        continue;
      }
      let restore = (): void => undefined;
      let end: AttachEnd;
      try {
        end = await container.startAttached({
          stdin: argv.interactive ? process.stdin : undefined, stdout: process.stdout, stderr: process.stderr, detachKeys: argv.detachKeys,
          onAttached: (a) => {
            restore = rec.Config.Tty ? useTerminal(a, !!argv.interactive) : restore;
          },
        });
      } finally {
        restore();
      }
      code = end.detached ? 0 : end.exitCode;
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
