// docker's formatter contexts: what `--format` templates see for each list command, with
// docker's field names (.ID, .Names, .RunningFor, ...), docker's header names for `table`,
// and each command's default table. Fields are getters, so a template pays only for what it
// uses (a container's .Size walks its upper directory). A new list command (network ls,
// volume ls) adds a header, a default table and a context here, and calls formatList.
import type { ContainerRecord, ContainerStats } from '../lib/index';
import { formatPorts } from '../lib/format/ports';
import { goQuote } from '../lib/format/parse';
import { method, withGoType, type GoType } from '../lib/format/values';
import { humanDuration, humanSize, timeAgo } from './util';

const pad2 = (n: number): string => String(n).padStart(2, '0');

let zoneNames: Intl.DateTimeFormat | undefined;

/** The local zone's abbreviation (UTC, CET, ...), as Go prints it; Intl only when asked (it loads ICU). */
function zoneName(d: Date): string {
  if (d.getTimezoneOffset() === 0 && (process.env.TZ === undefined || /^(|UTC|Etc\/UTC|UTC0|:?UTC)$/.test(process.env.TZ))) return 'UTC';
  zoneNames ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  return zoneNames.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
}

function offset(d: Date, colon: boolean): string {
  const m = -d.getTimezoneOffset();
  const a = Math.abs(m);
  return `${m < 0 ? '-' : '+'}${pad2(Math.floor(a / 60))}${colon ? ':' : ''}${pad2(a % 60)}`;
}

const localDate = (d: Date): string => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
const localTime = (d: Date): string => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;

/** Go's Time.String() of whole seconds in local time: "2024-05-01 10:20:30 +0000 UTC". */
export function goTimeString(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return `${localDate(d)} ${localTime(d)} ${offset(d, false)} ${zoneName(d)}`;
}

/** Go's time.RFC3339 in local time: "2024-05-01T10:20:30Z" or "...+02:00". */
export function goRFC3339(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return `${localDate(d)}T${localTime(d)}${d.getTimezoneOffset() === 0 ? 'Z' : offset(d, true)}`;
}

/** docker's Ellipsis: at most max characters, the last an ellipsis when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** docker's TruncateID: the hex without its algorithm, 12 characters. */
export const truncateId = (id: string): string => id.slice(id.indexOf(':') + 1, id.indexOf(':') + 13);

const struct = (name: string): GoType => ({ kind: 'struct', name, jsonAsMap: true });

/** Labels as docker lists them: "k=v" sorted, comma-separated. */
function labelList(labels: Record<string, string> | undefined | null): string {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).sort().join(',');
}

// ps

export const CONTAINER_HEADER = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS', Platform: 'PLATFORM', HealthStatus: 'HEALTH STATUS',
};
export const CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
export const CONTAINER_RAW = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';

/** docker's STATUS column: "Up 3 seconds", "Exited (0) 5 seconds ago", "Created". */
export function statusText(r: ContainerRecord, now = Date.now()): string {
  const s = r.State;
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${timeAgo(new Date(s.FinishedAt), now)}`;
  if (s.Running) return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`;
  if (s.Status === 'exited') return `Exited (${s.ExitCode}) ${timeAgo(new Date(s.FinishedAt), now)}`;
  return s.Status.charAt(0).toUpperCase() + s.Status.slice(1);
}

export interface ContainerContextOptions {
  trunc: boolean;
  /** the writable layer's size and the whole root's, when the template asks for .Size */
  sizes?: (r: ContainerRecord) => [number, number];
  /** told when a template reads .Size (ps computes sizes only then, as docker asks for them) */
  onSize?: () => void;
  now?: number;
}

