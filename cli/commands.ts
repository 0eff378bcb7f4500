// The command table. Modules are required lazily so `gocker run` does not pay for
// loading every other command (start time is a benchmark target).

export interface CommandEntry {
  /** yargs command string, e.g. 'run <image> [command..]' */
  command: string;
  aliases?: string[];
  describe: string;
  /** path of the module under cli/commands, without extension */
  module: string;
  /**
   * docker's `run IMAGE COMMAND...` shape: everything after the image is the container's,
   * flags included. The module exports OPTIONS so main() knows which flags take values.
   */
  passthrough?: boolean;
}

export const COMMANDS: CommandEntry[] = [
  { command: 'pull <name>', describe: 'Download an image from a registry', module: 'pull' },
  { command: 'login [server]', describe: 'Log in to a registry', module: 'login' },
  { command: 'logout [server]', describe: 'Log out from a registry', module: 'logout' },
  { command: 'images [repository]', describe: 'List images', module: 'images' },
  { command: 'tag <source> <target>', describe: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', module: 'tag' },
  { command: 'rmi <images..>', describe: 'Remove one or more images', module: 'rmi' },
  { command: 'history <image>', describe: 'Show the history of an image', module: 'history' },
  { command: 'image <action> [images..]', describe: 'Manage images (inspect, prune)', module: 'image' },
  { command: 'import <file> [reference]', describe: 'Import the contents from a tarball to create a filesystem image', module: 'import' },
  { command: 'save <images..>', describe: 'Save one or more images to a tar archive (streamed to STDOUT by default)', module: 'save' },
  { command: 'load', describe: 'Load an image from a tar archive or STDIN', module: 'load' },
  { command: 'run <image> [command..]', describe: 'Create and run a new container from an image', module: 'run', passthrough: true },
  { command: 'create <image> [command..]', describe: 'Create a new container', module: 'create', passthrough: true },
  { command: 'exec <container> [command..]', describe: 'Execute a command in a running container', module: 'exec', passthrough: true },
  { command: 'ps', describe: 'List containers', module: 'ps' },
  { command: 'logs <container>', describe: 'Fetch the logs of a container', module: 'logs' },
  { command: 'inspect <containers..>', describe: 'Return low-level information on containers', module: 'inspect' },
  { command: 'stop <containers..>', describe: 'Stop one or more running containers', module: 'stop' },
  { command: 'kill <containers..>', describe: 'Kill one or more running containers', module: 'kill' },
  { command: 'wait <containers..>', describe: 'Block until containers stop, then print their exit codes', module: 'wait' },
  { command: 'diff <container>', describe: "Inspect changes to files or directories on a container's filesystem", module: 'diff' },
  { command: 'commit <container> [repository]', describe: "Create a new image from a container's changes", module: 'commit' },
  { command: 'cp <src> <dest>', describe: 'Copy files/folders between a container and the local filesystem', module: 'cp' },
  { command: 'export <container>', describe: "Export a container's filesystem as a tar archive", module: 'export' },
  { command: 'start <containers..>', describe: 'Start one or more created or stopped containers', module: 'start' },
  { command: 'restart <containers..>', describe: 'Restart one or more containers', module: 'restart' },
  { command: 'top <container>', describe: 'Display the running processes of a container', module: 'top' },
  { command: 'stats [containers..]', describe: 'Display a live stream of container(s) resource usage statistics', module: 'stats' },
  { command: 'rm <containers..>', describe: 'Remove one or more containers', module: 'rm' },
  { command: 'system <action>', describe: 'Manage gocker (df: show disk usage)', module: 'system' },
  { command: 'info', describe: 'Display system-wide information', module: 'info' },
  { command: 'version', describe: 'Show the gocker version information', module: 'version' },
];
