// A token server for docker-registry's `auth: token` mode, as Docker Hub's auth service
// works: GET /token?service=&scope= with optional basic credentials returns a JWT the
// registry verifies against the certificate it was configured with. It runs as a child
// process of its own: the tests push with skopeo through execFileSync, which blocks this
// process's event loop, so a server in it could never answer skopeo's token request.
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  /** every token request so far: its scopes (space-separated) and the user it was for ('' when anonymous) */
  requests(): Array<{ scope: string; user: string }>;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

const SERVICE = 'gocker-test-registry';
const ISSUER = 'gocker-test-issuer';

/**
 * Anonymous users get pull on `public/*`; `tester` (password `token-pw`) gets everything.
 * A request may name several scopes (a cross-repository mount asks pull on its source too).
 */
export async function startTokenServer(dir: string): Promise<TokenServer> {
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  const log = path.join(dir, 'requests.jsonl');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=gocker-test-token', '-days', '1'], { stdio: 'ignore' });
  fs.writeFileSync(log, '');
  const child = spawn(process.execPath, [__filename, keyFile, certFile, log], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`token server exited (${code}) before listening`)));
  });
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service: SERVICE,
    issuer: ISSUER,
    certFile,
    requests: () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    stop: () => new Promise((r) => {
      if (child.exitCode !== null) return r();
      child.once('exit', () => r());
      child.kill('SIGTERM');
    }),
  };
}

function serve(keyFile: string, certFile: string, log: string): void {
  const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const der = new crypto.X509Certificate(fs.readFileSync(certFile)).raw;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const scope = scopes.join(' ');
    let user = '';
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (u !== 'tester' || p !== 'token-pw') {
        res.writeHead(401).end();
        return;
      }
      user = u;
    }
    fs.appendFileSync(log, JSON.stringify({ scope, user }) + '\n');
    const access = scopes.map((s) => {
      const [type, name, actions] = s.split(':');
      const allowed = user ? actions.split(',') : name.startsWith('public/') ? actions.split(',').filter((a) => a === 'pull') : [];
      return { type, name, actions: allowed };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: ISSUER, sub: user, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomBytes(8).toString('hex'), access };
    const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = crypto.sign('sha256', Buffer.from(signing), key);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: `${signing}.${b64url(sig)}`, expires_in: 300 }));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}

if (require.main === module) serve(process.argv[2], process.argv[3], process.argv[4]);
