import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import type { PushEvent } from '../../lib/index';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('name', { type: 'string', demandOption: true, describe: 'NAME[:TAG]' })
    .option('all-tags', { alias: 'a', type: 'boolean', describe: 'Push all tags of an image to the repository' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress verbose output' });
}

/** docker's progress: one line per layer, redrawn in place on a terminal, appended otherwise. */
function progress(tty: boolean): (e: PushEvent) => void {
  const order: string[] = [];
  const lines = new Map<string, string>();
  let drawn = 0;
  const redraw = (): void => {
    if (drawn) process.stdout.write(`\x1b[${drawn}A`);
    for (const id of order) process.stdout.write(`\x1b[2K${id}: ${lines.get(id)}\n`);
    drawn = order.length;
  };
  return (e) => {
    if (e.kind === 'repository') {
      process.stdout.write(`The push refers to repository [${e.name}]\n`);
      return;
    }
    if (e.kind === 'done') {
      // A tag's layers are done: the next tag (--all-tags) lists its own below.
      order.length = 0;
      lines.clear();
      drawn = 0;
      process.stdout.write(`${e.tag}: digest: ${e.digest} size: ${e.size}\n`);
      return;
    }
    let text: string = e.status;
    if (e.status === 'Retrying') {
      const s = Math.max(1, Math.round(e.delayMs / 1000));
      text = `Retrying in ${s} second${s === 1 ? '' : 's'}`;
    } else if (e.status === 'Mounted from') {
      text = `Mounted from ${e.from}`;
    } else if (e.status === 'Pushing') {
      text = `Pushing ${humanSize(e.current ?? 0)}/${humanSize(e.total ?? 0)}`;
    }
    if (tty) {
      if (!lines.has(e.id)) order.push(e.id);
      lines.set(e.id, text);
      redraw();
    } else if (e.status !== 'Pushing') {
      // Not a terminal: one line per state, no byte counts (docker drops its progress lines).
      process.stdout.write(`${e.id}: ${text}\n`);
    }
  };
}

export async function handler(argv: GlobalArgs & { name: string; allTags?: boolean; quiet?: boolean }): Promise<void> {
  const { hasTag, parseReference, referenceString } = await import('../../lib/index');
  const tagged = hasTag(argv.name);
  if (!argv.allTags && !tagged && !argv.quiet) process.stdout.write('Using default tag: latest\n');
  try {
    await engine(argv).push(argv.name, { allTags: argv.allTags, onEvent: argv.quiet ? undefined : progress(!!process.stdout.isTTY) });
  } catch (e) {
    // docker push exits 1 on every failure, its own and the registry's alike, and says them
    // bare: the registry's come in the daemon's progress stream, not as its refusal.
    throw new ClientError(errorLine(e), { cause: e });
  }
  if (argv.quiet) {
    // docker -q prints the reference pushed, in full: with -a, the repository alone.
    const ref = parseReference(argv.name);
    process.stdout.write(`${referenceString(argv.allTags ? { ...ref, tag: undefined } : ref)}\n`);
  }
}
