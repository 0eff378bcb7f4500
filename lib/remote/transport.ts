// The registry transport: endpoints (http for loopback and insecure registries, docker.io's
// mirrors), auth (bearer tokens per host and scope, basic), deadlines, and retries of
// temporary failures with back-off and Retry-After. The operations (client.ts: manifests and
// blobs; push.ts: uploads) are made over it.
import { loadConfig, type EngineConfig } from '../config';
import type { Reference } from '../name';
import { MAX_TOKEN_BYTES, readBodyCapped } from './body';
import { credentialsFor, parseChallenge, storeCredentials, type Credentials } from './auth';
import { RegistryError, fromResponse } from './errors';
import type { Platform } from './platform';
import { fetchFor } from './tls';

/** The longest Retry-After we wait out; a registry asking for more fails the pull at once. */
const MAX_RETRY_AFTER_MS = 20_000;

/** How a registry is talked to: for pull, push and login alike. */
export interface ClientOptions {
  /** the platform a manifest list is resolved for (default: this host's) */
  platform?: Platform;
  /** how long a request may go without a byte before it is given up (default 30 s) */
  timeoutMs?: number;
  /** attempts after the first, for failures worth another (5xx, 429, a connection cut; default 3) */
  retries?: number;
  /** the insecure registries and docker.io's mirrors (default: gocker's config file) */
  config?: Pick<EngineConfig, 'insecureRegistries' | 'registryMirrors'>;
  /** where the credentials are (default: ~/.docker/config.json, or $DOCKER_CONFIG's) */
  dockerConfigFile?: string;
  /** the User-Agent header sent (default 'gocker') */
  userAgent?: string;
  /** before each retry: what failed, the attempt about to be made (1 = first retry), the wait */
  onRetry?: (what: string, attempt: number, err: Error, delayMs: number) => void;
  /** aborts every request, body and wait; the operation then rejects with the signal's reason */
  signal?: AbortSignal;
}

/**
 * A request body made afresh for every attempt (a stream is read once; an answer of 401
 * sends the request again with credentials). `touch` is called as the body is read, and
 * restarts the deadline: an upload takes as long as its bytes take, a silent one does not.
 */
export type UploadBody = (touch: () => void) => ReadableStream<Uint8Array> | Buffer;

export type RequestOptions = RequestInit & { what: string; retries?: number; upload?: UploadBody };

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** A wait that an abort ends at once, rejecting with the signal's reason. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  const done = (): void => {
    clearTimeout(timer);
    reject(signal!.reason);
  };
  const timer = setTimeout(() => {
    signal?.removeEventListener('abort', done);
    resolve();
  }, ms);
  signal?.addEventListener('abort', done, { once: true });
});

/** The wait before retry number `attempt`: exponential backoff, or what Retry-After asked within the cap. */
function retryDelay(attempt: number, err: RegistryError): number {
  const backoff = Math.min(200 * 2 ** attempt, 3000);
  return err.retryAfterMs === undefined ? backoff : Math.max(backoff, err.retryAfterMs);
}

/**
 * Requests to registries: each with the host's auth, a deadline and retries. The
 * operations are its subclasses' (RegistryClient, PushClient).
 */
export class Transport {
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  private readonly basic = new Map<string, string>();
  /** registry/repository -> the endpoint (a mirror or the registry) that served its manifest */
  protected readonly served = new Map<string, string>();
  /** hosts that asked for basic auth when there were no credentials for them */
  private readonly basicWithout = new Set<string>();
  private readonly config: Pick<EngineConfig, 'insecureRegistries' | 'registryMirrors'>;

  constructor(protected readonly opts: ClientOptions = {}) {
    this.config = opts.config ?? loadConfig();
  }

  /** http for loopback (as docker) and registries configured insecure; https otherwise. */
  protected base(registry: string): string {
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    const plain = isLoopback(host) || this.config.insecureRegistries.includes(registry);
    return `${plain ? 'http' : 'https'}://${host}`;
  }

  /** docker.io's mirrors first, docker.io itself last. */
  protected endpoints(registry: string): string[] {
    if (registry !== 'docker.io') return [this.base(registry)];
    return [...this.config.registryMirrors.map((m) => m.replace(/\/+$/, '')), this.base(registry)];
  }

  private creds(registry: string): Credentials | undefined {
    return credentialsFor(registry, this.opts.dockerConfigFile);
  }

