// `ps --filter`, as dockerd's container list reads it (daemon/list.go): values of one key are
// OR'ed, keys are AND'ed, and label= values are all required (filters.Args.MatchKVList).
import { GockerError, InvalidOptionError, NoSuchContainerError } from '../errors';
import type { Store } from '../store';
import type { StorePaths } from '../store/paths';
import { find } from './lifecycle';
import type { ContainerRecord, EndpointSettings } from './record';
import { matchKVList } from '../labels';
import { goRegexp } from '../patterns';

const ACCEPTED = ['ancestor', 'before', 'exited', 'expose', 'health', 'id', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];
export const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

const invalid = (msg: string): GockerError => new InvalidOptionError('filters', msg, { exitCode: 1 });

/** KEY=VALUE words grouped by key; docker's CLI refuses a word without '=' itself. */
export function groupFilters(values: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of values) {
    const i = v.indexOf('=');
    if (i < 0) throw new GockerError('bad format of filter (expected name=value)', { code: 'EUSAGE', exitCode: 125 });
    const key = v.slice(0, i).trim().toLowerCase();
    out.set(key, [...(out.get(key) ?? []), v.slice(i + 1)]);
  }
  return out;
}

export interface ContainerFilter {
  /** whether stopped containers are listed too (status= asks for them, as docker's -a) */
  all: boolean;
  test(r: ContainerRecord): boolean;
}

/**
 * The filter of `ps --filter` values, or docker's error for a key or value it refuses. Images
 * named by ancestor= stand for themselves and every image built on them: gocker records no
 * parent images, so a descendant is an image whose layers start with all of the ancestor's.
 */
