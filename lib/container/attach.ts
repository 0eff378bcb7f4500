// Attaching to a container's stdio: a client of the socket its monitor serves
// (native/monitor/attach.cc), the same way for `attach`, `run -it`, `start -a` and any other
// user of the library. Frames both ways: a type byte, a 32-bit big-endian length, the bytes.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { GockerError, InvalidOptionError, isErrno } from '../errors';
import { native } from '../native';
import type { StorePaths } from '../store/paths';
import type { ContainerRecord } from './record';
import { ATTACH_SOCKET, readExit } from './state';
import { containerEvent } from '../events';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

// Frame types (attach.h).
const HELLO = 0x68; // 'h'
const STDIN = 0x69; // 'i'
const STDIN_END = 0x65; // 'e'
const RESIZE = 0x72; // 'r'
const STDOUT = 0x31; // '1'
const STDERR = 0x32; // '2'
const EXIT = 0x78; // 'x'
const WANT_STDIN = 1;
const WANT_STDOUT = 2;
const WANT_STDERR = 4;
const WANT_STDIN_ONCE = 8;

// moby/term's names of the control characters, each at its code.
const CTRL_KEYS = [
  'ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_',
];

/**
 * --detach-keys as docker reads them (moby/term's ToBytes): a comma-separated list of single
 * characters and ctrl-<x> (case aside); "" is the default. exitCode: the refusal's, 125 for run.
 */
export function parseDetachKeys(keys: string | undefined, exitCode = 1): Buffer {
  if (keys === undefined || keys === '') return parseDetachKeys(DEFAULT_DETACH_KEYS);
  const out: number[] = [];
  for (const key of keys.split(',')) {
    const bytes = Buffer.from(key, 'utf8');
    if (bytes.length === 1) {
      out.push(bytes[0]);
      continue;
    }
    const code = CTRL_KEYS.indexOf(key.toLowerCase());
    if (code < 0) throw new GockerError(`Invalid detach keys (${keys}) provided`, { exitCode });
    out.push(code);
  }
  return Buffer.from(out);
}

/** What an attachment to a container's stdio connects (Gocker.attach, run's attach). */
export interface AttachOptions {
  /** what the container reads (a container created with -i); none: its stdin is not attached */
  stdin?: NodeJS.ReadableStream;
  /** where what it prints on stdout goes (with a tty: all it prints); none: not attached */
  stdout?: NodeJS.WritableStream;
  /** where what it prints on stderr goes; none: not attached */
  stderr?: NodeJS.WritableStream;
  /** the end of stdin ends the container's (docker's StdinOnce: run -i, start -i) */
  stdinOnce?: boolean;
  /** docker's --detach-keys; checked on stdin, with a tty only (as docker) */
  detachKeys?: string;
  /** aborting detaches */
  signal?: AbortSignal;
}

/** How an attachment ended: the detach keys (or detach()), or the container's exit with its code. */
export type AttachEnd = { detached: true } | { detached: false; exitCode: number };

/** An attachment to a container's stdio, through the socket its monitor serves. */
export interface Attachment {
  /** the container's pty size (with a tty; nothing without) */
  resize(rows: number, cols: number): void;
  /** leaves the container running */
  detach(): void;
  /**
   * the container's exit, or the detach; rejects when the monitor cut the connection off (a
   * client that does not read what the container prints is dropped) or died
   */
  readonly done: Promise<AttachEnd>;
  /**
   * The caller's terminal on fd made raw as docker's CLI makes it for a tty attachment
   * (cfmakeraw: every byte passed on as it is typed, the container's output left as its pty
   * made it, where Node's setRawMode keeps ONLCR); returns what puts it back. An fd that is
   * no terminal is left as it is.
   */
  rawTerminal(fd: number): () => void;
}

/**
 * The caller's streams, checked before anything connects or starts: what is not a stream
 * would fail only inside the socket's handlers, with a TypeError no caller can catch.
 */
export function checkAttachStreams(o: AttachOptions): void {
  const has = (v: object, fns: string[]): boolean => fns.every((f) => typeof (v as Record<string, unknown>)[f] === 'function');
  const bad = (option: string, what: string): InvalidOptionError => new InvalidOptionError(option, `${option} must be ${what}`, { exitCode: 1 });
  if (o.stdin !== undefined && (typeof o.stdin !== 'object' || o.stdin === null || !has(o.stdin, ['on', 'removeListener', 'pause']))) throw bad('stdin', 'a readable stream');
  for (const option of ['stdout', 'stderr'] as const) {
    const w = o[option];
    if (w !== undefined && (typeof w !== 'object' || w === null || !has(w, ['write', 'once']))) throw bad(option, 'a writable stream');
  }
}

function frame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(5);
  h[0] = type;
  h.writeUInt32BE(payload.length, 1);
  return Buffer.concat([h, payload]);
}

const notRunning = (): GockerError => new GockerError('You cannot attach to a stopped container, start it first', { code: 'EUSAGE', exitCode: 1 });

/**
 * Connects to a container's attach socket; the container need not have started yet (run and
 * start connect between its creation and its release, so nothing it prints is missed).
 */
