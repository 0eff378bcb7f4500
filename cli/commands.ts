// The command table. Modules are required lazily so `gocker run` does not pay for
// loading every other command (start time is a benchmark target).

export interface CommandEntry {
  /** yargs command string, e.g. 'run <image> [command..]' */
  command: string;
  aliases?: string[];
  describe: string;
  /** path of the module under cli/commands, without extension */
  module: string;
}

export const COMMANDS: CommandEntry[] = [
  { command: 'images [repository]', describe: 'List images', module: 'images' },
  { command: 'import <file> [reference]', describe: 'Import the contents from a tarball to create a filesystem image', module: 'import' },
  { command: 'load', describe: 'Load an image from a tar archive or STDIN', module: 'load' },
  { command: 'info', describe: 'Display system-wide information', module: 'info' },
  { command: 'version', describe: 'Show the gocker version information', module: 'version' },
];
