import { GockerError } from '../errors';

/** A registry's answer that was not what we asked for; `temporary` drives retries. */
export class RegistryError extends GockerError {
  constructor(message: string, readonly status?: number, readonly registryCode?: string, readonly temporary = false) {
    super(message, { code: registryCode ?? (status ? `HTTP_${status}` : 'EREGISTRY'), exitCode: 125 });
    this.name = 'RegistryError';
  }
}

const TEMPORARY_CODES = new Set(['TOOMANYREQUESTS', 'UNAVAILABLE']);

/** From a non-2xx response: the registry's own error codes when it sent them (distribution spec). */
export async function fromResponse(res: Response, what: string): Promise<RegistryError> {
  let code: string | undefined;
  let message = '';
  try {
    const body = (await res.json()) as { errors?: Array<{ code?: string; message?: string }> };
    code = body.errors?.[0]?.code;
    message = body.errors?.[0]?.message ?? '';
  } catch {
    /* not JSON */
  }
  const temporary = res.status >= 500 || res.status === 429 || (code !== undefined && TEMPORARY_CODES.has(code));
  const text = code === 'MANIFEST_UNKNOWN' || code === 'NAME_UNKNOWN' || res.status === 404
    ? `${what}: not found${message ? ` (${message})` : ''}`
    : code === 'UNAUTHORIZED' || res.status === 401
      ? `${what}: unauthorized: authentication required`
      : code === 'DENIED' || res.status === 403
        ? `${what}: denied: requested access to the resource is denied`
        : `${what}: ${res.status} ${res.statusText}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  return new RegistryError(text, res.status, code, temporary);
}
