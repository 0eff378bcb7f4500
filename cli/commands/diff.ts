import type { Argv } from 'yargs';
import { once } from 'node:events';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('container', { type: 'string', demandOption: true });
}

export async function handler(argv: GlobalArgs & { container: string }): Promise<void> {
  // Lines go out as they come, in chunks of 1 MiB, waiting for stdout to drain: a listing can
  // be gigabytes (every path names the directories above it), more than memory holds.
  const chunks: Buffer[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    const chunk = Buffer.concat(chunks, size);
    chunks.length = 0;
    size = 0;
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  };
  for (const { kind, path: p } of engine(argv).container(argv.container).changes()) {
    // The path's buffer is the walk's own: copied before the walk goes on.
    const line = Buffer.allocUnsafe(p.length + 3);
    line.write(`${kind} `);
    p.copy(line, 2);
    line[line.length - 1] = 0x0a;
    chunks.push(line);
    if ((size += line.length) >= 1 << 20) await flush();
  }
  if (size > 0) await flush();
}
