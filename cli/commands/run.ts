import type { Argv, Options } from 'yargs';
import { Gocker, checkRestartFlag, familiarString, parseAnyReference, parsePlatform, type Attachment, type Container, type ContainerOptions, type RunAttachedResult } from '../../lib/index';
import { NoSuchImageError } from '../../lib/errors';
import { usageError } from '../dispatch';
import { engineOptions, type GlobalArgs } from '../types';
import { terminalIn, useTerminal } from '../terminal';
import { containerOptionsFromFlags, openCidfile, type CidFile, type ContainerFlagArgs } from '../runflags';
import { SignalProxy } from '../sigproxy';

// One table of flags: the builder declares them, and main() learns from it which flags take
// a value, so it can tell where the image name ends and the container's command begins.
export const OPTIONS: Record<string, Options> = {
  'detach': { alias: 'd', type: 'boolean', describe: 'Run container in background and print container ID' },
  'interactive': { alias: 'i', type: 'boolean', describe: 'Keep STDIN open' },
  'tty': { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' },
  'detach-keys': { type: 'string', describe: 'Override the key sequence for detaching a container' },
  'init': { type: 'boolean', describe: 'Run an init inside the container that forwards signals and reaps processes' },
  'rm': { type: 'boolean', describe: 'Automatically remove the container when it exits' },
  'name': { type: 'string', describe: 'Assign a name to the container' },
  'cidfile': { type: 'string', describe: 'Write the container ID to the file' },
  'entrypoint': { type: 'string', describe: 'Overwrite the default ENTRYPOINT of the image' },
  'env': { alias: 'e', type: 'string', array: true, describe: 'Set environment variables' },
  'env-file': { type: 'string', array: true, describe: 'Read in a file of environment variables' },
  'workdir': { alias: 'w', type: 'string', describe: 'Working directory inside the container' },
  'user': { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  'hostname': { alias: 'h', type: 'string', describe: 'Container host name' },
  'read-only': { type: 'boolean', describe: "Mount the container's root filesystem as read only" },
  'network': { alias: 'net', type: 'string', describe: 'Connect a container to a network (bridge, none, host, a network name, container:NAME)' },
  'network-alias': { alias: 'net-alias', type: 'string', array: true, describe: 'Add network-scoped alias for the container' },
  'ip': { type: 'string', describe: 'IPv4 address (e.g., 172.30.100.104)' },
  'publish': { alias: 'p', type: 'string', array: true, describe: "Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/proto])" },
  'publish-all': { alias: 'P', type: 'boolean', describe: 'Publish all exposed ports to random ports' },
  'expose': { type: 'string', array: true, describe: 'Expose a port or a range of ports' },
  'volume': { alias: 'v', type: 'string', array: true, describe: 'Bind mount a volume (/host:/ctr[:ro], NAME:/ctr[:ro], /ctr)' },
  'mount': { type: 'string', array: true, describe: 'Attach a filesystem mount to the container (type=bind|volume|tmpfs,source=,target=,...)' },
  'tmpfs': { type: 'string', array: true, describe: 'Mount a tmpfs directory (/path[:options])' },
  'cap-add': { type: 'string', array: true, describe: 'Add Linux capabilities' },
  'cap-drop': { type: 'string', array: true, describe: 'Drop Linux capabilities' },
  'privileged': { type: 'boolean', describe: 'Give extended privileges to this container' },
  'security-opt': { type: 'string', array: true, describe: 'Security options (no-new-privileges)' },
  'ulimit': { type: 'string', array: true, describe: 'Ulimit options (name=soft[:hard])' },
  'shm-size': { type: 'string', describe: 'Size of /dev/shm' },
  'memory': { alias: 'm', type: 'string', describe: 'Memory limit' },
  'memory-swap': { type: 'string', describe: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  'cpus': { type: 'string', describe: 'Number of CPUs' },
  'cpu-shares': { alias: 'c', type: 'string', describe: 'CPU shares (relative weight)' },
  'cpuset-cpus': { type: 'string', describe: 'CPUs in which to allow execution (0-3, 0,1)' },
  'pids-limit': { type: 'string', describe: 'Tune container pids limit (set -1 for unlimited)' },
  'log-driver': { type: 'string', describe: 'Logging driver for the container (json-file, none)' },
  'log-opt': { type: 'string', array: true, describe: 'Log driver options (max-size, max-file)' },
  'pull': { type: 'string', describe: 'Pull image before running ("always", "missing", "never")', defaultDescription: 'missing' },
  'quiet': { alias: 'q', type: 'boolean', describe: 'Suppress the pull output' },
  // Config and HostConfig fields (cli/runflags.ts and lib/container/runflags.ts read them).
  'attach': { alias: 'a', type: 'string', array: true, describe: 'Attach to STDIN, STDOUT or STDERR' },
  'label': { alias: 'l', type: 'string', array: true, describe: 'Set meta data on a container' },
  'label-file': { type: 'string', array: true, describe: 'Read in a line delimited file of labels' },
  'add-host': { type: 'string', array: true, describe: 'Add a custom host-to-IP mapping (host:ip)' },
  'dns': { type: 'string', array: true, describe: 'Set custom DNS servers' },
  'dns-search': { type: 'string', array: true, describe: 'Set custom DNS search domains' },
  'dns-option': { type: 'string', array: true, describe: 'Set DNS options' },
  'device': { type: 'string', array: true, describe: 'Add a host device to the container' },
  'device-cgroup-rule': { type: 'string', array: true, describe: 'Add a rule to the cgroup allowed devices list' },
  'pid': { type: 'string', describe: 'PID namespace to use' },
  'ipc': { type: 'string', describe: 'IPC mode to use' },
  'uts': { type: 'string', describe: 'UTS namespace to use' },
  'sysctl': { type: 'string', array: true, describe: 'Sysctl options' },
  'stop-signal': { type: 'string', describe: 'Signal to stop the container' },
  'stop-timeout': { type: 'string', describe: 'Timeout (in seconds) to stop a container' },
  'platform': { type: 'string', describe: 'Set platform if server is multi-platform capable' },
  // restart policies (lib/container/restart.ts)
  'restart': { type: 'string', describe: 'Restart policy to apply when a container exits', defaultDescription: '"no"' },
};

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('image', { type: 'string', demandOption: true })
    .positional('command', { type: 'string', array: true })
    .options(OPTIONS);
}

/** run's and create's argv: the container's flags (runflags.ts), and what run does besides making it. */
export type RunArgs = GlobalArgs & ContainerFlagArgs & {
  _?: Array<string | number>;
  image: string; command?: string[]; pull?: string; quiet?: boolean; detachKeys?: string;
};

/**
 * --restart's format and its conflict with --rm are docker's CLI's own refusals (with the
 * usage hint), made before anything else; what is left (an unknown policy, a count on a
 * policy but on-failure) is the engine's, from the create.
 */
export function checkRestart(argv: RunArgs, command: string): void {
  try {
    checkRestartFlag(argv.restart, !!argv.rm);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EUSAGE') usageError(`gocker: ${(e as Error).message}`, command);
    throw e;
  }
}

const PULL_POLICIES = ['always', 'missing', 'never'];

/** How run and create pull an image: its name, quiet (-q), the --platform given. */
export type Puller = (name: string, quiet: boolean, platform?: string) => Promise<void>;

/** The image into the engine's store as `docker pull` would, its progress on stderr (stdout is the container's). */
export function enginePuller(g: Gocker): Puller {
  return async (name, quiet, platform) => {
    // Loaded only when a run pulls: a run of an image at hand never loads the progress display.
    const { pullProgress } = await import('../progress');
    await g.pull(name, { onEvent: quiet ? undefined : pullProgress(process.stderr), platform: platform ? parsePlatform(platform.toLowerCase()) : undefined });
  };
}

/**
 * What run and create do about the image, as docker's CLI: --pull checked and an invalid
 * reference refused before anything else, then act(); a missing image pulled (missing) and
 * act() again, or refused.
 */
export async function withPull<T>(argv: RunArgs, command: string, pull: Puller, act: () => Promise<T>): Promise<T> {
  const policy = argv.pull || 'missing';
  // docker run says even a flag value's refusal after its own name (docker: ...).
  if (!PULL_POLICIES.includes(policy)) usageError(`gocker: invalid pull option: '${policy}': must be one of "always", "missing" or "never"`, command);
  // docker's CLI reads the reference before anything else: an invalid one is its error, an
  // id (undefined) is never pulled when missing.
  const ref = parseAnyReference(argv.image);
  if (policy === 'always') await pull(argv.image, !!argv.quiet, argv.platform);
  try {
    return await act();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    // EPLATFORM: the image is here, for another --platform; dockerd's not-found, said as it is.
    if (code !== 'ENOIMAGE' && code !== 'EPLATFORM') throw e;
    const shown = ref ? familiarString(ref) : argv.image;
    if (code === 'EPLATFORM' && (!ref || policy !== 'missing')) throw e;
    if (!ref || policy !== 'missing') throw new NoSuchImageError(`No such image: ${shown}`, { exitCode: 125 });
    // As docker's CLI: said on stderr, then the pull's progress there, then the run.
    if (!argv.quiet) process.stderr.write(`Unable to find image '${shown}' locally\n`);
    await pull(argv.image, !!argv.quiet, argv.platform);
    return act();
  }
}

export async function handler(argv: RunArgs): Promise<number> {
  // Not util.ts's engine(): a store that cannot be opened is run's error as any other
  // (`gocker: ...`, 125), as it was before run went through the library.
  const g = new Gocker(engineOptions(argv));
  // main() put '--' after the image: the container's command is verbatim in argv._.
  const command = (argv._ ?? []).slice(1).map(String);
  checkRestart(argv, 'run');
  const pull = enginePuller(g);
  const options = containerOptionsFromFlags(argv);
  // docker's CLI attaches a terminal only to a terminal: -it with stdin redirected is refused
  // before anything is pulled or made (the --cidfile too), bare, exit 1.
  if (!argv.detach && !terminalIn(argv)) return 1;
  const cid = openCidfile(argv.cidfile);
  let failed = true;
  try {
    const code = await runWith(g, argv, command, options, cid, pull);
    failed = false;
    return code;
  } finally {
    cid.done(failed, true);
  }
}

async function runWith(g: Gocker, argv: RunArgs, command: string[], options: ContainerOptions, cid: CidFile, pull: Puller): Promise<number> {
  if (argv.detach) {
    const c: Container = await withPull(argv, 'run', pull, () => g.run(argv.image, command, options, { onCreate: cid.write }));
    process.stdout.write(`${c.id}\n`);
    return 0;
  }
  // -t: this terminal, through the container's attach socket; without, the monitor has this
  // process's stdio.
  let restore = (): void => undefined;
  const terminal = argv.tty ? {
    stdin: process.stdin,
    stdout: process.stdout,
    onAttached: (a: Attachment) => {
      // Raw with -t alone too, as gocker's monitor had it: its output unchanged by this terminal.
      restore = useTerminal(a, true);
    },
  } : undefined;
  // The signals this process gets go to the container, from the moment its monitor exists.
  const proxy = new SignalProxy();
  let r: RunAttachedResult;
  try {
    r = await withPull(argv, 'run', pull, () => g.runAttached(argv.image, command, { ...options, terminal, detachKeys: argv.detachKeys }, {
      onSignals: (t) => proxy.attach(t), onCreate: cid.write,
    }));
  } finally {
    proxy.stop();
    restore();
  }
  // Detached with the detach keys: the container runs on, and run says nothing (as docker).
  if (r.detached) return 0;
  if (r.error) process.stderr.write(`gocker: ${r.error}\n`);
  return r.exitCode;
}
