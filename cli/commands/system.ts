import type { Argv } from 'yargs';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { withGoType } from '../../lib/format/values';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';
import { CONTAINER_HEADER, IMAGE_HEADER, VOLUME_HEADER, containerContext, imageContext, volumeContext } from '../contexts';

// `gocker system df` (info and prune have their own commands).
export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('action', { type: 'string', choices: ['df'], demandOption: true })
    .option('format', { type: 'string', describe: "Format output: 'table', 'table TEMPLATE', 'json', or a Go template, e.g. '{{json .}}'" })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'Show detailed information on space usage' });
}

const DF_HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const DF_RAW = 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';

export function handler(argv: GlobalArgs & { action: string; format?: string | string[]; verbose?: boolean }): number {
  const format = lastFlag(argv.format) || 'table';
  if (argv.verbose) {
    process.stdout.write(verboseTables(engine(argv)));
    return 0;
  }
  const rows = engine(argv).diskUsage();
  const pct = (part: number, whole: number): string => (whole ? ` (${Math.round((part * 100) / whole)}%)` : '');
  // docker's fields are strings: "0", "1.2MB", "1.2MB (50%)".
  const shown = rows.map((r) => withGoType({
    Type: r.Type,
    TotalCount: String(r.TotalCount),
    Active: String(r.Active),
    Size: humanSize(r.Size),
    Reclaimable: `${humanSize(r.Reclaimable)}${pct(r.Reclaimable, r.Size)}`,
  }, { kind: 'struct', name: '*formatter.diskUsageContext', jsonAsMap: true }));
  process.stdout.write(formatList(format === 'table' ? DF_TABLE : format === 'raw' ? DF_RAW : format, DF_HEADER, shown));
  return 0;
}

// docker's -v tables (formatter/disk_usage.go), one after another, each with its own columns.
const DF_IMAGES = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const DF_CONTAINERS = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const DF_VOLUMES = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const DF_CACHE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
const CACHE_HEADER = { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' };

/** `system df -v`: images, containers, local volumes, and gocker's build cache, which is always empty. */
function verboseTables(g: ReturnType<typeof engine>): string {
  const { diskUsageVerbose } = require('../../lib/system/df') as typeof import('../../lib/system/df');
  const u = diskUsageVerbose(g.store);
  const now = Date.now();
  const created = (c?: string): number => (c ? Date.parse(c) || 0 : 0);
  const images = [...u.images].sort((a, b) => created(b.created) - created(a.created)).map((i) => {
    // docker shows an image's first name only.
    const at = i.repoTag?.lastIndexOf(':') ?? -1;
    return imageContext({
      id: i.id, repository: i.repoTag ? i.repoTag.slice(0, at) : '<none>', tag: i.repoTag ? i.repoTag.slice(at + 1) : '<none>', digest: '<none>',
      created: i.created, size: i.size, shared: i.shared, containers: i.containers,
    }, { trunc: true, now });
  });
  const sizes = new Map(u.containers.map((c) => [c.record.Id, [c.rw, c.rootfs] as [number, number]]));
  const containers = u.containers.map((c) => containerContext(c.record, { trunc: true, now, sizes: (r) => sizes.get(r.Id) ?? [0, 0] }));
  const volumes = [...u.volumes].sort((a, b) => (a.volume.Name < b.volume.Name ? -1 : a.volume.Name > b.volume.Name ? 1 : 0))
    .map((v) => volumeContext({ ...v.volume, UsageData: { Size: v.size, RefCount: v.links } }));
  return [
    'Images space usage:\n\n', formatList(DF_IMAGES, IMAGE_HEADER, images),
    '\nContainers space usage:\n\n', formatList(DF_CONTAINERS, CONTAINER_HEADER, containers),
    '\nLocal Volumes space usage:\n\n', formatList(DF_VOLUMES, VOLUME_HEADER, volumes),
    `\nBuild cache usage: ${humanSize(0)}\n\n`, formatList(DF_CACHE, CACHE_HEADER, []),
  ].join('');
}
