// The registry client: ping, auth (bearer token and basic), manifests (OCI and Docker,
// indexes and lists), and blobs verified against their digests as they stream. Pushing
// (uploads, mounts, manifest PUT) is in push.ts, over the same transport.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { loadConfig, type EngineConfig } from '../config';
import { GockerError } from '../errors';
import { log } from '../log';
import { referenceString, type Reference } from '../name';
import { splitDigest, validateDigest, type DigestAlgorithm } from '../name/digest';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, MAX_TOKEN_BYTES, readBody, readBodyCapped } from './body';
import { credentialsFor, parseChallenge, storeCredentials, type Credentials } from './auth';
import { RegistryError, fromResponse } from './errors';
import { fetchFor } from './tls';

export { RegistryError } from './errors';
export { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from './body';

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
/** The longest Retry-After we wait out; a registry asking for more fails the pull at once. */
const MAX_RETRY_AFTER_MS = 20_000;

export interface ClientOptions {
  platform?: Platform;
  timeoutMs?: number;
  retries?: number;
  config?: Pick<EngineConfig, 'insecureRegistries' | 'registryMirrors'>;
  dockerConfigFile?: string;
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

/** d (validated) computed over b with d's own algorithm: sha256, sha384 or sha512. */
function digestOf(b: Buffer, algorithm: DigestAlgorithm): string {
  return `${algorithm}:${crypto.createHash(algorithm).update(b).digest('hex')}`;
}

/**
 * A descriptor from a registry's manifest or index, checked before any of it is used: the
 * digest (algorithm and exact hex length) goes into URLs and store paths, the size bounds
 * the download. Anything else is refused as the registry's error.
 */
function checkDescriptor(d: unknown, what: string): Descriptor {
  if (typeof d !== 'object' || d === null) throw new RegistryError(`${what}: not a descriptor`, undefined, 'MANIFEST_INVALID');
  const desc = d as Descriptor;
  try {
    validateDigest(desc.digest, what);
  } catch (e) {
    throw new RegistryError((e as Error).message, undefined, 'DIGEST_INVALID');
  }
  if (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0) {
    throw new RegistryError(`${what}: invalid size ${JSON.stringify(desc.size)?.slice(0, 40)} for ${desc.digest}`, undefined, 'SIZE_INVALID');
  }
  if (desc.mediaType !== undefined && typeof desc.mediaType !== 'string') throw new RegistryError(`${what}: invalid media type for ${desc.digest}`, undefined, 'MANIFEST_INVALID');
  return desc;
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
  private endpoints(registry: string): string[] {
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
  private blobBase(ref: Reference): string {
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

  /**
   * A manifest or index by tag or digest. By digest it is verified with the digest's own
   * algorithm; from an index, `expected` is the descriptor that named it and the body may be
   * no longer than its size. Either way no more than MAX_MANIFEST_BYTES is ever read.
   */
  private async getManifest(ref: Reference, reference: string, expected?: Descriptor): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const scope = `repository:${ref.repository}:pull`;
    const byDigest = reference.includes(':');
    if (byDigest) validateDigest(reference, `manifest for ${referenceString(ref)}`);
    let last: Error | undefined;
    const bases = this.endpoints(ref.registry);
    for (const base of bases) {
      try {
        const what = `manifest for ${referenceString(ref)}`;
        const res = await this.request(ref.registry, `${base}/v2/${ref.repository}/manifests/${reference}`, scope,
          { what, headers: { Accept: ACCEPT } });
        const body = await readBodyCapped(res, { what, max: MAX_MANIFEST_BYTES, expected: expected?.size, stallMs: this.timeout(), deadlineMs: this.bodyDeadline(), code: 'MANIFEST_INVALID' });
        // The digest the registry is known by is sha256 of the bytes (distribution's
        // canonical); fetched by a digest of another algorithm, that one must match too.
        const digest = digestOf(body, byDigest ? splitDigest(reference).algorithm : 'sha256');
        if (byDigest && digest !== reference) {
          throw new RegistryError(`manifest verification failed for digest ${reference}: got ${digest}`, undefined, 'DIGEST_INVALID');
        }
        if (expected && body.length !== expected.size) {
          throw new RegistryError(`${what}: ${body.length} bytes, its descriptor gives ${expected.size}`, undefined, 'SIZE_INVALID');
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
      if (!Array.isArray(idx?.manifests)) throw new RegistryError(`${referenceString(ref)}: the index has no list of manifests`, undefined, 'MANIFEST_INVALID');
      idx.manifests = idx.manifests.filter((d) => typeof d === 'object' && d !== null);
      const ok = (d: Descriptor): boolean => !!d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture;
      const candidates = idx.manifests.filter(ok);
      const pick = candidates.find((d) => (want.variant ?? '') === (d.platform?.variant ?? '')) ?? candidates.find((d) => !want.variant || !d.platform?.variant) ?? candidates[0];
      if (!pick) {
        const avail = idx.manifests.filter((d) => d.platform && d.platform.architecture !== 'unknown').map((d) => platformString(d.platform!));
        throw new GockerError(`no matching manifest for ${platformString(want)} in the manifest list entries (available: ${avail.join(', ') || 'none'})`, { code: 'ENOPLATFORM' });
      }
      m = await this.getManifest(ref, checkDescriptor(pick, `${referenceString(ref)}: index entry`).digest, pick);
    }
    if (m.mediaType === MEDIA.dockerSchema1 || m.mediaType === MEDIA.dockerSchema1Signed) {
      throw new GockerError(`${referenceString(ref)}: Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported`, { code: 'EUNSUPPORTED' });
    }
    if (m.mediaType !== MEDIA.ociManifest && m.mediaType !== MEDIA.dockerManifest) {
      throw new GockerError(`${referenceString(ref)}: unsupported manifest media type ${m.mediaType}`, { code: 'EUNSUPPORTED' });
    }
    const man = JSON.parse(m.body.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    const where = `manifest for ${referenceString(ref)}`;
    if (!Array.isArray(man?.layers)) throw new RegistryError(`${where}: no list of layers`, undefined, 'MANIFEST_INVALID');
    const config = checkDescriptor(man.config, `${where}: config`);
    const layers = man.layers.map((l, i) => checkDescriptor(l, `${where}: layer ${i}`));
    return { ref, manifestDigest: m.digest, manifest: m.body, mediaType: m.mediaType, config, layers, indexDigest };
  }

  /**
   * Downloads a blob into file, checking size and digest (sha256, sha384 or sha512) as it streams. Transient failures
   * are retried, resuming with Range where the registry allows it.
   */
  async fetchBlobToFile(ref: Reference, desc: Descriptor, file: string, onProgress?: (bytes: number) => void): Promise<void> {
    checkDescriptor(desc, 'blob');
    const { algorithm, hex } = splitDigest(desc.digest);
    const scope = `repository:${ref.repository}:pull`;
    const retries = this.opts.retries ?? 3;
    let hash = crypto.createHash(algorithm);
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
      hash = crypto.createHash(algorithm);
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
          await readBody(res, { what: `blob ${desc.digest}`, stallMs: this.timeout() }, (chunk) => {
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
    if (actual !== hex) throw new RegistryError(`blob ${desc.digest}: digest mismatch, got ${algorithm}:${actual}`, undefined, 'DIGEST_INVALID');
  }

  /** How long a small body (manifest, config) may take in all, however it trickles. */
  private bodyDeadline(): number {
    return Math.max(4 * this.timeout(), 60_000);
  }

  /**
   * A small blob (a config) in memory, verified; retried like any request. Read to its
   * descriptor's size and no further, which may not exceed MAX_CONFIG_BYTES.
   */
  async fetchBlobBuffer(ref: Reference, desc: Descriptor): Promise<Buffer> {
    checkDescriptor(desc, 'config');
    const what = `blob ${desc.digest}`;
    if (desc.size > MAX_CONFIG_BYTES) throw new RegistryError(`${what} is ${desc.size} bytes, more than the ${MAX_CONFIG_BYTES} a config may have`, undefined, 'SIZE_INVALID');
    const { algorithm } = splitDigest(desc.digest);
    const retries = this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.request(ref.registry, `${this.blobBase(ref)}/v2/${ref.repository}/blobs/${desc.digest}`, `repository:${ref.repository}:pull`, { what, retries: 0 });
        const body = await readBodyCapped(res, { what, max: MAX_CONFIG_BYTES, expected: desc.size, stallMs: this.timeout(), deadlineMs: this.bodyDeadline() });
        if (body.length < desc.size) throw new RegistryError(`${what}: connection closed after ${body.length} of ${desc.size} bytes`, undefined, 'ETRUNCATED', true);
        const actual = digestOf(body, algorithm);
        if (actual !== desc.digest) throw new RegistryError(`${what}: digest mismatch, got ${actual}`, undefined, 'DIGEST_INVALID');
        return body;
      } catch (e) {
        await this.beforeRetry(what, attempt, retries, e instanceof RegistryError ? e : this.networkError(e, what));
      }
    }
  }
}
