import type { Argv } from 'yargs';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { useTerminal } from '../terminal';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('container', { type: 'string', demandOption: true })
    .option('no-stdin', { type: 'boolean', describe: 'Do not attach STDIN' })
    .option('sig-proxy', { type: 'boolean', default: true, describe: 'Proxy all received signals to the process' })
    .option('detach-keys', { type: 'string', describe: 'Override the key sequence for detaching a container' });
}

type AttachArgs = GlobalArgs & { container: string; noStdin?: boolean; sigProxy?: boolean; detachKeys?: string };

// What docker's CLI passes on with --sig-proxy (all it can catch; these are the ones a user sends).
const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export async function handler(argv: AttachArgs): Promise<number> {
  const g = engine(argv);
  const c = g.container(argv.container);
  const rec = c.inspect();
  const tty = rec.Config.Tty;
  const input = !argv.noStdin && rec.Config.OpenStdin;
  // docker's CLI checks this before it attaches: a terminal's keys need a terminal.
  if (tty && !argv.noStdin && !process.stdin.isTTY) throw new ClientError('the input device is not a TTY');
  const a = await c.attach({
    stdin: input ? process.stdin : undefined,
    stdout: process.stdout,
    stderr: tty ? undefined : process.stderr,
    detachKeys: argv.detachKeys,
  });
  const restore = tty ? useTerminal(a, input) : () => undefined;
  // Without a tty, a signal this process gets goes to the container (with one, ^C is a byte
  // on its terminal), as docker's --sig-proxy.
  const proxy = (sig: NodeJS.Signals): void => {
    c.kill(sig).catch(() => undefined);
  };
  const proxied = !tty && argv.sigProxy !== false ? PROXIED : [];
  for (const s of proxied) process.on(s, proxy);
  try {
    const end = await a.done;
    restore();
    // docker's attach says the detach as its error, exit 1 (run and start say nothing).
    if (end.detached) {
      process.stderr.write('read escape sequence\n');
      return 1;
    }
    return end.exitCode;
  } finally {
    restore();
    for (const s of proxied) process.off(s, proxy);
  }
}
