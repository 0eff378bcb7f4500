// The event log: what happened to containers and images, as docker's events API reports it.
// No daemon holds the events in memory, so they are JSON lines in ROOT/events/events.log,
// appended by every process that does something (the CLI, the library, and the monitor for
// a container's die and oom, which happen when no CLI may be there). Each event is one
// write(2) on an O_APPEND fd: lines from concurrent writers never interleave. The log is
// bounded: past MAX_BYTES it becomes events.log.1 (the one before is dropped).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidOptionError, isErrno } from './errors';
import { log } from './log';
import { tryExclusiveLock } from './store/atomic';
import type { StorePaths } from './store/paths';
import type { MountRecord } from './container/record';

/** What an event is about, as docker's events.Type. */
export type EventType = 'container' | 'image' | 'network' | 'volume';

/** What happened to a container. die and oom are recorded by the container's monitor. */
export type ContainerAction = 'create' | 'start' | 'die' | 'oom' | 'kill' | 'stop' | 'restart' | 'pause' | 'unpause' | 'rename' | 'destroy'
  | 'commit' | 'attach' | `exec_create: ${string}` | `exec_start: ${string}` | 'exec_die';
/** What happened to an image. */
export type ImageAction = 'pull' | 'push' | 'tag' | 'untag' | 'delete' | 'load' | 'save' | 'import';
/** What happened to a network (connect and disconnect name the container). */
export type NetworkAction = 'create' | 'connect' | 'disconnect' | 'destroy';
/** What happened to a volume. */
export type VolumeAction = 'create' | 'destroy' | 'mount' | 'unmount';

/** The object an event is about: a container's id or an image's id or reference, and its attributes. */
/** What an event is about. */
export interface EventActor {
  /** a container's or image's id, a network's id, a volume's name */
  ID: string;
  /** name and image of a container and its labels; exitCode (die), signal (kill), oldName (rename); name of an image */
  Attributes: Record<string, string>;
}

/** One event, as docker's API (events.Message) sends it and `events --format json` prints it. */
export interface GockerEvent {
  /** the action again (docker's deprecated field, still sent) */
  status?: string;
  /** Actor.ID again (deprecated) */
  id?: string;
  /** a container's image (deprecated) */
  from?: string;
  /** what kind of thing it happened to */
  Type: EventType;
  /** what happened, in docker's words ('create', 'start', 'die', 'pull', 'exec_start: sh', ...) */
  Action: ContainerAction | ImageAction | NetworkAction | VolumeAction;
  /** what it happened to */
  Actor: EventActor;
  /** 'local': on this host */
  scope: 'local';
  /** seconds since the epoch */
  time: number;
  /** nanoseconds since the epoch */
  timeNano: number;
}

/** A filter as `events --filter` takes it: container, event, type, image, label; values of one key are alternatives. */
export type EventFilters = Partial<Record<'container' | 'event' | 'type' | 'image' | 'label' | 'scope' | 'network' | 'volume' | (typeof OTHER_KEYS)[number], string[]>>;

/** Keys docker's events take for objects gocker records no events of: given, they match none. */
const OTHER_KEYS = ['config', 'daemon', 'node', 'plugin', 'secret', 'service'] as const;

/** Which events Gocker.events() gives, and for how long. */
export interface EventsOptions {
  /** ms since the epoch: events before are left out */
  since?: number;
  /** ms since the epoch: events after are left out, and a follow ends once it has passed */
  until?: number;
  /** docker's filters: the values of one key are alternatives, all keys must match */
  filters?: EventFilters;
  /**
   * Go on with new events as they are written, until signal aborts or until passes. Without
   * since and until, docker's `events` does this from now on. Default: true when until is not
   * in the past.
   */
  follow?: boolean;
  /** ends the iteration */
  signal?: AbortSignal;
}

/** Past this a log is rotated: two files of this bound, some 15000 container events each. */
export const MAX_BYTES = 4 << 20;
export const EVENTS_FILE = 'events.log';

export const eventsDir = (paths: StorePaths): string => path.join(paths.root, 'events');

let lastMicros = 0;

