// Signals by docker's names and numbers (moby/sys/signal's ParseSignal), apart from the
// container package: an image's STOPSIGNAL is checked where images are made (commit -c,
// import -c) as well as where containers are signalled.
import * as os from 'node:os';
import { GockerError } from './errors';

/** Signal numbers as `kill -l` lists them: os.constants lacks the real-time ones. */
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** A signal as docker takes it: a number, a name with or without SIG, or RTMIN+n / RTMAX-n. */
export function signalNumber(sig: string): number {
  const invalid = (): GockerError => new GockerError(`Invalid signal: ${sig}`, { exitCode: 1 });
  const s = sig.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > SIGRTMAX) throw invalid();
    return n;
  }
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(s);
  if (rt) {
    const n = (rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX) + (rt[2] === '-' ? -1 : 1) * Number(rt[3] ?? 0);
    if (n < SIGRTMIN || n > SIGRTMAX) throw invalid();
    return n;
  }
  const n = (os.constants.signals as Record<string, number>)[`SIG${s}`];
  if (n === undefined) throw invalid();
  return n;
}
