// The registry client: ping, auth (bearer token and basic), manifests (OCI and Docker,
// indexes and lists), and blobs verified against their digests as they stream.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { loadConfig, type EngineConfig } from '../config';
import { GockerError } from '../errors';
import { log } from '../log';
import { referenceString, type Reference } from '../name';
import { credentialsFor, parseChallenge, storeCredentials, type Credentials } from './auth';
import { RegistryError, fromResponse } from './errors';
import { fetchFor } from './tls';

export { RegistryError } from './errors';

export interface Platform { os: string; architecture: string; variant?: string }
export interface Descriptor { mediaType: string; digest: string; size: number; platform?: Platform; annotations?: Record<string, string>; urls?: string[] }
export interface ResolvedImage {
  ref: Reference;
  manifestDigest: string;
  manifest: Buffer;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  indexDigest?: string;
}

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
};
const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');
const MAX_MANIFEST = 4 << 20;
/** The longest Retry-After we wait out; a registry asking for more fails the pull at once. */
const MAX_RETRY_AFTER_MS = 20_000;

export interface ClientOptions {
  platform?: Platform;
  timeoutMs?: number;
  retries?: number;
  config?: EngineConfig;
  dockerConfigFile?: string;
  userAgent?: string;
  /** before each retry: what failed, the attempt about to be made (1 = first retry), the wait */
  onRetry?: (what: string, attempt: number, err: Error, delayMs: number) => void;
}

