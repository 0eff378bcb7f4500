// The command table. Modules are required lazily so `gocker run` does not pay for
// loading every other command (start time is a benchmark target).

export interface CommandEntry {
  /** yargs command string, e.g. 'run <image> [command..]' */
  command: string;
  aliases?: string[];
  describe: string;
  /** path of the module under cli/commands, without extension */
  module: string;
  /** docker's usage line after `gocker `, e.g. 'rm [OPTIONS] CONTAINER [CONTAINER...]' */
  usage?: string;
  /**
   * docker's `run IMAGE COMMAND...` shape: everything after the image is the container's,
   * flags included. The module exports OPTIONS so main() knows which flags take values.
   */
  passthrough?: boolean;
  /** only as a management command's subcommand (`gocker image prune`): no top-level form */
  managementOnly?: boolean;
  /** the module's `subcommands[part]` instead of the module itself (volume, network) */
  part?: string;
}

export const COMMANDS: CommandEntry[] = [
  { command: 'pull <name>', describe: 'Download an image from a registry', module: 'pull', usage: 'pull [OPTIONS] NAME[:TAG|@DIGEST]' },
  { command: 'push <name>', describe: 'Upload an image to a registry', module: 'push', usage: 'push [OPTIONS] NAME[:TAG]' },
  { command: 'login [server]', describe: 'Log in to a registry', module: 'login', usage: 'login [OPTIONS] [SERVER]' },
  { command: 'logout [server]', describe: 'Log out from a registry', module: 'logout', usage: 'logout [SERVER]' },
  { command: 'images [repository]', describe: 'List images', module: 'images', usage: 'images [OPTIONS] [REPOSITORY[:TAG]]' },
  { command: 'tag <source> <target>', describe: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', module: 'tag', usage: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]' },
  { command: 'rmi <images..>', describe: 'Remove one or more images', module: 'rmi', usage: 'rmi [OPTIONS] IMAGE [IMAGE...]' },
  { command: 'history <image>', describe: 'Show the history of an image', module: 'history', usage: 'history [OPTIONS] IMAGE' },
  { command: 'image-inspect <images..>', describe: 'Display detailed information on one or more images', module: 'image-inspect', usage: 'inspect [OPTIONS] IMAGE [IMAGE...]', managementOnly: true },
  { command: 'image-prune', describe: 'Remove unused images', module: 'image-prune', usage: 'prune [OPTIONS]', managementOnly: true },
  { command: 'import <file> [reference]', describe: 'Import the contents from a tarball to create a filesystem image', module: 'import', usage: 'import [OPTIONS] file|- [REPOSITORY[:TAG]]' },
  { command: 'save <images..>', describe: 'Save one or more images to a tar archive (streamed to STDOUT by default)', module: 'save', usage: 'save [OPTIONS] IMAGE [IMAGE...]' },
  { command: 'load', describe: 'Load an image from a tar archive or STDIN', module: 'load', usage: 'load [OPTIONS]' },
  { command: 'run <image> [command..]', describe: 'Create and run a new container from an image', module: 'run', usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]', passthrough: true },
  { command: 'create <image> [command..]', describe: 'Create a new container', module: 'create', usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]', passthrough: true },
  { command: 'exec <container> [command..]', describe: 'Execute a command in a running container', module: 'exec', usage: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]', passthrough: true },
  { command: 'ps', describe: 'List containers', module: 'ps', usage: 'ps [OPTIONS]' },
  { command: 'logs <container>', describe: 'Fetch the logs of a container', module: 'logs', usage: 'logs [OPTIONS] CONTAINER' },
  { command: 'inspect <containers..>', describe: 'Return low-level information on containers and images', module: 'inspect', usage: 'inspect [OPTIONS] NAME|ID [NAME|ID...]' },
  { command: 'container-inspect <containers..>', describe: 'Display detailed information on one or more containers', module: 'container-inspect', usage: 'inspect [OPTIONS] CONTAINER [CONTAINER...]', managementOnly: true },
  { command: 'stop <containers..>', describe: 'Stop one or more running containers', module: 'stop', usage: 'stop [OPTIONS] CONTAINER [CONTAINER...]' },
  { command: 'kill <containers..>', describe: 'Kill one or more running containers', module: 'kill', usage: 'kill [OPTIONS] CONTAINER [CONTAINER...]' },
  { command: 'pause <containers..>', describe: 'Pause all processes within one or more containers', module: 'pause', usage: 'pause CONTAINER [CONTAINER...]' },
  { command: 'unpause <containers..>', describe: 'Unpause all processes within one or more containers', module: 'unpause', usage: 'unpause CONTAINER [CONTAINER...]' },
  { command: 'rename <container> <name>', describe: 'Rename a container', module: 'rename', usage: 'rename CONTAINER NEW_NAME' },
  { command: 'update <containers..>', describe: 'Update configuration of one or more containers', module: 'update', usage: 'update [OPTIONS] CONTAINER [CONTAINER...]' },
  { command: 'wait <containers..>', describe: 'Block until one or more containers stop, then print their exit codes', module: 'wait', usage: 'wait [OPTIONS] CONTAINER [CONTAINER...]' },
  { command: 'diff <container>', describe: "Inspect changes to files or directories on a container's filesystem", module: 'diff', usage: 'diff CONTAINER' },
  { command: 'commit <container> [repository]', describe: "Create a new image from a container's changes", module: 'commit', usage: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]' },
  { command: 'cp <src> <dest>', describe: 'Copy files/folders between a container and the local filesystem', module: 'cp', usage: 'cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tgocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH' },
  { command: 'export <container>', describe: "Export a container's filesystem as a tar archive", module: 'export', usage: 'export [OPTIONS] CONTAINER' },
  { command: 'attach <container>', describe: "Attach local standard input, output, and error streams to a running container", module: 'attach', usage: 'attach [OPTIONS] CONTAINER' },
  { command: 'start <containers..>', describe: 'Start one or more stopped containers', module: 'start', usage: 'start [OPTIONS] CONTAINER [CONTAINER...]' },
  { command: 'restart <containers..>', describe: 'Restart one or more containers', module: 'restart', usage: 'restart [OPTIONS] CONTAINER [CONTAINER...]' },
  { command: 'port <container> [port]', describe: 'List port mappings or a specific mapping for the container', module: 'port', usage: 'port CONTAINER [PRIVATE_PORT[/PROTO]]' },
  { command: 'top <container>', describe: 'Display the running processes of a container', module: 'top', usage: 'top CONTAINER' },
  { command: 'stats [containers..]', describe: 'Display a live stream of container(s) resource usage statistics', module: 'stats', usage: 'stats [OPTIONS] [CONTAINER...]' },
  { command: 'rm <containers..>', describe: 'Remove one or more containers', module: 'rm', usage: 'rm [OPTIONS] CONTAINER [CONTAINER...]' },
  { command: 'container-prune', describe: 'Remove all stopped containers', module: 'container-prune', usage: 'prune [OPTIONS]', managementOnly: true },
  { command: 'volume-create [volumeName]', describe: 'Create a volume', module: 'volume', part: 'create', usage: 'create [OPTIONS] [VOLUME]', managementOnly: true },
  { command: 'volume-ls', describe: 'List volumes', module: 'volume', part: 'ls', usage: 'ls [OPTIONS]', managementOnly: true },
  { command: 'volume-inspect <volumes..>', describe: 'Display detailed information on one or more volumes', module: 'volume', part: 'inspect', usage: 'inspect [OPTIONS] VOLUME [VOLUME...]', managementOnly: true },
  { command: 'volume-rm <volumes..>', describe: 'Remove one or more volumes', module: 'volume', part: 'rm', usage: 'rm [OPTIONS] VOLUME [VOLUME...]', managementOnly: true },
  { command: 'volume-prune', describe: 'Remove unused local volumes', module: 'volume', part: 'prune', usage: 'prune [OPTIONS]', managementOnly: true },
  { command: 'network-connect <network> <container>', describe: 'Connect a container to a network', module: 'network', part: 'connect', usage: 'connect [OPTIONS] NETWORK CONTAINER', managementOnly: true },
  { command: 'network-create <names..>', describe: 'Create a network', module: 'network', part: 'create', usage: 'create [OPTIONS] NETWORK', managementOnly: true },
  { command: 'network-ls', describe: 'List networks', module: 'network', part: 'ls', usage: 'ls [OPTIONS]', managementOnly: true },
  { command: 'network-disconnect <network> <container>', describe: 'Disconnect a container from a network', module: 'network', part: 'disconnect', usage: 'disconnect [OPTIONS] NETWORK CONTAINER', managementOnly: true },
  { command: 'network-inspect <names..>', describe: 'Display detailed information on one or more networks', module: 'network', part: 'inspect', usage: 'inspect [OPTIONS] NETWORK [NETWORK...]', managementOnly: true },
  { command: 'network-rm <names..>', describe: 'Remove one or more networks', module: 'network', part: 'rm', usage: 'rm NETWORK [NETWORK...]', managementOnly: true },
  { command: 'network-prune', describe: 'Remove all unused networks', module: 'network', part: 'prune', usage: 'prune [OPTIONS]', managementOnly: true },
  { command: 'system <action>', describe: 'Manage gocker (df: show disk usage)', module: 'system', usage: 'system df [OPTIONS]' },
  { command: 'events', describe: 'Get real time events from the server', module: 'events', usage: 'events [OPTIONS]' },
  { command: 'info', describe: 'Display system-wide information', module: 'info', usage: 'info [OPTIONS]' },
  { command: 'version', describe: 'Show the gocker version information', module: 'version', usage: 'version [OPTIONS]' },
];

