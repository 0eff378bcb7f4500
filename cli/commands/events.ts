import type { Argv } from 'yargs';
import { parseTime } from '../../lib/time';
import { eventLine, parseEventFilters, type GockerEvent } from '../../lib/index';
import { compileFormat, lastFlag } from '../../lib/format/formatter';
import { withGoType, type GoType } from '../../lib/format/values';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter output based on conditions provided' })
    .option('format', { type: 'string', describe: "Format output using a custom template: 'json' or a Go template" })
    .option('since', { type: 'string', describe: 'Show all events created since timestamp' })
    .option('until', { type: 'string', describe: 'Stream events until this timestamp' });
}

type EventsArgs = GlobalArgs & { filter?: string[]; format?: string | string[]; since?: string; until?: string };

const STRING_MAP: GoType = { kind: 'map', name: 'map[string]string', zero: '' };

/** What a --format template sees: docker's events.Message, its Go field names over the JSON keys. */
function messageContext(ev: GockerEvent): object {
  const actor = withGoType({ ID: ev.Actor.ID, Attributes: withGoType({ ...(ev.Actor.Attributes ?? {}) }, STRING_MAP) }, { kind: 'struct', name: 'events.Actor' });
  return withGoType({
    status: ev.status, id: ev.id, from: ev.from, Type: ev.Type, Action: ev.Action, Actor: actor, scope: ev.scope, time: ev.time, timeNano: ev.timeNano,
  }, { kind: 'struct', name: 'events.Message', fields: { Status: 'status', ID: 'id', From: 'from', Scope: 'scope', Time: 'time', TimeNano: 'timeNano' } });
}

export async function handler(argv: EventsArgs): Promise<number> {
  const filters = parseEventFilters((argv.filter ?? []).map(String));
  const format = lastFlag(argv.format);
  const tmpl = format ? compileFormat(format) : undefined;
  const since = argv.since ? parseTime(argv.since, 'since') : undefined;
  const until = argv.until ? parseTime(argv.until, 'until') : undefined;
  const g = engine(argv);
  // ^C (or a TERM) ends a follow as docker's CLI ends it: quietly, exit 0.
  const ac = new AbortController();
  const end = (): void => ac.abort();
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
  try {
    for await (const ev of g.events({ since, until, filters, signal: ac.signal })) {
      process.stdout.write(tmpl ? `${tmpl.execute(messageContext(ev))}\n` : eventLine(ev));
    }
  } finally {
    process.off('SIGINT', end);
    process.off('SIGTERM', end);
  }
  return 0;
}