/** What `ps --format` sees of a container (docker's ContainerContext). */
export function containerContext(r: ContainerRecord, o: ContainerContextOptions): object {
  const now = o.now ?? Date.now();
  const command = [r.Path, ...r.Args].join(' ');
  return withGoType({
    get ID() { return o.trunc ? r.Id.slice(0, 12) : r.Id; },
    get Names() { return r.Name.replace(/^\//, ''); },
    get Image() { return r.Config.Image || '<no image>'; },
    get Command() { return goQuote(o.trunc ? ellipsis(command, 20) : command); },
    get CreatedAt() { return goTimeString(Date.parse(r.Created)); },
    get RunningFor() { return timeAgo(new Date(r.Created), now); },
    // A stopped container publishes nothing: docker shows its ports only while it runs.
    get Ports() { return r.State.Running ? formatPorts(r.NetworkSettings?.Ports) : ''; },
    get State() { return r.State.Status; },
    get Status() { return statusText(r, now); },
    get Size() {
      o.onSize?.();
      const [rw, root] = o.sizes ? o.sizes(r) : [0, 0];
      return root > 0 ? `${humanSize(rw)} (virtual ${humanSize(root)})` : humanSize(rw);
    },
    get Labels() { return labelList(r.Config.Labels); },
    Label: method(['string'], (name: string) => r.Config.Labels?.[name] ?? ''),
    get Mounts() { return (r.Mounts ?? []).map((m) => (o.trunc ? ellipsis(m.Source, 15) : m.Source)).join(','); },
    get LocalVolumes() { return String((r.Mounts ?? []).filter((m) => m.Type === 'volume').length); },
    get Networks() { return Object.keys(r.NetworkSettings?.Networks ?? {}).sort().join(','); },
    get HealthStatus() { return ''; },
  }, struct('*formatter.ContainerContext'));
}

// images

export const IMAGE_HEADER = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
};
export const IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const IMAGE_TABLE_DIGESTS = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const IMAGE_RAW = 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
export const IMAGE_RAW_DIGESTS = 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';

export interface ImageRowData {
  id: string;
  repository: string;
  tag: string;
  digest: string;
  /** RFC 3339, or undefined when the image does not say */
  created?: string;
  size: number;
  /** system df -v: bytes of layers other images have too, and the containers made from it */
  shared?: number;
  containers?: number;
}

/** What `images --format` sees of one row (docker's imageContext). */
export function imageContext(i: ImageRowData, o: { trunc: boolean; now?: number }): object {
  const created = i.created ? Date.parse(i.created) || 0 : 0;
  return withGoType({
    get ID() { return o.trunc ? truncateId(i.id) : i.id; },
    get Repository() { return i.repository; },
    get Tag() { return i.tag; },
    get Digest() { return i.digest; },
    get CreatedSince() { return created ? timeAgo(new Date(created), o.now) : ''; },
    get CreatedAt() { return goTimeString(created); },
    get Size() { return humanSize(i.size); },
    // docker's units.HumanSize for these: four significant digits.
    get Containers() { return i.containers === undefined ? 'N/A' : String(i.containers); },
    get SharedSize() { return i.shared === undefined ? 'N/A' : humanSize(i.shared, 4); },
    get UniqueSize() { return i.shared === undefined ? 'N/A' : humanSize(i.size - i.shared, 4); },
  }, struct('*formatter.imageContext'));
}

// history

export const HISTORY_HEADER = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};
export const HISTORY_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

/** docker shows history entries from before 2000 (a zero or made-up date) as N/A. */
const EPOCH_2000 = Date.UTC(2000, 0, 1);

/** What `history --format` sees of one entry (docker's historyContext). */
export function historyContext(h: { id: string; created: string; createdBy: string; size: number; comment: string }, o: { trunc: boolean; now?: number; human?: boolean }): object {
  // -H=false: RFC 3339 dates and sizes in bytes, as docker's.
  const human = o.human !== false;
  const created = h.created ? Date.parse(h.created) || 0 : 0;
  return withGoType({
    get ID() { return o.trunc ? truncateId(h.id) : h.id; },
    get CreatedSince() { return !human ? goRFC3339(created) : created <= EPOCH_2000 ? 'N/A' : timeAgo(new Date(created), o.now); },
    get CreatedAt() { return goRFC3339(created); },
    get CreatedBy() {
      const by = h.createdBy.replace(/\t/g, ' ');
      return o.trunc ? ellipsis(by, 45) : by;
    },
    get Size() { return human ? humanSize(h.size) : String(h.size); },
    get Comment() { return h.comment; },
  }, struct('*image.historyContext'));
}