export interface Subcommand {
  name: string;
  aliases?: string[];
  /** the COMMANDS entry it runs, by its first word */
  target: string;
}

export interface ManagementCommand {
  name: string;
  describe: string;
  subcommands: Subcommand[];
}

/**
 * docker's management commands: `gocker container ls` runs what `gocker ps` runs. A
 * subcommand whose target is not (yet) in COMMANDS is not offered.
 */
export const MANAGEMENT: ManagementCommand[] = [
  {
    name: 'container',
    describe: 'Manage containers',
    subcommands: [
      { name: 'attach', target: 'attach' }, { name: 'commit', target: 'commit' }, { name: 'cp', target: 'cp' },
      { name: 'create', target: 'create' }, { name: 'diff', target: 'diff' }, { name: 'exec', target: 'exec' },
      { name: 'export', target: 'export' }, { name: 'inspect', target: 'container-inspect' }, { name: 'kill', target: 'kill' },
      { name: 'logs', target: 'logs' }, { name: 'ls', aliases: ['list', 'ps'], target: 'ps' }, { name: 'pause', target: 'pause' },
      { name: 'port', target: 'port' }, { name: 'prune', target: 'container-prune' }, { name: 'rename', target: 'rename' },
      { name: 'restart', target: 'restart' }, { name: 'rm', aliases: ['remove'], target: 'rm' }, { name: 'run', target: 'run' },
      { name: 'start', target: 'start' }, { name: 'stats', target: 'stats' }, { name: 'stop', target: 'stop' },
      { name: 'top', target: 'top' }, { name: 'unpause', target: 'unpause' }, { name: 'update', target: 'update' },
      { name: 'wait', target: 'wait' },
    ],
  },
  {
    name: 'image',
    describe: 'Manage images',
    subcommands: [
      { name: 'history', target: 'history' }, { name: 'import', target: 'import' }, { name: 'inspect', target: 'image-inspect' },
      { name: 'load', target: 'load' }, { name: 'ls', aliases: ['list'], target: 'images' }, { name: 'prune', target: 'image-prune' },
      { name: 'pull', target: 'pull' }, { name: 'push', target: 'push' }, { name: 'rm', aliases: ['remove'], target: 'rmi' },
      { name: 'save', target: 'save' }, { name: 'tag', target: 'tag' },
    ],
  },
  {
    name: 'network',
    describe: 'Manage networks',
    subcommands: [
      { name: 'connect', target: 'network-connect' }, { name: 'create', target: 'network-create' },
      { name: 'disconnect', target: 'network-disconnect' }, { name: 'inspect', target: 'network-inspect' },
      { name: 'ls', aliases: ['list'], target: 'network-ls' }, { name: 'prune', target: 'network-prune' },
      { name: 'rm', aliases: ['remove'], target: 'network-rm' },
    ],
  },
  {
    name: 'volume',
    describe: 'Manage volumes',
    subcommands: [
      { name: 'create', target: 'volume-create' }, { name: 'inspect', target: 'volume-inspect' },
      { name: 'ls', aliases: ['list'], target: 'volume-ls' }, { name: 'prune', target: 'volume-prune' },
      { name: 'rm', aliases: ['remove'], target: 'volume-rm' },
    ],
  },
];

export const nameOf = (e: CommandEntry): string => e.command.split(' ')[0];

export function entryNamed(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => nameOf(c) === name);
}

/** A management command's subcommands whose command exists. */
export function subcommandsOf(m: ManagementCommand): Subcommand[] {
  return m.subcommands.filter((s) => entryNamed(s.target));
}

/** Every way to name a command, as docker's help lists them: `gocker container ls, ..., gocker ps`. */
export function commandPaths(entry: CommandEntry): string[] {
  const name = nameOf(entry);
  const paths: string[] = [];
  for (const m of MANAGEMENT) {
    for (const s of m.subcommands) if (s.target === name) paths.push(...[s.name, ...(s.aliases ?? [])].map((n) => `${m.name} ${n}`));
  }
  if (!entry.managementOnly) paths.push(name, ...(entry.aliases ?? []));
  return paths;
}
