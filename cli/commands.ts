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
  { command: 'info', describe: 'Display system-wide information', module: 'info' },
  { command: 'version', describe: 'Show the gocker version information', module: 'version' },
];