export function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: 'linux', architecture: arch, ...(arch === 'arm64' ? { variant: 'v8' } : arch === 'arm' ? { variant: 'v7' } : {}) };
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new GockerError(`invalid platform: "${s}": expected os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

const platformString = (p: Platform): string => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sha256Hex(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/**
 * A failure of our own disk (ENOSPC, EIO, EROFS...) while storing what the registry sent:
 * permanent, so never retried as if the network had failed.
 */
function storageError(e: unknown, file: string): GockerError {
  const err = e as NodeJS.ErrnoException;
  const text = err.code === 'ENOSPC' ? 'no space left on device' : err.code === 'EDQUOT' ? 'disk quota exceeded' : (err.message ?? String(e)).replace(/^\w+: /, '');
  return new GockerError(`${err.syscall ?? 'write'} ${file}: ${text}`, { code: err.code ?? 'EIO', cause: e });
}

const isStorageError = (e: unknown): boolean => e instanceof GockerError && !(e instanceof RegistryError);

/** The wait before retry number `attempt`: exponential backoff, or what Retry-After asked within the cap. */
function retryDelay(attempt: number, err: RegistryError): number {
  const backoff = Math.min(200 * 2 ** attempt, 3000);
  return err.retryAfterMs === undefined ? backoff : Math.max(backoff, err.retryAfterMs);
}

/** The first byte position of a 206's Content-Range ('bytes 100-199/200'). */
function rangeStart(header: string | null): number | undefined {
  const m = /^bytes\s+(\d+)-\d+\/(?:\d+|\*)$/.exec(header?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

export class RegistryClient {
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  private readonly basic = new Map<string, string>();
  /** registry/repository -> the endpoint (a mirror or the registry) that served its manifest */
  private readonly served = new Map<string, string>();
  private readonly config: EngineConfig;

  constructor(private readonly opts: ClientOptions = {}) {
    this.config = opts.config ?? loadConfig();
  }

  /** http for loopback (as docker) and registries configured insecure; https otherwise. */
  private base(registry: string): string {
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    const plain = isLoopback(host) || this.config.insecureRegistries.includes(registry);
    return `${plain ? 'http' : 'https'}://${host}`;
  }

  /** docker.io's mirrors first, docker.io itself last. */
  private endpoints(registry: string): string[] {
    if (registry !== 'docker.io') return [this.base(registry)];
    return [...this.config.registryMirrors.map((m) => m.replace(/\/+$/, '')), this.base(registry)];
  }

  private creds(registry: string): Credentials | undefined {
    return credentialsFor(registry, this.opts.dockerConfigFile);
  }

  /** One request with auth, timeout and retries of temporary failures. */
  private async request(registry: string, url: string, scope: string, init: RequestInit & { what: string; retries?: number }, creds?: Credentials): Promise<Response> {
    const retries = init.retries ?? this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let err: RegistryError;
      try {
        const res = await this.authed(registry, url, scope, init, creds);
        if (res.ok || res.status === 206 || res.status === 304) return res;
        err = await fromResponse(res, init.what);
      } catch (e) {
        err = e instanceof RegistryError ? e : this.networkError(e, init.what);
      }
      await this.beforeRetry(init.what, attempt, retries, err);
    }
  }

  /** Throws err unless it is temporary and retries are left; otherwise reports and waits. */
  private async beforeRetry(what: string, attempt: number, retries: number, err: RegistryError): Promise<void> {
    if (!err.temporary || attempt >= retries) throw err;
    if ((err.retryAfterMs ?? 0) > MAX_RETRY_AFTER_MS) {
      throw new RegistryError(`${err.message} (the registry asks to retry after ${Math.ceil(err.retryAfterMs! / 1000)} s)`, err.status, err.registryCode, true);
    }
    const delay = retryDelay(attempt, err);
    this.opts.onRetry?.(what, attempt + 1, err, delay);
    await sleep(delay);
  }

  private networkError(e: unknown, what: string): RegistryError {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return new RegistryError(`${what}: timed out after ${this.timeout()} ms`, undefined, 'TIMEOUT', true);
    const code = err.cause?.code ?? (err as { code?: string }).code;
    const words: Record<string, string> = {
      UND_ERR_SOCKET: 'connection closed by the registry',
      ECONNRESET: 'connection reset by the registry',
      ECONNREFUSED: 'connection refused',
      UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
      ENOTFOUND: 'no such host',
    };
    // A certificate that does not verify (OpenSSL's verify results, as Node names them), or
    // no TLS at the other end, stays so: not retried.
    if (code && /CERT|CRL|SELF_SIGNED|^UNABLE_TO_|^INVALID_(CA|PURPOSE)$|^PATH_LENGTH_EXCEEDED$|^HOSTNAME_MISMATCH$|^ERR_TLS_|^ERR_SSL_/.test(code)) {
      return new RegistryError(`${what}: tls: ${err.cause?.message ?? err.message}`, undefined, code, false);
    }
    const detail = (code && words[code]) ?? err.cause?.message ?? err.message;
    return new RegistryError(`${what}: ${detail}`, undefined, code ?? 'ENETWORK', true);
  }

  /** fetch with a deadline for the response headers only: bodies are watched for stalls by readBody. */
  private async fetchHeaders(url: string | URL, init: RequestInit): Promise<Response> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new RegistryError(`${new URL(url).host}: timed out after ${this.timeout()} ms waiting for an answer`, undefined, 'TIMEOUT', true)), this.timeout());
    try {
      return await fetchFor(String(url))(url, { ...init, signal: ac.signal });
    } catch (e) {
      if (ac.signal.aborted && ac.signal.reason instanceof RegistryError) throw ac.signal.reason;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private timeout(): number {
    return this.opts.timeoutMs ?? (Number(process.env.GOCKER_REGISTRY_TIMEOUT_MS) || 30_000);
  }

  /** Blobs come from where the manifest came from: a mirror serves both or neither. */
  private blobBase(ref: Reference): string {
    return this.served.get(`${ref.registry}/${ref.repository}`) ?? this.endpoints(ref.registry).at(-1)!;
  }

  private async authed(registry: string, url: string, scope: string, init: RequestInit, creds?: Credentials): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('User-Agent', this.opts.userAgent ?? 'gocker');
    // Tokens and basic auth belong to the host that asked for them: a mirror's token is
    // never sent to docker.io, nor docker.io's credentials to a mirror.
    const host = new URL(url).host;
    const isMirror = host !== new URL(this.base(registry)).host;
    const key = `${host}|${scope}`;
    const tok = this.tokens.get(key);
    if (tok && tok.expires > Date.now()) headers.set('Authorization', `Bearer ${tok.token}`);
    else if (this.basic.has(host)) headers.set('Authorization', this.basic.get(host)!);
    let res = await this.fetchHeaders(url, { ...init, headers });
    if (res.status !== 401) return res;
    const ch = parseChallenge(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    const c = creds ?? this.creds(isMirror ? host : registry);
    if (ch?.scheme === 'bearer') {
      const token = await this.fetchToken(ch.params, scope, c);
      this.tokens.set(key, token);
      headers.set('Authorization', `Bearer ${token.token}`);
    } else if (ch?.scheme === 'basic' && c) {
      const b = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
      this.basic.set(host, b);
      headers.set('Authorization', b);
    } else {
      return res;
    }
    res = await this.fetchHeaders(url, { ...init, headers });
    return res;
  }

  /** The token flow Docker Hub uses: GET realm?service=&scope=, anonymous or with basic credentials. */
  private async fetchToken(p: Record<string, string>, scope: string, c?: Credentials): Promise<{ token: string; expires: number }> {
    if (!p.realm) throw new RegistryError('registry asked for a bearer token without a realm', 401, 'UNAUTHORIZED');
    const u = new URL(p.realm);
    if (p.service) u.searchParams.set('service', p.service);
    if (scope) u.searchParams.set('scope', scope);
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent ?? 'gocker' };
    if (c) headers.Authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    let res: Response;
    try {
      res = await this.fetchHeaders(u, { headers });
    } catch (e) {
      throw this.networkError(e, `token from ${u.host}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryError(`token from ${u.host}: ${res.status === 401 ? 'unauthorized: incorrect username or password' : `${res.status} ${res.statusText}`}`, res.status, res.status === 401 ? 'UNAUTHORIZED' : undefined, res.status >= 500);
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token from ${u.host}: no token in the answer`, res.status, 'UNAUTHORIZED');
    // Renew a little early; 60 s is the spec's default lifetime.
    return { token, expires: Date.now() + Math.max(10, (body.expires_in ?? 60) - 10) * 1000 };
  }

  async ping(registry: string, creds?: Credentials): Promise<void> {
    const res = await this.request(registry, `${this.base(registry)}/v2/`, '', { what: `ping ${registry}` }, creds);
    await res.body?.cancel();
  }

  /** Verifies the credentials against the registry, then saves them as docker login does. */
  async login(registry: string, username: string, password: string): Promise<void> {
    await this.ping(registry, { username, password });
    storeCredentials(registry, { username, password }, this.opts.dockerConfigFile);
  }

  private async getManifest(ref: Reference, reference: string): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const scope = `repository:${ref.repository}:pull`;
    let last: Error | undefined;
    const bases = this.endpoints(ref.registry);
    for (const base of bases) {
      try {
        const res = await this.request(ref.registry, `${base}/v2/${ref.repository}/manifests/${reference}`, scope,
          { what: `manifest for ${referenceString(ref)}`, headers: { Accept: ACCEPT } });
        const tooLarge = (): RegistryError => new RegistryError(`manifest for ${referenceString(ref)} is larger than ${MAX_MANIFEST} bytes`, undefined, 'MANIFEST_INVALID');
        if (Number(res.headers.get('content-length') ?? 0) > MAX_MANIFEST) {
          await res.body?.cancel();
          throw tooLarge();
        }
        // Chunked answers have no length: count as they come and stop at the cap.
        const chunks: Buffer[] = [];
        let size = 0;
        await this.readBody(res, `manifest for ${referenceString(ref)}`, (c) => {
          size += c.length;
          if (size > MAX_MANIFEST) throw tooLarge();
          chunks.push(c);
        });
        const body = Buffer.concat(chunks);
        const digest = `sha256:${sha256Hex(body)}`;
        if (reference.startsWith('sha256:') && digest !== reference) {
          throw new RegistryError(`manifest verification failed for digest ${reference}: got ${digest}`, undefined, 'DIGEST_INVALID');
        }
        let mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
        try {
          const j = JSON.parse(body.toString('utf8')) as { mediaType?: string; schemaVersion?: number; manifests?: unknown; layers?: unknown };
          if (j.mediaType) mediaType = j.mediaType;
          else if (j.schemaVersion === 1) mediaType = MEDIA.dockerSchema1;
          else if (!mediaType || mediaType === 'application/json') mediaType = j.manifests ? MEDIA.ociIndex : MEDIA.ociManifest;
        } catch {
          throw new RegistryError(`manifest for ${referenceString(ref)} is not valid JSON`);
        }
        this.served.set(`${ref.registry}/${ref.repository}`, base);
        return { body, mediaType, digest };
      } catch (e) {
        last = e as Error;
        // As dockerd logs it: a mirror's failure is otherwise hidden behind the next one's.
        if (base !== bases.at(-1)) log.warn(`${base} failed, trying the next endpoint: ${last.message}`);
      }
    }
    throw last ?? new RegistryError(`no endpoint for ${ref.registry}`);
  }

  async resolve(ref: Reference): Promise<ResolvedImage> {
    const want = this.opts.platform ?? hostPlatform();
    let m = await this.getManifest(ref, ref.digest ?? ref.tag ?? 'latest');
    let indexDigest: string | undefined;
    if (m.mediaType === MEDIA.ociIndex || m.mediaType === MEDIA.dockerList) {
      indexDigest = m.digest;
      const idx = JSON.parse(m.body.toString('utf8')) as { manifests: Descriptor[] };
      const ok = (d: Descriptor): boolean => !!d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture;
      const candidates = idx.manifests.filter(ok);
      const pick = candidates.find((d) => (want.variant ?? '') === (d.platform?.variant ?? '')) ?? candidates.find((d) => !want.variant || !d.platform?.variant) ?? candidates[0];
      if (!pick) {
        const avail = idx.manifests.filter((d) => d.platform && d.platform.architecture !== 'unknown').map((d) => platformString(d.platform!));
        throw new GockerError(`no matching manifest for ${platformString(want)} in the manifest list entries (available: ${avail.join(', ') || 'none'})`, { code: 'ENOPLATFORM' });
      }
      m = await this.getManifest(ref, pick.digest);
    }
    if (m.mediaType === MEDIA.dockerSchema1 || m.mediaType === MEDIA.dockerSchema1Signed) {
      throw new GockerError(`${referenceString(ref)}: Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported`, { code: 'EUNSUPPORTED' });
    }
    if (m.mediaType !== MEDIA.ociManifest && m.mediaType !== MEDIA.dockerManifest) {
      throw new GockerError(`${referenceString(ref)}: unsupported manifest media type ${m.mediaType}`, { code: 'EUNSUPPORTED' });
    }
    const man = JSON.parse(m.body.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    return { ref, manifestDigest: m.digest, manifest: m.body, mediaType: m.mediaType, config: man.config, layers: man.layers, indexDigest };
  }

  /**
   * Downloads a blob into file, checking size and sha256 as it streams. Transient failures
   * are retried, resuming with Range where the registry allows it.
   */
  async fetchBlobToFile(ref: Reference, desc: Descriptor, file: string, onProgress?: (bytes: number) => void): Promise<void> {
    const hex = desc.digest.replace(/^sha256:/, '');
    if (!desc.digest.startsWith('sha256:') || !/^[0-9a-f]{64}$/.test(hex)) throw new RegistryError(`unsupported digest ${desc.digest}`);
    const scope = `repository:${ref.repository}:pull`;
    const retries = this.opts.retries ?? 3;
    let hash = crypto.createHash('sha256');
    let got = 0;
    const disk = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw storageError(e, file);
      }
    };
    const fd = disk(() => fs.openSync(file, 'w', 0o600));
    const restart = (): void => {
      got = 0;
      disk(() => fs.ftruncateSync(fd, 0));
      hash = crypto.createHash('sha256');
    };
    try {
      for (let attempt = 0; ; attempt++) {
        const headers: Record<string, string> = {};
        if (got > 0) headers.Range = `bytes=${got}-`;
        try {
          // Retried by this loop, which resumes, not by request()'s.
          const res = await this.request(ref.registry, `${this.blobBase(ref)}/v2/${ref.repository}/blobs/${desc.digest}`, scope,
            { what: `blob ${desc.digest}`, headers, retries: 0 });
          if (res.status === 206) {
            // Only the bytes we asked for can be appended: any other range means starting over.
            const start = rangeStart(res.headers.get('content-range'));
            if (got === 0 || start !== got) {
              await res.body?.cancel();
              restart();
              throw new RegistryError(`blob ${desc.digest}: the registry answered range ${res.headers.get('content-range') ?? '(none)'} for bytes=${got}-`, 206, 'RANGE_INVALID', true);
            }
          } else if (got > 0) {
            restart(); // no range support: the whole blob again
          }
          await this.readBody(res, `blob ${desc.digest}`, (chunk) => {
            if (got + chunk.length > desc.size) throw new RegistryError(`blob ${desc.digest}: more than the ${desc.size} bytes the manifest gives`, undefined, 'SIZE_INVALID');
            disk(() => fs.writeSync(fd, chunk, 0, chunk.length, got));
            hash.update(chunk);
            got += chunk.length;
            onProgress?.(got);
          }).catch((e: unknown) => {
            // The body broke off (reset, closed): say how far it got.
            if (e instanceof GockerError) throw e;
            throw new RegistryError(`blob ${desc.digest}: connection closed after ${got} of ${desc.size} bytes`, undefined, 'ETRUNCATED', true);
          });
          if (got < desc.size) throw new RegistryError(`blob ${desc.digest}: connection closed after ${got} of ${desc.size} bytes`, undefined, 'ETRUNCATED', true);
          break;
        } catch (e) {
          if (isStorageError(e)) throw e;
          await this.beforeRetry(`blob ${desc.digest}`, attempt, retries, e instanceof RegistryError ? e : this.networkError(e, `blob ${desc.digest}`));
        }
      }
      disk(() => fs.fsyncSync(fd));
    } finally {
      fs.closeSync(fd);
    }
    const actual = hash.digest('hex');
    if (actual !== hex) throw new RegistryError(`blob ${desc.digest}: digest mismatch, got sha256:${actual}`, undefined, 'DIGEST_INVALID');
  }

  /** Reads a body, failing when no byte arrives for the timeout (a stalled connection). */
  private async readBody(res: Response, what: string, onChunk: (b: Buffer) => void): Promise<void> {
    if (!res.body) return;
    const reader = res.body.getReader();
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RegistryError(`${what}: download stalled: no data for ${this.timeout()} ms`, undefined, 'TIMEOUT', true)), this.timeout());
      });
      try {
        const { done, value } = await Promise.race([reader.read(), stalled]);
        if (done) return;
        onChunk(Buffer.from(value));
      } catch (e) {
        void reader.cancel().catch(() => undefined);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** A small blob (a config) in memory, verified; retried like any request. */
  async fetchBlobBuffer(ref: Reference, desc: Descriptor): Promise<Buffer> {
    if (desc.size > MAX_MANIFEST * 4) throw new RegistryError(`blob ${desc.digest} is too large for a config`);
    const what = `blob ${desc.digest}`;
    const retries = this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.request(ref.registry, `${this.blobBase(ref)}/v2/${ref.repository}/blobs/${desc.digest}`, `repository:${ref.repository}:pull`, { what, retries: 0 });
        const chunks: Buffer[] = [];
        await this.readBody(res, what, (c) => chunks.push(c));
        const body = Buffer.concat(chunks);
        if (body.length < desc.size) throw new RegistryError(`${what}: connection closed after ${body.length} of ${desc.size} bytes`, undefined, 'ETRUNCATED', true);
        if (`sha256:${sha256Hex(body)}` !== desc.digest) throw new RegistryError(`${what}: digest mismatch, got sha256:${sha256Hex(body)}`, undefined, 'DIGEST_INVALID');
        return body;
      } catch (e) {
        await this.beforeRetry(what, attempt, retries, e instanceof RegistryError ? e : this.networkError(e, what));
      }
    }
  }

}
