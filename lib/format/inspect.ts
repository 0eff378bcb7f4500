// `inspect -f` as docker runs it: first on the typed object (Go structs: .ID is a field,
// .Id is not; a missing label is a map miss and prints <no value>), and if that fails, on
// the raw JSON (maps only: .Id is a key, and a missing key is an error, "map has no entry
// for key"). The typed view here is the record with its structs and maps told apart.
import { GockerError } from '../errors';
import { Template, TemplateExecError } from './exec';
import { compile } from './formatter';
import { withGoType, type GoType } from './values';

const STRING_MAP: GoType = { kind: 'map', name: 'map[string]string', zero: '' };
const EMPTY_STRUCT = (): object => withGoType({}, { kind: 'struct', name: 'struct {}' });

/** Objects that are maps in docker's types, by key (or parent.key); every other object is a struct. */
const MAPS: Record<string, () => GoType> = {
  Labels: () => STRING_MAP,
  Annotations: () => STRING_MAP,
  'GraphDriver.Data': () => STRING_MAP,
  Sysctls: () => STRING_MAP,
  Tmpfs: () => STRING_MAP,
  StorageOpt: () => STRING_MAP,
  DriverOpts: () => STRING_MAP,
  'LogConfig.Config': () => STRING_MAP,
  ExposedPorts: () => ({ kind: 'map', name: 'nat.PortSet', zero: EMPTY_STRUCT() }),
  Volumes: () => ({ kind: 'map', name: 'map[string]struct {}', zero: EMPTY_STRUCT() }),
  Ports: () => ({ kind: 'map', name: 'nat.PortMap', zero: [] }),
  PortBindings: () => ({ kind: 'map', name: 'nat.PortMap', zero: [] }),
  Networks: () => ({ kind: 'map', name: 'map[string]*network.EndpointSettings', zero: null }),
};

/** Go field names where the JSON names differ, by the struct's key ('' for the top). */
const FIELDS: Record<string, Record<string, string>> = {
  '': { ID: 'Id' },
  HostConfig: {
    CPUShares: 'CpuShares', CPUPeriod: 'CpuPeriod', CPUQuota: 'CpuQuota', CPURealtimePeriod: 'CpuRealtimePeriod',
    CPURealtimeRuntime: 'CpuRealtimeRuntime', NanoCPUs: 'NanoCpus', CPUCount: 'CpuCount', CPUPercent: 'CpuPercent',
  },
};

function typed(v: unknown, key: string, parent: string): unknown {
  // An array's elements are keyed 'Mounts[]': neither a map's key nor the top.
  if (Array.isArray(v)) return v.map((e) => typed(e, `${key}[]`, parent));
  if (v === null || typeof v !== 'object') return v;
  // Keys come from containers and images: only the table's own entries count.
  const pick = (k: string): (() => GoType) | undefined => (Object.hasOwn(MAPS, k) ? MAPS[k] : undefined);
  const mapType = pick(`${parent}.${key}`) ?? pick(key);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = typed(x, k, key);
  if (mapType) return withGoType(out, mapType());
  return withGoType(out, { kind: 'struct', name: key || 'types.InspectResponse', fields: Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined });
}

/** Parses an inspect format; docker exits 64 on a syntax error. */
export function inspectTemplate(format: string): Template {
  return compile(format, 'template parsing error: ', 64);
}

/** The template on one inspected object, typed first and then raw, as docker does. */
export function renderInspect(tmpl: Template, obj: object): string {
  try {
    return tmpl.execute(typed(obj, '', ''));
  } catch (e) {
    if (!(e instanceof TemplateExecError)) throw e;
  }
  try {
    return tmpl.execute(JSON.parse(JSON.stringify(obj)) as unknown, { missingKey: 'error' });
  } catch (e) {
    if (e instanceof TemplateExecError) throw new GockerError(`template parsing error: ${e.message}`, { exitCode: 1, code: 'ETEMPLATE' });
    throw e;
  }
}
