import type { Gocker } from '../lib/index';
import { ClientError } from './dispatch';
import { engineOptions, type GlobalArgs } from './types';
import { errorLine } from '../lib/errors';

// Required on use, not at load: commands that only format output should not pay for the
// whole engine (start time of run is a benchmark target).
/* eslint-disable @typescript-eslint/no-require-imports */

export { humanSize } from './units';

/**
 * The engine for a command, with the global options applied. One that cannot be opened (a
 * store another user could reach) is the CLI's failure to reach it, said bare as docker
 * says it cannot connect to its daemon.
 */
export function engine(argv: GlobalArgs): Gocker {
  const { Gocker: G } = require('../lib/index') as typeof import('../lib/index');
  try {
    return new G(engineOptions(argv));
  } catch (e) {
    throw new ClientError(errorLine(e), { cause: e });
  }
}

/** docker's humanized durations: "Less than a second", "About a minute", "3 hours". */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function timeAgo(d: Date, now = Date.now()): string {
  return `${humanDuration(now - d.getTime())} ago`;
}

/** Columns padded as docker's tabwriter does (three spaces between columns, minWidth the least a column takes). */
export function table(head: string[], rows: string[][], minWidth = 0): string {
  const widths = head.map((h, i) => Math.max(h.length, minWidth - 3, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd();
  return [line(head), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** Asks on stdout, as docker does, and reads one line from stdin; true for y. EOF or anything else: false. */
export async function confirm(question: string): Promise<boolean> {
  process.stdout.write(question);
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return answer.trim().toLowerCase() === 'y';
  } finally {
    rl.close();
  }
}
