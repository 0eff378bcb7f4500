import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine, humanSize, timeAgo, table } from '../util';
import { familiarRepo, parseReference } from '../../lib/name';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('repository', { type: 'string', describe: 'Only images of this repository' })
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
  const want = argv.repository ? familiarRepo(parseReference(argv.repository)) : undefined;
  const rows: string[][] = [];
  const seen = new Set<string>();
  // Named images, then untagged ones a container still runs on (docker shows those as <none>).
  const named = g.images();
  const untagged = g.danglingImages();
  const images = dangling === undefined ? [...named, ...untagged] : dangling ? untagged : named;
  for (const img of images) {
    const id = argv.noTrunc ? img.id : img.id.slice(7, 19);
    const size = humanSize(img.layers.reduce((n, l) => n + l.size, 0));
    const created = img.config.created ? timeAgo(new Date(img.config.created)) : 'N/A';
    const tags = img.repoTags.length ? img.repoTags : ['<none>:<none>'];
    for (const rt of tags) {
      const i = rt.lastIndexOf(':');
      const repo = rt.slice(0, i);
      if (want && repo !== want) continue;
      if (argv.quiet) {
        if (!seen.has(id)) rows.push([id]);
        seen.add(id);
        continue;
      }
      const row = [repo, rt.slice(i + 1)];
      if (argv.digests) row.push(img.repoDigests[0]?.split('@')[1] ?? '<none>');
      row.push(id, created, size);
      rows.push(row);
    }
  }
  if (argv.quiet) {
    process.stdout.write(rows.map((r) => `${r[0]}\n`).join(''));
    return 0;
  }
  const head = ['REPOSITORY', 'TAG', ...(argv.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
  process.stdout.write(table(head, rows));
  return 0;
}
