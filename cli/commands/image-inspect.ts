import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine } from '../util';
import { printInspected } from './inspect';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('images', { type: 'string', array: true, demandOption: true })
    .option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template' });
}

/** `gocker image inspect`: images only, as docker's. */
export function handler(argv: GlobalArgs & { images: string[]; format?: string | string[] }): number {
  let opened: ReturnType<typeof engine> | undefined;
  return printInspected(argv.images.map(String), argv.format, (name) => (opened ??= engine(argv)).inspectImage(name));
}