  /** One request with auth, timeout and retries of temporary failures. */
  protected async request(registry: string, url: string, scope: string, init: RequestOptions, creds?: Credentials): Promise<Response> {
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
  protected async beforeRetry(what: string, attempt: number, retries: number, err: RegistryError): Promise<void> {
    this.throwIfAborted();
    if (!err.temporary || attempt >= retries) throw err;
    if ((err.retryAfterMs ?? 0) > MAX_RETRY_AFTER_MS) {
      throw new RegistryError(`${err.message} (the registry asks to retry after ${Math.ceil(err.retryAfterMs! / 1000)} s)`, err.status, err.registryCode, true);
    }
    const delay = retryDelay(attempt, err);
    this.opts.onRetry?.(what, attempt + 1, err, delay);
    await sleep(delay, this.opts.signal);
  }

  /** The caller's abort, as its signal's reason: never taken for a network failure to retry. */
  protected throwIfAborted(): void {
    if (this.opts.signal?.aborted) throw this.opts.signal.reason;
  }

  /** Whether the registry asked for basic auth and there were no credentials to give it. */
  askedForCredentials(registry: string): boolean {
    return this.basicWithout.has(new URL(this.base(registry)).host);
  }

  protected networkError(e: unknown, what: string): RegistryError {
    this.throwIfAborted();
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

  /**
   * fetch with a deadline for the response headers only (bodies are watched for stalls by
   * readBody); for an upload, the deadline runs from the last byte of the body read.
   */
  private async fetchHeaders(url: string | URL, init: RequestInit & { upload?: UploadBody }): Promise<Response> {
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => ac.abort(new RegistryError(`${new URL(url).host}: timed out after ${this.timeout()} ms waiting for an answer`, undefined, 'TIMEOUT', true)), this.timeout());
    };
    arm();
    const { upload, ...rest } = init;
    const signal = this.opts.signal ? AbortSignal.any([ac.signal, this.opts.signal]) : ac.signal;
    try {
      // duplex: fetch's word for a streamed request body (Node refuses one without it).
      return await fetchFor(String(url))(url, { ...rest, ...(upload ? { body: upload(arm), duplex: 'half' } : {}), signal } as RequestInit);
    } catch (e) {
      this.throwIfAborted();
      if (ac.signal.aborted && ac.signal.reason instanceof RegistryError) throw ac.signal.reason;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  protected timeout(): number {
    return this.opts.timeoutMs ?? (Number(process.env.GOCKER_REGISTRY_TIMEOUT_MS) || 30_000);
  }

  /** Blobs come from where the manifest came from: a mirror serves both or neither. */
  protected blobBase(ref: Reference): string {
    return this.served.get(`${ref.registry}/${ref.repository}`) ?? this.endpoints(ref.registry).at(-1)!;
  }

  private async authed(registry: string, url: string, scope: string, init: RequestInit & { upload?: UploadBody }, creds?: Credentials): Promise<Response> {
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
      if (ch?.scheme === 'basic') this.basicWithout.add(host);
      return res;
    }
    res = await this.fetchHeaders(url, { ...init, headers });
    return res;
  }

  /**
   * The token flow Docker Hub uses: GET realm?service=&scope=, anonymous or with basic
   * credentials. `scope` may hold several, space-separated (a mount needs pull on its
   * source too): each is a scope parameter of its own, as docker sends them.
   */
  private async fetchToken(p: Record<string, string>, scope: string, c?: Credentials): Promise<{ token: string; expires: number }> {
    if (!p.realm) throw new RegistryError('registry asked for a bearer token without a realm', 401, 'UNAUTHORIZED');
    const u = new URL(p.realm);
    if (p.service) u.searchParams.set('service', p.service);
    for (const s of scope.split(' ').filter(Boolean)) u.searchParams.append('scope', s);
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
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      // Bounded like a manifest: a token server is as untrusted as the registry.
      const raw = await readBodyCapped(res, { what: `token from ${u.host}`, max: MAX_TOKEN_BYTES, stallMs: this.timeout(), deadlineMs: this.timeout(), code: 'UNAUTHORIZED' });
      body = JSON.parse(raw.toString('utf8')) as typeof body;
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      throw new RegistryError(`token from ${u.host}: the answer is not valid JSON`, res.status, 'UNAUTHORIZED');
    }
    const token = typeof body?.token === 'string' ? body.token : typeof body?.access_token === 'string' ? body.access_token : undefined;
    // A token goes into a header: no line breaks or other control characters.
    if (token && /[^\x21-\x7e]/.test(token)) throw new RegistryError(`token from ${u.host}: the token is not a printable string`, res.status, 'UNAUTHORIZED');
    if (!token) throw new RegistryError(`token from ${u.host}: no token in the answer`, res.status, 'UNAUTHORIZED');
    // Renew a little early; 60 s is the spec's default lifetime.
    const life = typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) ? body.expires_in : 60;
    return { token, expires: Date.now() + Math.max(10, life - 10) * 1000 };
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

  /** How long a small body (manifest, config) may take in all, however it trickles. */
  protected bodyDeadline(): number {
    return Math.max(4 * this.timeout(), 60_000);
  }
}
