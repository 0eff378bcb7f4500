import type { Argv, Options } from 'yargs';
import { Gocker, GockerError, type AttachedEnd, type Attachment } from '../../lib/index';
import { terminalIn, useTerminal } from '../terminal';
import { engineOptions, type GlobalArgs } from '../types';
import { resolveEnv } from '../runflags';
import { SignalProxy } from '../sigproxy';

// As run: main() learns from this table where the container's name ends and the command begins.
export const OPTIONS: Record<string, Options> = {
  'interactive': { alias: 'i', type: 'boolean', describe: 'Keep STDIN open' },
  'tty': { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' },
  'detach': { alias: 'd', type: 'boolean', describe: 'Detached mode: run command in the background' },
  'env': { alias: 'e', type: 'string', array: true, describe: 'Set environment variables' },
  'workdir': { alias: 'w', type: 'string', describe: 'Working directory inside the container' },
  'user': { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  'privileged': { type: 'boolean', describe: 'Give extended privileges to the command' },
  'detach-keys': { type: 'string', describe: 'Override the key sequence for detaching a container' },
};

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('container', { type: 'string', demandOption: true })
    .positional('command', { type: 'string', array: true })
    .options(OPTIONS);
}

type ExecArgs = GlobalArgs & { _?: Array<string | number>; container: string; interactive?: boolean; tty?: boolean; detach?: boolean; env?: string[]; workdir?: string; user?: string; privileged?: boolean; detachKeys?: string };

export async function handler(argv: ExecArgs): Promise<number> {
  // As run's: a store that cannot be opened is exec's error as any other.
  const g = new Gocker(engineOptions(argv));
  const c = g.container(String(argv.container));
  // docker's CLI looks the container up first, so that a missing one is the error said.
  if (!argv.detach && argv.interactive && argv.tty && !process.stdin.isTTY) {
    c.inspect();
    if (!terminalIn(argv)) return 1;
  }
  const command = (argv._ ?? []).slice(1).map(String);
  const opts = { interactive: argv.interactive, tty: argv.tty, env: argv.env && resolveEnv(argv.env), workingDir: argv.workdir, user: argv.user, privileged: argv.privileged };
  let r: AttachedEnd;
  if (argv.detach) {
    r = await c.execDetached(command, opts);
  } else {
    // -t: this terminal, through the socket the exec's monitor serves (as run -it), so that
    // the detach keys leave the command running.
    let restore = (): void => undefined;
    const terminal = argv.tty ? {
      stdin: process.stdin, stdout: process.stdout,
      onAttached: (a: Attachment) => {
        restore = useTerminal(a, true);
      },
    } : undefined;
    // Attached, the signals this process gets go to the command (docker's sig-proxy).
    const proxy = new SignalProxy();
    try {
      r = await c.execAttached(command, { ...opts, terminal, detachKeys: argv.detachKeys, onSignals: (t) => proxy.attach(t) });
    } finally {
      proxy.stop();
      restore();
    }
  }
  // Started with -d, or detached with the detach keys: the command runs on, and exec says
  // nothing (as docker).
  if (r.detached) return 0;
  // exec -d: a command that could not start is the daemon's refusal of the exec's start, said
  // with its prefix, exit 1, as docker's.
  if (argv.detach && r.error) throw new GockerError(r.error, { exitCode: 1 });
  // As docker's attached exec: why the command could not start, bare (the engine's refusals
  // before it, such as a paused container, are thrown and said as the daemon's).
  if (r.error) process.stderr.write(`${r.error}\n`);
  return r.exitCode;
}
