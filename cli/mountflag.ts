// --mount's csv as docker's CLI reads it (cli/opts/mount.go) into the HostConfig.Mounts entry
// it sends: the keys and their aliases, booleans, sizes and modes, which options go with
// which type. A refusal here is docker's CLI's, in its words ("invalid argument ... for
// "--mount" flag"), exit 125; what dockerd checks of the entry (a known type, absolute paths,
// a bind's source that exists) is the engine's (lib/container/mounts.ts checkMount).
import * as path from 'node:path';
import { GockerError } from '../lib/errors';
import { ramInBytes } from '../lib/format/size';
import type { Mount } from '../lib/index';

const flagError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

/** A csv record as Go's encoding/csv reads one line: quoted fields may hold commas. */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) throw flagError(`invalid argument "${line}" for "--mount" flag: parse error on line 1, column ${i}: extraneous or missing " in quoted-field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      if (i < line.length && line[i] !== ',') throw flagError(`invalid argument "${line}" for "--mount" flag: parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
      i++;
    } else {
      const j = line.indexOf(',', i);
      out.push(line.slice(i, j < 0 ? line.length : j));
      i = j < 0 ? line.length + 1 : j + 1;
    }
  }
  return out;
}

/**
 * One `--mount` as docker's CLI reads it: HostConfig.Mounts' entry, its options only on the
 * type they belong to. The source is as given (a relative one is made the caller's by
 * mountFromFlag, and refused for a bind by the engine).
 */
export function parseMountFlag(raw: string): Mount {
  const value = raw.trim();
  const bad = (why: string): GockerError => flagError(`invalid argument "${raw}" for "--mount" flag: ${why}`);
  if (!value) throw bad('value is empty');
  let type = 'volume';
  let source = '';
  let target = '';
  let readOnly = false;
  let propagation = '';
  let nonRecursive = false;
  let createSrc = false;
  let bindOpts = false;
  let volumeOpts = false;
  let tmpfsOpts = false;
  let noCopy = false;
  let size: number | undefined;
  let tmode: number | undefined;
  const labels: Record<string, string> = {};
  const options: Record<string, string> = {};
  let driver: string | undefined;
  const bool = (key: string, val: string, has: boolean): boolean => {
    if (!has || val === '1' || val === 'true') return true;
    if (val === '0' || val === 'false') return false;
    throw bad(`invalid value for '${key}': invalid boolean value (${JSON.stringify(val)}): must be one of "true", "1", "false", or "0" (default "true")`);
  };
  const setOn = (map: Record<string, string>, kv: string): void => {
    const i = kv.indexOf('=');
    const k = i < 0 ? kv : kv.slice(0, i);
    if (k) map[k] = i < 0 ? '' : kv.slice(i + 1);
  };
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const has = eq >= 0;
    let key = has ? field.slice(0, eq) : field;
    const val = has ? field.slice(eq + 1) : '';
    if (key.trim() !== key) throw bad(`invalid option '${key.trim()}' in '${field}': option should not have whitespace`);
    if (has) {
      if (val.trim() === '') throw bad(`invalid value for '${key}': value is empty`);
      if (val.trim() !== val) throw bad(`invalid value for '${key}' in '${field}': value should not have whitespace`);
    }
    key = key.toLowerCase();
    if (!has && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-src'].includes(key)) throw bad(`invalid field '${field}' must be a key=value pair`);
    switch (key) {
      case 'type': type = val.toLowerCase(); break;
      case 'source': case 'src':
        source = val;
        break;
      case 'target': case 'dst': case 'destination': target = val; break;
      case 'readonly': case 'ro': readOnly = bool(key, val, has); break;
      case 'consistency': break; // docker for Mac's; meaningless on Linux, accepted as dockerd does
      case 'bind-propagation': propagation = val.toLowerCase(); bindOpts = true; break;
      case 'bind-nonrecursive': throw bad('bind-nonrecursive is deprecated, use bind-recursive=disabled instead');
      case 'bind-recursive':
        if (!['enabled', 'disabled', 'writable', 'readonly'].includes(val)) throw bad(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        if (val === 'writable') throw bad('bind-recursive=writable (a read-only mount whose submounts stay writable) is not supported by gocker');
        nonRecursive = val === 'disabled';
        bindOpts = true;
        break;
      case 'bind-create-src': createSrc = bool(key, val, has); bindOpts = true; break;
      case 'volume-nocopy': noCopy = bool(key, val, has); volumeOpts = true; break;
      case 'volume-label': setOn(labels, val); volumeOpts = true; break;
      case 'volume-driver': driver = val; volumeOpts = true; break;
      case 'volume-opt': setOn(options, val); volumeOpts = true; break;
      case 'volume-subpath': throw bad('volume-subpath is not supported by gocker');
      case 'tmpfs-size':
        try {
          size = ramInBytes(val);
        } catch {
          throw bad(`invalid value for ${key}: ${val}`);
        }
        tmpfsOpts = true;
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) throw bad(`invalid value for ${key}: ${val}`);
        tmode = parseInt(val, 8);
        tmpfsOpts = true;
        break;
      default: throw bad(`unknown option '${key}' in '${field}'`);
    }
  }
  if (!type) throw bad('type is required');
  if (type !== 'bind' && bindOpts) throw bad(`cannot mix 'bind-*' options with mount type '${type}'`);
  if (type !== 'volume' && volumeOpts) throw bad(`cannot mix 'volume-*' options with mount type '${type}'`);
  if (type !== 'tmpfs' && tmpfsOpts) throw bad(`cannot mix 'tmpfs-*' options with mount type '${type}'`);
  // An unknown type goes on as it is, for the engine to refuse in dockerd's words.
  const m: Mount = { Type: type as Mount['Type'], Source: source, Target: target };
  if (readOnly) m.ReadOnly = true;
  if (bindOpts) m.BindOptions = { ...(propagation ? { Propagation: propagation } : {}), ...(nonRecursive ? { NonRecursive: true } : {}), ...(createSrc ? { CreateMountpoint: true } : {}) };
  if (volumeOpts) {
    m.VolumeOptions = {
      ...(noCopy ? { NoCopy: true } : {}), ...(Object.keys(labels).length ? { Labels: labels } : {}),
      ...(driver || Object.keys(options).length ? { DriverConfig: { Name: driver ?? '', ...(Object.keys(options).length ? { Options: options } : {}) } } : {}),
    };
  }
  if (tmpfsOpts) m.TmpfsOptions = { ...(size ? { SizeBytes: size } : {}), ...(tmode !== undefined ? { Mode: tmode } : {}) };
  return m;
}

/** One `--mount`, a source starting with '.' made absolute against cwd, as docker's CLI does. */
export function mountFromFlag(raw: string, cwd = process.cwd()): Mount {
  const m = parseMountFlag(raw);
  if (m.Source?.startsWith('.')) m.Source = path.resolve(cwd, m.Source);
  return m;
}