/**
 * ns since the epoch, in whole microseconds (times 1000: what a double's 53 bits carry through
 * JSON.parse and back unchanged, where the nanoseconds would come back rounded): the wall
 * clock's millisecond, and a microsecond more for each event this process recorded in it, so
 * that its events stay in order. Not performance.timeOrigin + performance.now(): that is the
 * monotonic clock anchored once, at the process's start, and it drifts from the wall clock
 * (half a millisecond in a process's first second here, more as it lives, under NTP's slew);
 * a library process stamped a container's start ahead of Date.now(), so that a read of the
 * log `until: Date.now()` right after start() left it out, and the monitor's die (the
 * kernel's CLOCK_REALTIME) came before it.
 */
function nowNano(): number {
  lastMicros = Math.max(Date.now() * 1000, lastMicros + 1);
  return lastMicros * 1000;
}

/**
 * Appends one event. Never throws: an event that cannot be recorded (a full disk) is
 * warned about, and what it records goes on, as docker's daemon goes on when no one listens.
 */
export function recordEvent(paths: StorePaths, type: EventType, action: GockerEvent['Action'], actor: EventActor, from?: string): void {
  const ns = nowNano();
  const ev: GockerEvent = {
    status: action, id: actor.ID, ...(from !== undefined ? { from } : {}),
    Type: type, Action: action, Actor: actor, scope: 'local', time: Math.floor(ns / 1e9), timeNano: ns,
  };
  const dir = eventsDir(paths);
  const file = path.join(dir, EVENTS_FILE);
  // Never through a link: the log is root's, in root's store.
  const flags = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;
  try {
    let fd: number;
    try {
      fd = fs.openSync(file, flags, 0o600);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fd = fs.openSync(file, flags, 0o600);
    }
    let size: number;
    try {
      fs.writeSync(fd, `${JSON.stringify(ev)}\n`);
      size = fs.fstatSync(fd).size;
    } finally {
      fs.closeSync(fd);
    }
    if (size > MAX_BYTES) rotate(paths, file);
  } catch (e) {
    log.warn(`cannot record the ${type} ${action} event: ${(e as Error).message}`);
  }
}

/**
 * events.log -> events.log.1, by one process at a time (another that finds the lock held
 * leaves it to that one), and only while the file is still the big one: two rotations in a
 * row would drop a whole log.
 */
function rotate(paths: StorePaths, file: string): void {
  const release = tryExclusiveLock(paths.lock('events'));
  if (!release) return;
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st && st.size > MAX_BYTES) fs.renameSync(file, `${file}.1`);
  } finally {
    release();
  }
}

/**
 * Labels past this, in all, are left out of a container's events: an image's labels (up to
 * its config's 16 MiB) made each of its events bigger than the log's bound, and every one
 * rotated the whole history of all containers away.
 */
export const MAX_EVENT_LABEL_BYTES = 64 << 10;

