import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.option('format', { alias: 'f', type: 'string', describe: "'json' for JSON" });
}

export function handler(argv: GlobalArgs & { format?: string }): void {
  const v = { Version: engine(argv).version(), NodeVersion: process.version, Os: process.platform, Arch: process.arch };
  if (argv.format === 'json') {
    process.stdout.write(`${JSON.stringify(v)}\n`);
    return;
  }
  process.stdout.write(`Version:      ${v.Version}\nNode version: ${v.NodeVersion}\nOS/Arch:      ${v.Os}/${v.Arch}\n`);
}
