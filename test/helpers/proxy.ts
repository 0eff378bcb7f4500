// A fault-injecting HTTP proxy in front of a real registry, for the failure paths of pull and
// push. Blob faults hit layer blobs only: the proxy reads each manifest it relays and leaves that
// manifest's config blob alone, so the streaming download path (size and digest checks while
// writing, Range resume) is what a fault exercises, not the small in-memory config fetch.
// Upload faults hit the PATCHes of chunked uploads. The registry's Locations are rewritten to
// the proxy's own address, so an upload's every request passes through it.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | 'none'
  /** every layer GET: one byte flipped in the middle */
  | 'corrupt-blob'
  /** every layer GET: half the body, then the connection is cut */
  | 'truncate-blob'
  /** the first GET of each layer is cut after half its body; later ones (resumes) pass */
  | 'truncate-once'
  /** as truncate-once, and a resume is answered from byte 0 (a 206 for a range not asked for) */
  | 'wrong-range'
  /** the first two layer GETs answer 500 */
  | 'error-500-twice'
  /** every layer GET: half the body, then silence */
  | 'stall-blob'
  /** layer GETs are held `delayMs` before they are relayed (to watch concurrency) */
  | 'slow-blob'
  /** the first layer GET answers 429 TOOMANYREQUESTS with Retry-After: 1 */
  | 'error-429-once'
  /** every layer GET answers 429 TOOMANYREQUESTS with Retry-After: 1 */
  | 'error-429-always'
  /** manifests answer 403 DENIED */
  | 'denied'
  /** manifests fetched by digest come back with one more byte of whitespace */
  | 'rewrite-manifest'
  /** manifests are an endless chunked stream of whitespace */
  | 'huge-manifest'
  /** manifests fetched by tag are a Docker schema 1 manifest */
  | 'schema1'
  /**
   * the PATCH after the first `afterPatches` (default 2) is taken and held: neither it nor its
   * body reaches the registry, and it is never answered (the client is to be killed). Once.
   */
  | 'stall-upload'
  /** the first PATCH: half its body reaches the registry, then both connections are cut. Once. */
  | 'cut-upload';

export interface Logged {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** ms since the proxy started */
  at: number;
  /** set once the proxy has answered: the status it sent */
  status?: number;
  /** a request the proxy holds (stall-upload) */
  held?: boolean;
}

export interface Proxy {
  host: string;
  url: string;
  /** 'GET /v2/...' for every request, in order */
  requests: string[];
  log: Logged[];
  /** digests of config blobs seen in relayed manifests */
  configs: Set<string>;
  /** the most layer GETs that were open at the same time */
  maxOpenLayerGets(): number;
  /** bytes of the huge-manifest stream written before the client hung up */
  hugeSent(): number;
  stop(): Promise<void>;
}

const SCHEMA1 = JSON.stringify({
  schemaVersion: 1,
  name: 'busybox',
  tag: 'latest',
  architecture: 'amd64',
  fsLayers: [{ blobSum: `sha256:${'a'.repeat(64)}` }],
  history: [{ v1Compatibility: '{"id":"x","created":"2016-01-01T00:00:00Z"}' }],
  signatures: [{ header: { alg: 'ES256' }, signature: 'c2ln', protected: 'cHJvdA' }],
}, null, 3);

