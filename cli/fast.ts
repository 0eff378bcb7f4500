// `run` and `exec`, the commands whose start users feel, without yargs (about a quarter of the
// CLI's start-up) and without the other commands: bundled on their own (cli/bundle.ts), so a
// container's start reads and loads only what it runs. Their flags are parsed from the same
// OPTIONS table the yargs builder declares (cli/fastparse.ts); anything unusual (--help, an
// unknown flag, a missing value) is left to the whole CLI, with its own messages.
import type { Options } from 'yargs';
import { COMMANDS } from './commands';
import * as execCommand from './commands/exec';
import * as runCommand from './commands/run';
import { checkGlobalFlags, commandWord, report, runHandler } from './dispatch';
import { fastParse } from './fastparse';
import type { GlobalArgs } from './types';

const MODULES: Record<string, { OPTIONS: Record<string, Options>; handler(argv: never): Promise<number> }> = { run: runCommand, exec: execCommand };

/** Runs the command line if it is one of these commands in a form fastParse reads; false if not. */
export async function fast(args: string[]): Promise<boolean> {
  const first = commandWord(args);
  const entry = COMMANDS.find((c) => c.passthrough && c.command.split(' ')[0] === first);
  const mod = entry && MODULES[entry.module];
  if (!entry || !mod || checkGlobalFlags(args, first)) return false;
  const parsed = fastParse(args, first!, entry.command.split(' ')[1].replace(/[<>]/g, ''), mod.OPTIONS);
  if (!parsed) return false;
  await runHandler(parsed as GlobalArgs, () => mod.handler(parsed as never), first);
  return true;
}

/** The bundle's entry (cli/gocker.ts): otherwise() runs the whole CLI. */
export function cliFast(args: string[], otherwise: () => void): void {
  fast(args).then((done) => done || otherwise(), (e: unknown) => process.exit(report(e, commandWord(args))));
}
