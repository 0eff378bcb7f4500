// Times as docker's commands take them (--since, --until, filters' until=).
import { GockerError } from './errors';

/**
 * A --since/--until value as docker takes it: RFC 3339 (or a date), a Unix timestamp with
 * optional fraction, or a Go duration ("10m", "1h30m") meaning that long ago.
 */
export function parseTime(value: string, flag: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    let ms = 0;
    for (const [, n, u] of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(n) * unit[u];
    return now - ms;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new GockerError(`invalid value for "${flag}": failed to parse "${value}" as a timestamp or duration`, { exitCode: 1 });
  return t;
}
