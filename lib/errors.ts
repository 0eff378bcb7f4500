// Engine errors: one line of text for the user, a docker-like exit code for the CLI.
import { escapeNonPrint } from './format/quote';

/** What a GockerError is made with besides its message. */
export interface GockerErrorOptions {
  /**
   * machine-readable code, e.g. 'ENOIMAGE', 'EINVALREF', or an errno name; 'EUSAGE': a request
   * malformed in a way docker's CLI itself refuses before asking the daemon
   */
  code?: string;
  /** the exit code the CLI uses: 125 for engine errors, as docker */
  exitCode?: number;
  /** the error this one comes from (Error's cause) */
  cause?: unknown;
}

/**
 * Every error the engine means to give: a message that is one line for the user, a stable
 * `code` to act on, and the exit code the CLI ends with. The subclasses are the codes a caller
 * most often tells apart.
 */
export class GockerError extends Error {
  /** stable and machine-readable: 'ENOCONTAINER', 'ENOIMAGE', 'ECONFLICT', 'ENOTRUNNING', 'EREGISTRY', 'EINVAL', 'EUSAGE', an errno name, or 'EGOCKER' */
  readonly code: string;
  /** the exit code the CLI ends with for it (125: the engine's, 1: docker's for a missing container, ...) */
  readonly exitCode: number;

  constructor(message: string, opts: GockerErrorOptions = {}) {
    // The names a message echoes are the caller's, anything argv or an API call can hold:
    // what is not printable is written in Go's escapes, once for every error.
    super(escapeNonPrint(message), opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'GockerError';
    this.code = opts.code ?? 'EGOCKER';
    this.exitCode = opts.exitCode ?? 125;
  }
}

/** The one line a user sees for any error: no stack trace, and no control character. */
export function errorLine(e: unknown): string {
  return escapeNonPrint(e instanceof Error ? e.message.split('\n')[0] : String(e));
}

/** Whether e is an error from a system call (with that errno name, when one is given). */
export function isErrno(e: unknown, code?: string): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' &&
    (code === undefined || (e as NodeJS.ErrnoException).code === code);
}

/** What a typed error takes: GockerError's options less the code, which the class fixes. */
export type TypedErrorOptions = Omit<GockerErrorOptions, 'code'>;

/** No container by that name or id (code ENOCONTAINER; docker's 404). */
export class NoSuchContainerError extends GockerError {
  constructor(message: string, opts: TypedErrorOptions = {}) {
    super(message, { exitCode: 1, ...opts, code: 'ENOCONTAINER' });
    this.name = 'NoSuchContainerError';
  }
}

/** No image by that name, id or tag here (code ENOIMAGE; docker's 404). */
export class NoSuchImageError extends GockerError {
  constructor(message: string, opts: TypedErrorOptions = {}) {
    super(message, { ...opts, code: 'ENOIMAGE' });
    this.name = 'NoSuchImageError';
  }
}

/** No volume by that name (code ENOVOLUME; docker's 404). */
export class NoSuchVolumeError extends GockerError {
  constructor(message: string, opts: TypedErrorOptions = {}) {
    super(message, { exitCode: 1, ...opts, code: 'ENOVOLUME' });
    this.name = 'NoSuchVolumeError';
  }
}

/**
 * The request clashes with the state of things (code ECONFLICT; docker's 409): a name in
 * use, a running container to remove without force, an image a container uses.
 */
export class ConflictError extends GockerError {
  constructor(message: string, opts: TypedErrorOptions = {}) {
    super(message, { ...opts, code: 'ECONFLICT' });
    this.name = 'ConflictError';
  }
}

/** The container must be running for this and is not (code ENOTRUNNING). */
export class NotRunningError extends GockerError {
  constructor(message: string, opts: TypedErrorOptions = {}) {
    super(message, { exitCode: 1, ...opts, code: 'ENOTRUNNING' });
    this.name = 'NotRunningError';
  }
}

/**
 * A registry's answer that was not what was asked for, or no answer (code EREGISTRY).
 * `temporary`: worth trying again (a 5xx, a 429, a connection cut); `registryCode`: the
 * registry's own code (distribution spec: MANIFEST_UNKNOWN, UNAUTHORIZED, ...) or the
 * network error's; `status`: the HTTP status, when there was one.
 */
export class RegistryError extends GockerError {
  /** how long the registry asked us to wait before trying again (Retry-After), in ms */
  retryAfterMs?: number;

  constructor(message: string,
    /** the HTTP status, when there was an answer */
    readonly status?: number,
    /** the registry's own error code (MANIFEST_UNKNOWN, UNAUTHORIZED, ...) or the network error's */
    readonly registryCode?: string,
    /** worth trying again: a 5xx, a 429, a connection cut */
    readonly temporary = false) {
    super(message, { code: 'EREGISTRY', exitCode: 125 });
    this.name = 'RegistryError';
  }
}

/** An option's value refused (code EINVAL); `option` names it as the caller gave it. */
export class InvalidOptionError extends GockerError {
  constructor(
    /** the option refused, by the name the caller gave it ('memory', 'network', 'user', ...) */
    readonly option: string, message: string, opts: TypedErrorOptions = {}) {
    super(message, { ...opts, code: 'EINVAL' });
    this.name = 'InvalidOptionError';
  }
}

/**
 * An option's value that does not read as its kind (a size, a number, an integer): refused as
 * docker's CLI refuses a flag's value that does not parse ('invalid argument "x" for ...'),
 * before it asks the daemon anything. An InvalidOptionError (code EINVAL) still; its class
 * tells it from a value that reads but is out of range, which is the daemon's refusal.
 */
export class OptionSyntaxError extends InvalidOptionError {
  constructor(option: string, message: string, opts: TypedErrorOptions = {}) {
    super(option, message, opts);
    this.name = 'OptionSyntaxError';
  }
}

/**
 * A NUL byte in any string of options (in arrays and maps too, a map's keys as well) refused
 * as the option it is in (its top-level key). No string the engine is given may hold one:
 * the kernel ends a path, an argument or an environment entry at it, Node's fs refuses such
 * a path with a TypeError, and the monitor refuses such a spec only once the container
 * exists. One check at the engine's entry rather than one in each consumer of a field.
 */
export function refuseNulBytes(options: object, exitCode: number): void {
  const seen = new Set<object>();
  const walk = (v: unknown, where: string, option: string): void => {
    if (typeof v === 'string') {
      if (v.includes('\0')) throw new InvalidOptionError(option, `${where} must not contain a NUL byte`, { exitCode });
      return;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    // Data only: a stream or other class instance among the options is not the caller's text.
    const proto = Object.getPrototypeOf(v) as unknown;
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${where}[${i}]`, option));
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('\0')) throw new InvalidOptionError(option, `a key of ${where} must not contain a NUL byte`, { exitCode });
      walk(x, `${where}.${k}`, option);
    }
  };
  for (const [k, v] of Object.entries(options)) walk(v, k, k);
}
