import type { Argv } from 'yargs';
import { compileFormat, formatList, isTableFormat, lastFlag } from '../../lib/format/formatter';
import { TemplateExecError } from '../../lib/format/exec';
import { ClientError } from '../dispatch';
import { withGoType } from '../../lib/format/values';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';
import { CONTAINER_HEADER, CONTAINER_RAW, IMAGE_HEADER, IMAGE_RAW_DIGESTS, VOLUME_HEADER, containerContext, imageContext, volumeContext } from '../contexts';

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
    process.stdout.write(format === 'table' ? verboseTables(verboseContexts(engine(argv), true)) : verboseTemplate(format, verboseContexts(engine(argv), isTableFormat(format))));
    return 0;
  }
  const rows = engine(argv).diskUsage();
  // None of a total not above 0: the -1 of a container layer too deep to size, as docker's CLI.
  // Its division is of integers (int64): truncated, 66% of 200 in 300.
  const pct = (part: number, whole: number): string => (whole > 0 ? ` (${Math.trunc((part * 100) / whole)}%)` : '');
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

interface VerboseContexts { Images: object[]; Containers: object[]; Volumes: object[]; BuildCache: object[] }

/**
 * `system df -v`'s rows, as docker's diskUsageContext holds them: images, containers (their
 * writable layer's size only: docker leaves the virtual size out), local volumes, and
 * gocker's build cache, which is always empty. trunc: ids and commands cut short, as for a
 * table.
 */
function verboseContexts(g: ReturnType<typeof engine>, trunc: boolean): VerboseContexts {
  const u = g.diskUsageVerbose();
  const now = Date.now();
  const created = (c?: string): number => (c ? Date.parse(c) || 0 : 0);
  const images = [...u.images].sort((a, b) => created(b.created) - created(a.created)).map((i) => {
    // docker shows an image's first name only.
    const at = i.repoTag?.lastIndexOf(':') ?? -1;
    return imageContext({
      id: i.id, repository: i.repoTag ? i.repoTag.slice(0, at) : '<none>', tag: i.repoTag ? i.repoTag.slice(at + 1) : '<none>', digest: '<none>',
      created: i.created, size: i.size, shared: i.shared, containers: i.containers,
    }, { trunc, now });
  });
  const sizes = new Map(u.containers.map((c) => [c.record.Id, [c.rw, 0] as [number, number]]));
  const containers = u.containers.map((c) => containerContext(c.record, { trunc, now, sizes: (r) => sizes.get(r.Id) ?? [0, 0] }));
  const volumes = [...u.volumes].sort((a, b) => (a.volume.Name < b.volume.Name ? -1 : a.volume.Name > b.volume.Name ? 1 : 0))
    .map((v) => volumeContext({ ...v.volume, UsageData: { Size: v.size, RefCount: v.links } }));
  return withGoType({ Images: images, Containers: containers, Volumes: volumes, BuildCache: [] as object[] }, { kind: 'struct', name: '*formatter.diskUsageContext' });
}

/** docker's -v tables, one after another, each with its own columns. */
function verboseTables(c: VerboseContexts): string {
  return [
    'Images space usage:\n\n', formatList(DF_IMAGES, IMAGE_HEADER, c.Images),
    '\nContainers space usage:\n\n', formatList(DF_CONTAINERS, CONTAINER_HEADER, c.Containers),
    '\nLocal Volumes space usage:\n\n', formatList(DF_VOLUMES, VOLUME_HEADER, c.Volumes),
    `\nBuild cache usage: ${humanSize(0)}\n\n`, formatList(DF_CACHE, CACHE_HEADER, []),
  ].join('');
}

// -v with 'raw': docker's raw form of each row, under its type (gocker has no build cache: its
// range never runs).
const DF_VERBOSE_RAW = `{{range .Images}}type: Image\n${IMAGE_RAW_DIGESTS}\n{{end -}}
{{range .Containers}}type: Container\n${CONTAINER_RAW}size: {{.Size}}\n\n{{end -}}
{{range .Volumes}}type: Volume\nname: {{.Name}}\ndriver: {{.Driver}}\n\n{{end -}}
{{range .BuildCache}}type: Build Cache\n{{end -}}`;

/**
 * -v with any other --format: as docker's, the template runs once, on the whole
 * diskUsageContext ({{json .}}, {{range .Images}}...), not on each row, and nothing follows
 * what it writes. An error there is the template's own (docker does not call it a parsing
 * error), after what it wrote.
 */
function verboseTemplate(format: string, c: VerboseContexts): string {
  const tmpl = compileFormat(format === 'raw' ? DF_VERBOSE_RAW : format);
  try {
    return tmpl.execute(c);
  } catch (e) {
    if (!(e instanceof TemplateExecError)) throw e;
    process.stdout.write(e.output);
    throw new ClientError(e.message);
  }
}