export async function connectAttach(paths: StorePaths, id: string, tty: boolean, o: AttachOptions,
  /** an exec's socket in the container's runtime directory, and where its exit is recorded */
  exec?: { socket: string; exit: () => { exitCode: number } | undefined }): Promise<Attachment> {
  checkAttachStreams(o);
  const keys = tty && o.stdin ? parseDetachKeys(o.detachKeys) : undefined;
  // The directory's fd names it: the socket's path may be longer than sun_path's 108 bytes.
  let dir: number;
  try {
    dir = fs.openSync(paths.runContainer(id), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) throw notRunning();
    throw e;
  }
  const sock = net.createConnection({ path: path.join('/proc/self/fd', String(dir), exec?.socket ?? ATTACH_SOCKET) });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
  } catch (e) {
    sock.destroy();
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ECONNREFUSED')) throw notRunning();
    throw e;
  } finally {
    fs.closeSync(dir);
  }
  const want = (o.stdin ? WANT_STDIN : 0) | (o.stdout ? WANT_STDOUT : 0) | (o.stderr ? WANT_STDERR : 0) | (o.stdinOnce ? WANT_STDIN_ONCE : 0);
  sock.write(frame(HELLO, Buffer.from([want])));

  let finish!: (end: AttachEnd) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<AttachEnd>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // A caller that detaches without waiting for done must not see its failure as unhandled.
  done.catch(() => undefined);
  let over = false;
  const end = (e: AttachEnd | Error): void => {
    if (over) return;
    over = true;
    if (o.stdin) {
      o.stdin.removeListener('data', onInput);
      o.stdin.removeListener('end', onInputEnd);
      o.stdin.pause();
    }
    o.signal?.removeEventListener('abort', detach);
    sock.destroy();
    if (e instanceof Error) fail(e);
    else finish(e);
  };
  const detach = (): void => end({ detached: true });

  // Output: frames, written on as they come; the socket waits while a writer is full.
  let buf: Buffer = Buffer.alloc(0);
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      const type = buf[0];
      const payload = buf.subarray(5, 5 + len);
      buf = buf.subarray(5 + len);
      if (type === EXIT) {
        end({ detached: false, exitCode: Number(payload.toString()) });
        return;
      }
      const w = type === STDOUT ? o.stdout : type === STDERR ? o.stderr : undefined;
      if (w && !w.write(payload)) {
        sock.pause();
        w.once('drain', () => sock.resume());
      }
    }
  });
  // Gone without an exit frame: the exit as recorded if there is one; else the monitor
  // dropped this client (it did not read in time) or was killed.
  sock.on('close', () => {
    const exit = exec ? exec.exit() : readExit(paths, id);
    end(exit ? { detached: false, exitCode: exit.exitCode } : new GockerError(`the attachment to container ${id.slice(0, 12)} was cut off by its monitor`, { exitCode: 1 }));
  });
  sock.on('error', () => undefined);

  // Input: the detach keys are looked for across reads; a partial match is held back until it
  // is known not to be one, then sent on.
  let matched = 0;
  const onInput = (chunk: Buffer | string): void => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (keys) {
      const out: number[] = [];
      for (const b of data) {
        if (b === keys[matched]) {
          if (++matched === keys.length) {
            if (out.length) sock.write(frame(STDIN, Buffer.from(out)));
            detach();
            return;
          }
          continue;
        }
        if (matched) out.push(...keys.subarray(0, matched));
        matched = 0;
        if (b === keys[0]) matched = 1;
        else out.push(b);
      }
      data = Buffer.from(out);
    }
    if (data.length) sock.write(frame(STDIN, data));
  };
  const onInputEnd = (): void => {
    if (!over) sock.write(frame(STDIN_END));
  };
  if (o.stdin) {
    o.stdin.on('data', onInput);
    o.stdin.on('end', onInputEnd);
  }
  if (o.signal?.aborted) detach();
  else o.signal?.addEventListener('abort', detach);

  return {
    resize: (rows, cols) => {
      if (over || !tty || !(rows > 0 && cols > 0)) return;
      const p = Buffer.alloc(4);
      p.writeUInt16BE(Math.min(rows, 65535), 0);
      p.writeUInt16BE(Math.min(cols, 65535), 2);
      sock.write(frame(RESIZE, p));
    },
    detach,
    done,
    rawTerminal,
  };
}

function rawTerminal(fd: number): () => void {
  const saved = native().ttyMakeRaw(fd);
  return saved ? () => native().ttyRestore(fd, saved) : () => undefined;
}

/**
 * docker attach: a running container's stdio. Refused as docker's CLI refuses it for a
 * container that is not running (created and exited alike) or paused.
 */
export async function attach(paths: StorePaths, rec: ContainerRecord, o: AttachOptions): Promise<Attachment> {
  if (!rec.State.Running) throw notRunning();
  if (rec.State.Paused) throw new GockerError('You cannot attach to a paused container, unpause it first', { code: 'EUSAGE', exitCode: 1 });
  parseDetachKeys(o.detachKeys);
  checkAttachStreams(o);
  // Without -i at its creation the container has no stdin to give.
  const a = await connectAttach(paths, rec.Id, rec.Config.Tty, { ...o, stdin: rec.Config.OpenStdin ? o.stdin : undefined });
  containerEvent(paths, 'attach', rec);
  return a;
}
