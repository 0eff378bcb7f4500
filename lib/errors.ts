// Engine errors: one line of text for the user, a docker-like exit code for the CLI.

export interface GockerErrorOptions {
  /**
   * machine-readable code, e.g. 'ENOIMAGE', 'EINVALREF', or an errno name; 'EUSAGE': a request
   * malformed in a way docker's CLI itself refuses before asking the daemon
   */
  code?: string;
  /** the exit code the CLI uses: 125 for engine errors, as docker */
  exitCode?: number;
  cause?: unknown;
}

export class GockerError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(message: string, opts: GockerErrorOptions = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'GockerError';
    this.code = opts.code ?? 'EGOCKER';
    this.exitCode = opts.exitCode ?? 125;
  }
}

/** The one line a user sees for any error: no stack trace. */
export function errorLine(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0];
  return String(e);
}

export function isErrno(e: unknown, code?: string): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' &&
    (code === undefined || (e as NodeJS.ErrnoException).code === code);
}
