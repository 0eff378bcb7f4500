// A hostile registry in this process, on 127.0.0.1: it serves whatever manifests and blobs a
// test hands it (digests no real registry would accept), and routes a test overrides answer
// by hand (endless bodies, lying lengths). Run gocker with gockerAsync against it, so the
// event loop that serves it is not blocked.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hostPlatform } from '../../lib/remote';

export interface FakeRegistry {
  host: string;
  url: string;
  /** 'GET /v2/...' for every request */
  requests: string[];
  /** path -> body served with 200 (manifests by tag or digest, blobs by digest) */
  manifests: Map<string, { body: Buffer; mediaType: string }>;
  blobs: Map<string, Buffer>;
  /** answers a request itself when it returns true */
  override?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  stop(): Promise<void>;
}

export const sha = (alg: 'sha256' | 'sha384' | 'sha512', b: Buffer | string): string => `${alg}:${crypto.createHash(alg).update(b).digest('hex')}`;

/**
 * Writes `chunk` to res until the client goes away or `cap` bytes are out; returns a getter
 * of how many bytes were written. The cap only bounds the test's own time on code that
 * reads without a limit.
 */
export function pumpEndless(res: http.ServerResponse, chunk: Buffer, cap = 256 << 20): () => number {
  let sent = 0;
  let stopped = false;
  res.once('close', () => (stopped = true));
  const pump = (): void => {
    while (!stopped && sent < cap) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!stopped) res.end();
  };
  pump();
  return () => sent;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const sockets = new Set<Socket>();
  const reg: FakeRegistry = {
    host: '',
    url: '',
    requests: [],
    manifests: new Map(),
    blobs: new Map(),
    stop: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
  const server = http.createServer((req, res) => {
    reg.requests.push(`${req.method} ${req.url}`);
    if (reg.override?.(req, res)) return;
    const url = req.url ?? '';
    if (url === '/v2/' || url === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    const m = /^\/v2\/.+\/manifests\/([^/]+)$/.exec(url);
    if (m && reg.manifests.has(decodeURIComponent(m[1]))) {
      const { body, mediaType } = reg.manifests.get(decodeURIComponent(m[1]))!;
      res.writeHead(200, { 'Content-Type': mediaType, 'Content-Length': body.length, 'Docker-Content-Digest': sha('sha256', body) }).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const b = /^\/v2\/.+\/blobs\/([^/]+)$/.exec(url);
    if (b && reg.blobs.has(decodeURIComponent(b[1]))) {
      const body = reg.blobs.get(decodeURIComponent(b[1]))!;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND","message":"not here"}]}');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  reg.host = `127.0.0.1:${port}`;
  reg.url = `http://${reg.host}`;
  return reg;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Puts a one-layer image under repo:tag: returns what a test may want to tamper with. */
export function serveImage(reg: FakeRegistry, tag: string, o: { layer: Buffer; diffIds: unknown[]; layerDigest?: string; configDigest?: string }): { manifest: Buffer; config: Buffer } {
  const config = Buffer.from(JSON.stringify({ architecture: goArch(), os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: o.diffIds } }));
  const layerDigest = o.layerDigest ?? sha('sha256', o.layer);
  const configDigest = o.configDigest ?? sha('sha256', config);
  reg.blobs.set(layerDigest, o.layer);
  reg.blobs.set(configDigest, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: o.layer.length }],
  }));
  reg.manifests.set(tag, { body: manifest, mediaType: OCI_MANIFEST });
  reg.manifests.set(sha('sha256', manifest), { body: manifest, mediaType: OCI_MANIFEST });
  return { manifest, config };
}

/** The host's architecture as an image config names it: the one pull asks a registry for. */
export function goArch(): string {
  return hostPlatform().architecture;
}