/** A container's actor: its id, and docker's attributes (its labels, image and name). */
export function containerActor(rec: { Id: string; Name: string; Config: { Image: string; Labels?: Record<string, string> | null } }, extra: Record<string, string> = {}): EventActor {
  let labels = rec.Config.Labels ?? {};
  if (Buffer.byteLength(JSON.stringify(labels)) > MAX_EVENT_LABEL_BYTES) labels = {};
  return { ID: rec.Id, Attributes: { ...labels, image: rec.Config.Image, name: rec.Name.replace(/^\//, ''), ...extra } };
}

/** Records a container event (the Actor as containerActor makes it). */
export function containerEvent(paths: StorePaths, action: ContainerAction, rec: Parameters<typeof containerActor>[0], extra: Record<string, string> = {}): void {
  recordEvent(paths, 'container', action, containerActor(rec, extra), rec.Config.Image);
}

/** Records a network event: its id, its name and driver (type), and the container connect and disconnect name. */
export function networkEvent(paths: StorePaths, action: NetworkAction, n: { Id: string; Name: string; Driver: string }, container?: string): void {
  recordEvent(paths, 'network', action, { ID: n.Id, Attributes: { name: n.Name, type: n.Driver, ...(container !== undefined ? { container } : {}) } });
}

/** Records a volume event: the volume's name is its id, as docker's. */
export function volumeEvent(paths: StorePaths, action: VolumeAction, name: string, driver = 'local'): void {
  recordEvent(paths, 'volume', action, { ID: name, Attributes: { driver } });
}

/**
 * A container's start, as dockerd logs it: a volume's mount for each volume it mounts (its
 * setupMounts comes first), then the container's start. The unmounts come from the monitor,
 * before its die (io.gocker.events.volumes).
 */
export function startEvents(paths: StorePaths, rec: Parameters<typeof containerActor>[0] & { Mounts: MountRecord[] }): void {
  for (const m of rec.Mounts) {
    if (m.Type !== 'volume' || !m.Name) continue;
    recordEvent(paths, 'volume', 'mount', { ID: m.Name, Attributes: {
      container: rec.Id, destination: m.Destination, driver: m.Driver || 'local', propagation: m.Propagation, 'read/write': String(m.RW),
    } });
  }
  containerEvent(paths, 'start', rec);
}

/** The volumes whose unmount the monitor records at the container's exit. */
export const mountedVolumes = (rec: { Mounts: MountRecord[] }): string[] =>
  rec.Mounts.filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!);

/** Records an image event: id is the image's id or the reference acted on, name its name. */
export function imageEvent(paths: StorePaths, action: ImageAction, id: string, name: string): void {
  recordEvent(paths, 'image', action, { ID: id, Attributes: { name } });
}

const FILTER_KEYS: string[] = ['container', 'event', 'type', 'image', 'label', 'scope', 'network', 'volume', ...OTHER_KEYS];

/**
 * `events --filter key=value`s as docker's daemon takes them, for Gocker.events' filters: a
 * value without a key, or a key it does not know, is InvalidOptionError (option 'filters').
 */
export function parseEventFilters(list: string[]): EventFilters {
  const out: EventFilters = {};
  for (const f of list) {
    const i = f.indexOf('=');
    if (i <= 0) throw new InvalidOptionError('filters', `bad format of filter (expected name=value)`, { exitCode: 1 });
    const key = f.slice(0, i).toLowerCase();
    if (!FILTER_KEYS.includes(key)) throw new InvalidOptionError('filters', `invalid filter '${f.slice(0, i)}'`, { exitCode: 1 });
    (out[key as keyof EventFilters] ??= []).push(f.slice(i + 1));
  }
  return out;
}

/** The image without its tag (busybox:latest -> busybox), as docker's filter also tries. */
function stripTag(image: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(0, colon) : image;
}

const FUZZY_EVENTS = ['exec_create', 'exec_start', 'health_status'];

/** docker's events filter: every key given must match, any of a key's values. */
export function matchesFilters(ev: GockerEvent, f: EventFilters): boolean {
  const a = ev.Actor.Attributes ?? {};
  // FuzzyMatch: the value itself, or a prefix of it (an id's first characters).
  const fuzzy = (vals: string[], s: string | undefined): boolean => s !== undefined && vals.some((v) => s === v || s.startsWith(v));
  if (f.type && !f.type.includes(ev.Type)) return false;
  if (f.scope && !f.scope.includes(ev.scope)) return false;
  if (OTHER_KEYS.some((k) => f[k]?.length)) return false;
  // exec_create and exec_start carry the command after a colon: those two (without one) match
  // by prefix, as docker's matchEvent does it.
  if (f.event && !(f.event.includes(ev.Action) || (f.event.some((e) => FUZZY_EVENTS.includes(e)) && fuzzy(f.event, ev.Action)))) return false;
  // Each object's key matches its own type's events by id or name, and excludes the others'.
  const named = (vals: string[] | undefined, type: EventType): boolean => !vals || (ev.Type === type && (fuzzy(vals, ev.Actor.ID) || fuzzy(vals, a.name)));
  if (!named(f.container, 'container') || !named(f.network, 'network') || !named(f.volume, 'volume')) return false;
  if (f.image) {
    const image = ev.Type === 'container' ? a.image : a.name;
    const candidates = [image, ev.Type === 'image' ? ev.Actor.ID : undefined].filter((x): x is string => !!x);
    if (!candidates.some((c) => f.image!.includes(c) || f.image!.includes(stripTag(c)))) return false;
  }
  if (f.label && !f.label.every((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? Object.hasOwn(a, l) : a[l.slice(0, eq)] === l.slice(eq + 1);
  })) return false;
  return true;
}

/** Complete lines of fd from offset on; returns the events and the offset past the last newline. */
function readLines(fd: number, offset: number): { events: GockerEvent[]; offset: number } {
  const events: GockerEvent[] = [];
  const chunk = Buffer.alloc(1 << 20);
  let carry = Buffer.alloc(0);
  let at = offset;
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, at + carry.length);
    if (n === 0) return { events, offset: at };
    const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      if (nl > start) {
        try {
          events.push(JSON.parse(buf.toString('utf8', start, nl)) as GockerEvent);
        } catch {
          // A line cut by a crash (or a full disk): skipped, the rest stands.
        }
      }
      start = nl + 1;
    }
    at += start;
    carry = Buffer.from(buf.subarray(start));
  }
}