// stats

export const STATS_HEADER = {
  Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};
export const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** docker's sizes in stats: %.{precision}g of a unit of 1024 (binary) or 1000. */
export function statsSize(bytes: number, binary: boolean, precision: number): string {
  const units = binary ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'kB', 'MB', 'GB', 'TB'];
  const base = binary ? 1024 : 1000;
  let v = bytes;
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  return `${Number(v.toPrecision(precision))}${units[i]}`;
}

/** A stats row: lib's numbers, and the name or ID the user gave (the ID when listing all). */
export interface StatsRow extends ContainerStats {
  container: string;
}

/** What `stats --format` sees of one container (docker's statsContext). */
export function statsContext(s: StatsRow, o: { trunc: boolean }): object {
  return withGoType({
    get Container() { return s.container; },
    get Name() { return s.name.replace(/^\//, '') || '--'; },
    get ID() { return o.trunc ? s.id.slice(0, 12) : s.id; },
    get CPUPerc() { return `${s.cpuPercent.toFixed(2)}%`; },
    get MemUsage() { return `${statsSize(s.memoryUsage, true, 4)} / ${statsSize(s.memoryLimit, true, 4)}`; },
    get MemPerc() { return `${s.memoryPercent.toFixed(2)}%`; },
    get NetIO() { return `${statsSize(s.netRx, false, 3)} / ${statsSize(s.netTx, false, 3)}`; },
    get BlockIO() { return `${statsSize(s.blockRead, false, 3)} / ${statsSize(s.blockWrite, false, 3)}`; },
    get PIDs() { return String(s.pids); },
  }, struct('*container.statsContext'));
}

/** What `volume ls --format` sees of a volume (docker's volumeContext). */
export const VOLUME_HEADER = { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', Availability: 'AVAILABILITY', Group: 'GROUP' };
export const VOLUME_TABLE = 'table {{.Driver}}\t{{.Name}}';
export function volumeContext(v: {
  Name: string; Driver: string; Scope?: string; Mountpoint: string; Labels?: Record<string, string> | null;
  /** system df -v: what it holds and how many containers use it, as docker's */
  UsageData?: { Size: number; RefCount: number };
}): object {
  const usage = v.UsageData;
  const labels = v.Labels ?? {};
  return withGoType({
    get Name() { return v.Name; },
    get Driver() { return v.Driver; },
    get Scope() { return v.Scope ?? 'local'; },
    get Mountpoint() { return v.Mountpoint; },
    get Labels() { return Object.entries(labels).map(([k, x]) => `${k}=${x}`).join(','); },
    get Links() { return usage ? String(usage.RefCount) : 'N/A'; },
    get Size() { return usage ? humanSize(usage.Size, 4) : 'N/A'; },
    get Availability() { return 'N/A'; },
    get Group() { return 'N/A'; },
    Label: method(['string'], (name: string) => labels[name] ?? ''),
  }, struct('*formatter.volumeContext'));
}

/** What `network ls --format` sees of a network (docker's networkContext). */
export const NETWORK_HEADER = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' };
export const NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
export function networkContext(n: { Id: string; Name: string; Driver: string; Scope: string; Internal?: boolean; EnableIPv6?: boolean; Labels?: Record<string, string> | null; Created?: string }, trunc: boolean): object {
  const labels = n.Labels ?? {};
  return withGoType({
    get ID() { return trunc ? n.Id.slice(0, 12) : n.Id; },
    get Name() { return n.Name; },
    get Driver() { return n.Driver; },
    get Scope() { return n.Scope; },
    get IPv6() { return String(!!n.EnableIPv6); },
    get Internal() { return String(!!n.Internal); },
    get Labels() { return Object.entries(labels).map(([k, x]) => `${k}=${x}`).join(','); },
    get CreatedAt() { return n.Created ? goTimeString(Date.parse(n.Created)) : ''; },
    Label: method(['string'], (name: string) => labels[name] ?? ''),
  }, struct('*formatter.networkContext'));
}
