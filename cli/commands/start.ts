import type { Argv } from 'yargs';
import { errorLine, type AttachEnd } from '../../lib/index';
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
  const failed: string[] = [];
  for (const c of argv.containers) {
    try {
      const container = g.container(String(c));
      const rec = container.inspect();
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
      failed.push(String(c));
    }
  }
  // docker's CLI (28) ends a start without -a that failed for any with the list of those.
  if (failed.length && !(argv.attach || argv.interactive)) process.stderr.write(`Error: failed to start containers: ${failed.join(', ')}\n`);
  return code;
}