function openIfThere(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/**
 * The events in the log from since to until that match the filters, oldest first, then (with
 * follow) new ones as they are written: woken by inotify (fs.watch on the log's directory),
 * never by a timer, until the signal aborts or until has passed.
 */
export async function* readEvents(paths: StorePaths, o: EventsOptions = {}): AsyncGenerator<GockerEvent> {
  const start = Date.now();
  const sinceNs = (o.since ?? (o.until === undefined ? start : -Infinity)) * 1e6;
  // until is a millisecond, all of it: the events stamped in it (nowNano) are not after it.
  const untilNs = o.until === undefined ? Infinity : (Math.floor(o.until) + 1) * 1e6 - 1;
  const follow = o.follow ?? (o.until === undefined || o.until > start);
  const keep = (ev: GockerEvent): boolean =>
    typeof ev.timeNano === 'number' && ev.timeNano >= sinceNs && ev.timeNano <= untilNs && matchesFilters(ev, o.filters ?? {});
  const dir = eventsDir(paths);
  const file = path.join(dir, EVENTS_FILE);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Watched before the backlog is read: nothing written in between is missed.
  let wake: (() => void) | undefined;
  let pending = false;
  let gone = false;
  const watcher = follow ? fs.watch(dir, () => {
    pending = true;
    wake?.();
  }) : undefined;
  // The directory removed (the store with it): nothing more will come.
  watcher?.on('error', () => {
    gone = true;
    wake?.();
  });
  const timer = follow && o.until !== undefined ? setTimeout(() => wake?.(), Math.max(0, o.until - Date.now()) + 1) : undefined;
  const onAbort = (): void => wake?.();
  o.signal?.addEventListener('abort', onAbort);
  let fd: number | undefined;
  try {
    const old = openIfThere(`${file}.1`);
    fd = openIfThere(file);
    if (old !== undefined) {
      try {
        // Rotated meanwhile: events.log.1 is what was opened as events.log.
        if (fd === undefined || fs.fstatSync(old).ino !== fs.fstatSync(fd).ino) yield* readLines(old, 0).events.filter(keep);
      } finally {
        fs.closeSync(old);
      }
    }
    let offset = 0;
    if (fd !== undefined) {
      const r = readLines(fd, 0);
      offset = r.offset;
      yield* r.events.filter(keep);
    }
    if (!follow) return;
    for (;;) {
      if (gone || o.signal?.aborted || Date.now() > (o.until ?? Infinity)) return;
      if (!pending) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      pending = false;
      if (fd === undefined) {
        fd = openIfThere(file);
        offset = 0;
      }
      if (fd === undefined) continue;
      const r = readLines(fd, offset);
      offset = r.offset;
      yield* r.events.filter(keep);
      // Rotated: the old file was read to its end just now; on with the new one.
      const current = fs.statSync(file, { throwIfNoEntry: false });
      if (!current || current.ino !== fs.fstatSync(fd).ino) {
        fs.closeSync(fd);
        fd = undefined;
        pending = true;
      }
    }
  } finally {
    watcher?.close();
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Go's RFC3339NanoFixed in local time, as docker's CLI prints an event's time. */
function rfc3339NanoFixed(ns: number): string {
  // From its digits: the number itself is not exact below some 256 ns.
  const digits = String(ns).padStart(10, '0');
  const d = new Date(Number(digits.slice(0, -9)) * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  const frac = digits.slice(-9);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${frac}${zone}`;
}

/**
 * The line `docker events` prints for ev without --format (newline included): its time in
 * this process's zone to the nanosecond, type, action, actor id, then the attributes by key.
 */
export function eventLine(ev: GockerEvent): string {
  const attrs = Object.keys(ev.Actor.Attributes ?? {}).sort().map((k) => `${k}=${ev.Actor.Attributes[k]}`);
  return `${rfc3339NanoFixed(ev.timeNano)} ${ev.Type} ${ev.Action} ${ev.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}