export function containerFilter(paths: StorePaths, store: Store, values: string[]): ContainerFilter {
  const f = groupFilters(values);
  for (const k of f.keys()) if (!ACCEPTED.includes(k)) throw invalid(`invalid filter '${k}'`);
  const get = (k: string): string[] => f.get(k) ?? [];
  for (const s of get('status')) if (!STATUSES.includes(s)) throw invalid(`invalid filter 'status=${s}'`);
  const exited = get('exited').map((v) => {
    if (!/^[+-]?\d+$/.test(v)) throw invalid(`invalid filter 'exited=${v}': strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  });
  // The last of several before= (since=) values is the one docker keeps.
  const ref = (k: string): ContainerRecord | undefined => {
    const v = get(k);
    if (!v.length) return undefined;
    try {
      return find(paths, v[v.length - 1]);
    } catch (e) {
      throw new NoSuchContainerError((e as Error).message, { cause: e });
    }
  };
  for (const h of get('health')) if (!HEALTH.includes(h)) throw invalid(`Unrecognised filter value for health: ${h}`);
  const task = get('is-task');
  if (task.length && !(task.every((v) => v === 'true') || task.every((v) => v === 'false'))) throw invalid(`invalid filter 'is-task=[${task.join(' ')}]'`);
  const publish = ports('publish', get('publish'));
  const expose = ports('expose', get('expose'));
  const before = ref('before');
  const since = ref('since');
  const ancestors = f.has('ancestor') ? ancestorImages(store, get('ancestor')) : undefined;
  const any = (k: string, pred: (v: string) => boolean): boolean => !f.has(k) || get(k).some(pred);
  // id= and name= are Go regular expressions (filters.Args.Match), compiled once for the list.
  const ids = get('id').map(goRegexp);
  const names = get('name').map(goRegexp);
  return {
    all: f.has('status'),
    test: (r) => {
      if (ids.length && !ids.some((m) => m(r.Id))) return false;
      if (names.length && !names.some((m) => m(r.Name) || m(r.Name.slice(1)))) return false;
      if (!any('status', (v) => r.State.Status === v)) return false;
      if (exited.length && !(r.State.Status === 'exited' && exited.includes(r.State.ExitCode))) return false;
      if (!matchKVList(get('label'), r.Config.Labels)) return false;
      if (ancestors && !ancestors.has(r.Image)) return false;
      if (!any('network', (v) => Object.entries(r.NetworkSettings?.Networks ?? {}).some(([name, ep]) =>
        name === v || (typeof (ep as EndpointSettings).NetworkID === 'string' && (ep as EndpointSettings).NetworkID !== '' && (ep as EndpointSettings).NetworkID.startsWith(v))))) return false;
      // gocker has no health checks (every container's is "none") and no swarm tasks.
      if (f.has('health') && !get('health').includes('none')) return false;
      if (task[0] === 'true') return false;
      if ((publish.size || expose.size) && !portsMatch(r, publish, expose)) return false;
      if (!any('volume', (v) => (r.Mounts ?? []).some((m) => (m.Type === 'volume' && m.Name === v) || m.Destination === v))) return false;
      // Created earlier (later) than the container named, running or not: docker walks its
      // whole list, newest first, for these two.
      if (before && !(r.Created < before.Created)) return false;
      if (since && !(r.Created > since.Created)) return false;
      return true;
    },
  };
}

/**
 * publish= and expose= as dockerd's list applies them, to the ports ps shows (a running
 * container's NetworkSettings.Ports; a stopped one has none): publish= a host port a port is
 * published on, expose= the container's port, either of them enough.
 */
function portsMatch(r: ContainerRecord, publish: Set<string>, expose: Set<string>): boolean {
  if (!r.State.Running) return false;
  return Object.entries(r.NetworkSettings?.Ports ?? {}).some(([key, bindings]) => {
    const [port, proto = 'tcp'] = key.split('/');
    if (expose.has(`${Number(port)}/${proto}`)) return true;
    // A port only exposed is published on port 0 for this, as in docker's list.
    const hostPorts = bindings?.length ? bindings.map((b) => b.HostPort.split('-')[0]).filter((h) => /^\d+$/.test(h)).map(Number) : [0];
    return hostPorts.some((h) => publish.has(`${h}/${proto}`));
  });
}

/**
 * publish= and expose= values as dockerd reads them: PORT[/PROTO] or START-END[/PROTO], tcp
 * unless said; the set of "port/proto" keys they name.
 */
function ports(key: string, values: string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    if (v.includes(':')) throw invalid(`filter for '${key}' should not contain ':': ${v}`);
    const slash = v.indexOf('/');
    const proto = slash < 0 ? 'tcp' : v.slice(slash + 1).toLowerCase() || 'tcp';
    const range = slash < 0 ? v : v.slice(0, slash);
    const bad = (what: string): GockerError => invalid(`error while looking up for ${key} ${v}: strconv.ParseUint: parsing ${JSON.stringify(what)}: invalid syntax`);
    const [a, b = a] = range.split('-');
    if (!/^\d+$/.test(a)) throw bad(a);
    if (!/^\d+$/.test(b)) throw bad(b);
    const start = Number(a);
    const end = Number(b);
    if (start > 65535 || end > 65535 || end < start) throw invalid(`error while looking up for ${key} ${v}: invalid range specified for port: ${range}`);
    for (let p = start; p <= end; p++) out.add(`${p}/${proto}`);
  }
  return out;
}

/** The ids of the images named (an unknown one names none, as docker ignores it) and their descendants. */
function ancestorImages(store: Store, refs: string[]): Set<string> {
  const ids = new Set<string>();
  const chains: string[][] = [];
  for (const ref of refs) {
    let image;
    try {
      image = store.resolveImage(ref);
    } catch {
      image = undefined;
    }
    if (!image || ids.has(image.id)) continue;
    ids.add(image.id);
    chains.push(image.layers.map((l) => l.chainId));
  }
  if (!chains.length) return ids;
  for (const image of store.listImages()) {
    const mine = image.layers.map((l) => l.chainId);
    // A chain id names the whole stack below it: the top one alone says "built on".
    if (chains.some((c) => c.length > 0 && mine.length > c.length && mine[c.length - 1] === c[c.length - 1])) ids.add(image.id);
  }
  return ids;
}
