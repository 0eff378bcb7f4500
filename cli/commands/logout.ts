import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('server', { type: 'string', describe: 'registry host (default docker.io)' });
}

export async function handler(argv: GlobalArgs & { server?: string }): Promise<void> {
  const server = argv.server ?? 'docker.io';
  engine(argv).logout(server);
  process.stdout.write(`Removing login credentials for ${server}\n`);
}
