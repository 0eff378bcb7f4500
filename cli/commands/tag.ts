import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('source', { type: 'string', demandOption: true }).positional('target', { type: 'string', demandOption: true });
}

export async function handler(argv: GlobalArgs & { source: string; target: string }): Promise<void> {
  try {
    await engine(argv).tag(argv.source, argv.target);
  } catch (e) {
    // docker's API client reads both references before any request: its own error, bare.
    if ((e as { code?: unknown }).code === 'EINVALREF') throw new ClientError(errorLine(e), { cause: e });
    throw e;
  }
}
