import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { handler as inspect } from './inspect';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template' });
}

/** `gocker container inspect`: containers only, as docker's. */
export function handler(argv: GlobalArgs & { containers: string[]; format?: string }): number {
  return inspect({ ...argv, type: 'container' });
}
