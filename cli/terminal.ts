// The CLI's side of an attachment with a tty (run -it, start -ai, attach): the terminal raw
// while its input goes to the container, and its size sent on, now and at each change.
import type { Attachment } from '../lib/container/attach';

/** Sets the terminal up for a; returns what puts it back. */
export function useTerminal(a: Attachment, input: boolean): () => void {
  const undo: Array<() => void> = [];
  if (input && process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    undo.push(() => process.stdin.setRawMode(false));
  }
  if (process.stdout.isTTY) {
    const send = (): void => a.resize(process.stdout.rows, process.stdout.columns);
    send();
    process.stdout.on('resize', send);
    undo.push(() => process.stdout.off('resize', send));
  }
  return () => {
    for (const f of undo.splice(0)) f();
  };
}
