// docker container prune: every container that is not running (created, exited, dead),
// narrowed by docker's prune filters (until=, label=, label!=).
import { InvalidOptionError, type GockerError } from '../errors';
import { treeSize } from '../fsread';
import { log } from '../log';
import type { StorePaths } from '../store/paths';
import { containers, remove } from './lifecycle';
import { parseTime } from '../time';
import type { ContainerRecord } from './record';
import { matchKVList } from '../labels';

export interface ContainerPruneFilters {
  /** ms since the epoch: only containers created before it */
  until?: number;
  /** label=KEY or label=KEY=VALUE: every one must match */
  label: string[];
  /** label!=KEY or label!=KEY=VALUE: containers all of these match are kept */
  notLabel: string[];
}

/** What `container prune` removed. */
export interface ContainerPruneResult {
  /** full ids, in the order removed */
  deleted: string[];
  /** bytes of the writable layers removed */
  bytes: number;
}

const ACCEPTED = ['label', 'label!', 'until'];

const invalidFilter = (msg: string): GockerError => new InvalidOptionError('filters', msg, { exitCode: 1 });

/**
 * `--filter KEY=VALUE` values as docker's daemon takes them for a container prune; a key it
 * does not take, a second until, or a time it cannot read is refused in its words.
 */
export function parsePruneFilters(values: string[], now = Date.now()): ContainerPruneFilters {
  const f: ContainerPruneFilters = { label: [], notLabel: [] };
  const until: string[] = [];
  for (const v of values) {
    const i = v.indexOf('=');
    const key = v.slice(0, i).trim().toLowerCase();
    const value = v.slice(i + 1);
    if (i < 0) throw new InvalidOptionError('filters', `bad format of filter (expected name=value)`, { exitCode: 125 });
    if (!ACCEPTED.includes(key)) throw invalidFilter(`invalid filter '${key}'`);
    if (key === 'until') until.push(value);
    else (key === 'label' ? f.label : f.notLabel).push(value);
  }
  if (until.length > 1) throw invalidFilter('more than one until filter specified');
  if (until.length === 1) {
    try {
      f.until = parseTime(until[0], 'until', now);
    } catch {
      throw invalidFilter(`failed to parse value as time or duration: ${JSON.stringify(until[0])}`);
    }
  }
  return f;
}


export function prunable(rec: ContainerRecord, f: ContainerPruneFilters): boolean {
  if (rec.State.Running) return false;
  if (f.until !== undefined && Date.parse(rec.Created) > f.until) return false;
  const labels = rec.Config.Labels ?? {};
  if (f.label.length && !matchKVList(f.label, labels)) return false;
  if (f.notLabel.length && matchKVList(f.notLabel, labels)) return false;
  return true;
}

/**
 * Removes the stopped containers the filters select, each under its own lock (rm's): one
 * started or removed meanwhile is left out, as the daemon skips one it fails to remove.
 */
export async function pruneContainers(paths: StorePaths, f: ContainerPruneFilters): Promise<ContainerPruneResult> {
  const result: ContainerPruneResult = { deleted: [], bytes: 0 };
  for (const rec of containers(paths, true)) {
    if (!prunable(rec, f)) continue;
    const size = treeSize(rec.GraphDriver.Data.UpperDir);
    try {
      await remove(paths, rec.Id, false);
    } catch (e) {
      log.warn(`failed to prune container ${rec.Id}: ${(e as Error).message}`);
      continue;
    }
    result.deleted.push(rec.Id);
    // One treeSize cannot size (-1) reclaims nothing, as dockerd counts only a size above 0.
    if (size > 0) result.bytes += size;
  }
  return result;
}
