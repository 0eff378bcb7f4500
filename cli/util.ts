import { Gocker } from '../lib/index';
import type { GlobalArgs } from './types';

/** The engine for a command, with the global options applied. */
export function engine(argv: GlobalArgs): Gocker {
  return new Gocker({ root: argv.root, runroot: argv.runroot, logLevel: argv.logLevel });
}

/** Bytes as docker prints them: 1.23MB (decimal units). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toPrecision(3).replace(/\.?0+$/, '')}${units[i]}`;
}
