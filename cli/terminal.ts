// The CLI's side of an attachment with a tty (run -it, start -ai, attach): the terminal raw
// while its input goes to the container, and its size sent on, now and at each change.
import type { Attachment } from '../lib/index';

/**
 * Sets the terminal up for a; returns what puts it back. raw: the terminal passes every byte
 * on as it is typed (with stdin attached), and leaves the container's output as it is (its
 * pty already made "\r\n" of "\n").
 */
export function useTerminal(a: Attachment, raw: boolean): () => void {
  const undo: Array<() => void> = [];
  // Raw as docker's CLI makes it (cfmakeraw), not Node's setRawMode, which keeps ONLCR.
  if (raw && process.stdin.isTTY) undo.push(a.rawTerminal(0));
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

/**
 * docker's CLI's CheckTty for an attached run or exec: with -i and -t, stdin must be a
 * terminal; false (its error said) when it is not.
 */
export function terminalIn(argv: { interactive?: boolean; tty?: boolean }): boolean {
  if (!argv.interactive || !argv.tty || process.stdin.isTTY) return true;
  process.stderr.write('the input device is not a TTY\n');
  return false;
}
