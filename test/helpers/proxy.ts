// A fault-injecting HTTP proxy in front of a real registry, for the failure paths of pull.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'none' | 'corrupt-blob' | 'truncate-blob' | 'error-500-twice' | 'stall-blob';

export interface Proxy {
  host: string;
  requests: string[];
  stop(): Promise<void>;
}

export async function startProxy(upstream: string, fault: Fault): Promise<Proxy> {
  const requests: string[] = [];
  let failures = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const isBlob = /\/blobs\/sha256:/.test(req.url ?? '') && req.method === 'GET';
    if (isBlob && fault === 'error-500-twice' && failures < 2) {
      failures++;
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"UNKNOWN","message":"injected"}]}');
      return;
    }
    const up = http.request(`${upstream}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(upstream).host } }, (ur) => {
      const headers = { ...ur.headers };
      if (!isBlob || fault === 'none' || fault === 'error-500-twice' || (ur.statusCode ?? 0) >= 300) {
        res.writeHead(ur.statusCode ?? 502, headers);
        ur.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      ur.on('data', (c: Buffer) => chunks.push(c));
      ur.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(ur.statusCode ?? 200, headers);
        if (fault === 'corrupt-blob') {
          body[body.length >> 1] ^= 0xff;
          res.end(body);
        } else if (fault === 'truncate-blob') {
          res.write(body.subarray(0, body.length >> 1));
          res.socket?.destroy();
        } else {
          res.write(body.subarray(0, body.length >> 1)); // then nothing: a stalled connection
        }
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
