import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine, humanSize, timeAgo, table } from '../util';
import { imageRows } from '../../lib/image/manage';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('repository', { type: 'string', describe: 'REPOSITORY[:TAG]: only images with a name it matches (* and ? patterns, as docker)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('digests', { type: 'boolean', describe: 'Show digests' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (gocker keeps no intermediate images: the same list)' })
    .option('filter', { type: 'string', array: true, describe: 'Filter output: dangling=true|false' });
}

export function handler(argv: GlobalArgs & { repository?: string; quiet?: boolean; noTrunc?: boolean; digests?: boolean; filter?: string[] }): number {
  const g = engine(argv);
  let dangling: boolean | undefined;
  for (const f of argv.filter ?? []) {
    const m = /^dangling=(true|false)$/.exec(String(f));
    if (!m) {
      process.stderr.write(`Error response from daemon: invalid filter '${f}' (gocker supports dangling=true|false)\n`);
      return 125;
    }
    dangling = m[1] === 'true';
  }
  // Named images, then untagged ones a container still runs on (docker shows those as <none>).
  const named = g.images();
  const untagged = g.danglingImages();
  const images = dangling === undefined ? [...named, ...untagged] : dangling ? untagged : named;
  const rows = imageRows(g.store, images, { digests: argv.digests, filter: argv.repository });
  const id = (i: string): string => (argv.noTrunc ? i : i.slice(7, 19));
  if (argv.quiet) {
    process.stdout.write([...new Set(rows.map((r) => id(r.image.id)))].map((i) => `${i}\n`).join(''));
    return 0;
  }
  const head = ['REPOSITORY', 'TAG', ...(argv.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
  process.stdout.write(table(head, rows.map((r) => [
    r.repository, r.tag, ...(argv.digests ? [r.digest] : []), id(r.image.id),
    r.image.config.created ? timeAgo(new Date(r.image.config.created)) : 'N/A',
    humanSize(r.image.layers.reduce((n, l) => n + l.size, 0)),
  ])));
  return 0;
}
