import { RegistryError } from '../errors';
import { MAX_ERROR_BODY_BYTES, readBodyCapped } from './body';

// The class is lib/errors.ts's, with the other typed errors; remote/ made it and still names it here.
export { RegistryError };

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

const TEMPORARY_CODES = new Set(['TOOMANYREQUESTS', 'UNAVAILABLE']);

/** From a non-2xx response: the registry's own error codes when it sent them (distribution spec). */
export async function fromResponse(res: Response, what: string): Promise<RegistryError> {
  let code: string | undefined;
  let message = '';
  try {
    // Only the code and message matter: a long (or endless) error body is cut, not read whole.
    const raw = await readBodyCapped(res, { what, max: MAX_ERROR_BODY_BYTES, truncate: true, stallMs: 10_000, deadlineMs: 10_000 });
    const body = JSON.parse(raw.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
    const first = body?.errors?.[0];
    // The registry's words go into our one-line message: strings only, on one line, short.
    if (typeof first?.code === 'string') code = first.code.slice(0, 64);
    if (typeof first?.message === 'string') message = first.message.replace(/\s+/g, ' ').trim().slice(0, 300);
  } catch {
    /* not JSON */
  }
  const temporary = res.status >= 500 || res.status === 429 || (code !== undefined && TEMPORARY_CODES.has(code));
  const text = code === 'MANIFEST_UNKNOWN' || code === 'NAME_UNKNOWN' || res.status === 404
    ? `${what}: not found${message ? ` (${message})` : ''}`
    : code === 'UNAUTHORIZED' || res.status === 401
      ? `${what}: unauthorized: authentication required`
      : code === 'DENIED' || res.status === 403
        ? `${what}: denied: ${message || 'requested access to the resource is denied'}`
        : code === 'TOOMANYREQUESTS' || res.status === 429
          ? `${what}: toomanyrequests: ${message || 'too many requests'}`
          : `${what}: ${res.status} ${res.statusText}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  const err = new RegistryError(text, res.status, code, temporary);
  err.retryAfterMs = retryAfterMs(res.headers.get('retry-after'));
  return err;
}
