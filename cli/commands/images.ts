import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine } from '../util';
import { usageError } from '../dispatch';
import { formatList, isTableFormat, lastFlag } from '../../lib/format/formatter';
import { IMAGE_HEADER, IMAGE_RAW, IMAGE_RAW_DIGESTS, IMAGE_TABLE, IMAGE_TABLE_DIGESTS, imageContext } from '../contexts';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('repository', { type: 'string', describe: 'REPOSITORY[:TAG]: only images with a name it matches (* and ? patterns, as docker)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('digests', { type: 'boolean', describe: 'Show digests' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (gocker keeps no intermediate images: the same list)' })
    .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter output based on conditions provided' })
    .option('format', { type: 'string', describe: "Format output: 'table', 'table TEMPLATE', 'json', or a Go template, e.g. '{{.Repository}}:{{.Tag}}'" });
}

/** docker's NewImageFormat: the template for a --format value. */
function imageFormat(source: string, digests: boolean): string {
  if (source === 'table') return digests ? IMAGE_TABLE_DIGESTS : IMAGE_TABLE;
  if (source === 'raw') return digests ? IMAGE_RAW_DIGESTS : IMAGE_RAW;
  return isTableFormat(source) && digests && !source.includes('{{.Digest}}') ? `${source}\t{{.Digest}}` : source;
}

export function handler(argv: GlobalArgs & { repository?: string; quiet?: boolean; noTrunc?: boolean; digests?: boolean; filter?: string[]; format?: string | string[] }): number {
  const g = engine(argv);
  const bad = (argv.filter ?? []).find((f) => !String(f).includes('='));
  if (bad !== undefined) usageError(`invalid argument "${bad}" for "-f, --filter" flag: bad format of filter (expected name=value)`, 'images');
  // Checked by the engine, as docker's daemon checks them.
  // No prototype: a key such as __proto__ is one more key the engine refuses, not Object's.
  const filters = Object.create(null) as Record<string, string[]>;
  for (const v of (argv.filter ?? []).map(String)) (filters[v.slice(0, v.indexOf('='))] ??= []).push(v.slice(v.indexOf('=') + 1));
  const format = lastFlag(argv.format) || undefined;
  const template = imageFormat(format ?? 'table', !!argv.digests);
  // The positional is one more reference= pattern, as docker's CLI sends it; digests are
  // looked up when shown (docker's needDigest).
  const rows = g.imageRows({
    filters, reference: argv.repository === undefined ? undefined : String(argv.repository), digests: argv.digests || template.includes('{{.Digest}}'),
  });
  if (argv.quiet && (format === undefined || format === 'table')) {
    const id = (i: string): string => (argv.noTrunc ? i : i.slice(7, 19));
    process.stdout.write([...new Set(rows.map((r) => id(r.image.id)))].map((i) => `${i}\n`).join(''));
    return 0;
  }
  const now = Date.now();
  process.stdout.write(formatList(template, IMAGE_HEADER, rows.map((r) => imageContext({
    id: r.image.id, repository: r.repository, tag: r.tag, digest: r.digest, created: r.image.config.created,
    size: r.image.layers.reduce((n, l) => n + l.size, 0),
  }, { trunc: !argv.noTrunc, now }))));
  return 0;
}
