import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { GockerOptions, LogLevel, StorageDriver } from '../lib/options';

/** Options every command takes. */
export interface GlobalArgs {
  root?: string;
  runroot?: string;
  logLevel?: LogLevel;
  storageDriver?: StorageDriver;
}

/** The engine's options the global flags give (new Gocker(engineOptions(argv))). */
export function engineOptions(argv: GlobalArgs): GockerOptions {
  // No exit handoff: the CLI ends with its command, before most of its containers exit.
  return { root: argv.root, runroot: argv.runroot, logLevel: argv.logLevel, storageDriver: argv.storageDriver, exitHandoff: false };
}

/** What each cli/commands/*.ts exports. Loaded only when its command runs. */
export interface CommandModule<A = Record<string, unknown>> {
  builder(y: Argv<GlobalArgs>): Argv<GlobalArgs & A>;
  handler(argv: ArgumentsCamelCase<GlobalArgs & A>): Promise<number | void> | number | void;
}
