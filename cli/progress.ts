// A pull's progress as docker's CLI shows it, for `pull` and for a `run` that pulls.
import type { PullEvent } from '../lib/index';
import { humanSize } from './units';

/**
 * docker's pull progress on out (stdout for pull, stderr for a run that pulls): one line per
 * layer, redrawn in place on a terminal, appended otherwise.
 */
export function pullProgress(out: NodeJS.WriteStream): (e: PullEvent) => void {
  const tty = !!out.isTTY;
  const order: string[] = [];
  const lines = new Map<string, string>();
  let drawn = 0;
  const redraw = (): void => {
    if (drawn) out.write(`\x1b[${drawn}A`);
    for (const id of order) out.write(`\x1b[2K${id}: ${lines.get(id)}\n`);
    drawn = order.length;
  };
  return (e) => {
    if (e.kind === 'resolved') {
      out.write(`${e.tag}: Pulling from ${e.repository}\n`);
      return;
    }
    if (e.kind === 'done') {
      out.write(`Digest: ${e.digest}\nStatus: ${e.fresh ? 'Downloaded newer image' : 'Image is up to date'} for ${e.ref}\n`);
      return;
    }
    let text: string = e.status;
    if (e.status === 'Retrying') {
      const s = Math.max(1, Math.round(e.delayMs / 1000));
      text = `Retrying in ${s} second${s === 1 ? '' : 's'}`;
    } else if ((e.status === 'Downloading' || e.status === 'Extracting') && e.total) {
      text = `${e.status} ${humanSize(e.current ?? 0)}/${humanSize(e.total)}`;
    }
    if (tty) {
      if (!lines.has(e.id)) order.push(e.id);
      lines.set(e.id, text);
      redraw();
    } else if (e.status === 'Retrying' || (e.status !== 'Downloading' && !e.current)) {
      // Not a terminal: one line per state, no byte counts.
      out.write(`${e.id}: ${e.status === 'Retrying' ? text : e.status}\n`);
    }
  };
}