export async function startProxy(upstream: string, fault: Fault, opts: { delayMs?: number; host?: string; afterPatches?: number } = {}): Promise<Proxy> {
  const t0 = Date.now();
  const requests: string[] = [];
  const log: Logged[] = [];
  const configs = new Set<string>();
  const seen = new Map<string, number>();
  let layerFaults = 0;
  let open = 0;
  let maxOpen = 0;
  let hugeSent = 0;
  let patches = 0;
  let self = '';
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const entry: Logged = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, at: Date.now() - t0 };
    requests.push(`${req.method} ${req.url}`);
    log.push(entry);
    const send = (status: number, headers: http.OutgoingHttpHeaders, body?: string | Buffer): void => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };
    const digest = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
    const isLayer = req.method === 'GET' && digest !== undefined && !configs.has(digest);
    const manifestRef = req.method === 'GET' ? /\/manifests\/([^/]+)$/.exec(req.url ?? '')?.[1] : undefined;
    const nth = digest ? (seen.set(digest, (seen.get(digest) ?? 0) + 1).get(digest)!) : 0;
    if (isLayer) {
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.once('close', () => open--);
    }

    if (isLayer && ((fault === 'error-500-twice' && layerFaults < 2) || (fault === 'error-429-once' && layerFaults < 1) || fault === 'error-429-always')) {
      layerFaults++;
      if (fault === 'error-500-twice') send(500, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"UNKNOWN","message":"injected"}]}');
      else send(429, { 'Content-Type': 'application/json', 'Retry-After': '1' }, '{"errors":[{"code":"TOOMANYREQUESTS","message":"injected rate limit"}]}');
      return;
    }
    if (manifestRef && fault === 'denied') {
      send(403, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}');
      return;
    }
    if (manifestRef && fault === 'schema1' && !manifestRef.startsWith('sha256:')) {
      send(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'Content-Length': Buffer.byteLength(SCHEMA1) }, SCHEMA1);
      return;
    }
    if (manifestRef && fault === 'huge-manifest') {
      // No Content-Length: the client can only find out by counting.
      entry.status = 200;
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
      const chunk = Buffer.alloc(64 << 10, 0x20);
      let stopped = false;
      res.once('close', () => (stopped = true));
      const pump = (): void => {
        while (!stopped && hugeSent < (1 << 30)) {
          hugeSent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!stopped) res.end();
      };
      res.write('{"schemaVersion":2,');
      pump();
      return;
    }

    const patch = req.method === 'PATCH' ? ++patches : 0;
    if (fault === 'stall-upload' && patch === (opts.afterPatches ?? 2) + 1) {
      entry.held = true;
      req.resume(); // the body is taken, and goes nowhere
      return;
    }

    const relay = (): void => {
      const headers = { ...req.headers, host: new URL(upstream).host };
      if (isLayer && fault === 'wrong-range' && headers.range) headers.range = 'bytes=0-';
      const up = http.request(`${upstream}${req.url}`, { method: req.method, headers }, (ur) => {
        const status = ur.statusCode ?? 502;
        const headers = { ...ur.headers };
        if (headers.location?.startsWith(upstream)) headers.location = self + headers.location.slice(upstream.length);
        if (manifestRef && status === 200) {
          // Read every manifest: its config blob is exempt from blob faults.
          const chunks: Buffer[] = [];
          ur.on('data', (c: Buffer) => chunks.push(c));
          ur.on('end', () => {
            let body = Buffer.concat(chunks);
            try {
              const m = JSON.parse(body.toString('utf8')) as { config?: { digest?: string } };
              if (m.config?.digest) configs.add(m.config.digest);
            } catch {
              /* not JSON: relayed as it is */
            }
            if (fault === 'rewrite-manifest' && manifestRef.startsWith('sha256:')) {
              body = Buffer.concat([body, Buffer.from('\n')]);
              headers['content-length'] = String(body.length);
            }
            send(status, headers, body);
          });
          return;
        }
        const faulty = isLayer && status < 300 && (fault === 'corrupt-blob' || fault === 'truncate-blob' || fault === 'stall-blob' || ((fault === 'truncate-once' || fault === 'wrong-range') && nth === 1));
        if (!faulty) {
          entry.status = status;
          res.writeHead(status, headers);
          ur.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          const body = Buffer.concat(chunks);
          entry.status = status;
          res.writeHead(status, headers);
          if (fault === 'corrupt-blob') {
            body[body.length >> 1] ^= 0xff;
            res.end(body);
          } else if (fault === 'truncate-blob' || fault === 'truncate-once' || fault === 'wrong-range') {
            res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
          } else {
            res.write(body.subarray(0, body.length >> 1)); // then nothing: a stalled connection
          }
        });
      });
      up.on('error', () => res.destroy());
      if (fault === 'cut-upload' && patch === 1) {
        // Half the declared body upstream, then both sides cut: the registry holds part of a chunk.
        const half = Math.floor(Number(req.headers['content-length'] ?? 0) / 2);
        let sent = 0;
        req.on('data', (c: Buffer) => {
          if (sent >= half) return;
          const part = c.subarray(0, half - sent);
          sent += part.length;
          up.write(part, () => {
            if (sent < half) return;
            setTimeout(() => {
              up.destroy();
              req.socket.destroy();
            }, 200);
          });
        });
        return;
      }
      req.pipe(up);
    };
    if (isLayer && fault === 'slow-blob') setTimeout(relay, opts.delayMs ?? 400);
    else relay();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listenHost = opts.host ?? '127.0.0.1';
  await new Promise<void>((r) => server.listen(0, listenHost, r));
  const port = (server.address() as AddressInfo).port;
  const host = listenHost.includes(':') ? `[${listenHost}]:${port}` : `${listenHost}:${port}`;
  self = `http://${host}`;
  return {
    host,
    url: `http://${host}`,
    requests,
    log,
    configs,
    maxOpenLayerGets: () => maxOpen,
    hugeSent: () => hugeSent,
    stop: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** Runs fn against a proxy started for it; the proxy stops whatever fn does. */
export async function withProxy<T>(args: Parameters<typeof startProxy>, fn: (proxy: Proxy) => Promise<T>): Promise<T> {
  const proxy = await startProxy(...args);
  try {
    return await fn(proxy);
  } finally {
    await proxy.stop();
  }
}
