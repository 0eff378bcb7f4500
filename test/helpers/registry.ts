// A real registry for tests: Debian's docker-registry (CNCF distribution) on a free loopback
// port, with storage in a temp dir; anonymous or htpasswd basic auth; plain HTTP, or TLS with
// a certificate from a test CA. stop() ends the process we started (by its pid) and removes
// its files.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Registry {
  host: string;
  url: string;
  username?: string;
  password?: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface TokenAuth { realm: string; service: string; issuer: string; certFile: string }

/** A test CA (ca.pem) and a certificate it signed for 127.0.0.1 (server.pem, server.key), in dir. */
export interface TestCa { caFile: string; certFile: string; keyFile: string }

export function makeTestCa(dir: string): TestCa {
  const f = (name: string): string => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-subj', '/CN=gocker test CA', '-days', '1',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.pem'), '-days', '1', '-extfile', f('server.ext')]);
  return { caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key') };
}

/** Whether something accepts connections on 127.0.0.1:port (a TLS registry cannot be asked /v2/ without its CA). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** port: where to listen (a free one by default) */
export async function startRegistry(opts: { auth?: 'none' | 'basic'; token?: TokenAuth; tls?: TestCa; port?: number } = {}): Promise<Registry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-registry-'));
  const port = opts.port ?? await freePort();
  const host = `127.0.0.1:${port}`;
  let auth = '';
  let username: string | undefined;
  let password: string | undefined;
  if (opts.auth === 'basic') {
    username = 'tester';
    password = 'secret-pw';
    const htpasswd = execFileSync('htpasswd', ['-Bbn', username, password]).toString();
    fs.writeFileSync(path.join(dir, 'htpasswd'), htpasswd);
    auth = `auth:\n  htpasswd:\n    realm: gocker-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  if (opts.token) {
    const t = opts.token;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certFile}\n`;
  }
  const tls = opts.tls ? `  tls:\n    certificate: ${opts.tls.certFile}\n    key: ${opts.tls.keyFile}\n` : '';
  const config = `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n${tls}${auth}`;
  fs.writeFileSync(path.join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Ready when /v2/ answers (401 counts: auth is on); over TLS, when it listens.
  for (let i = 0; ; i++) {
    try {
      if (opts.tls) {
        if (await listening(port)) break;
      } else if (await listening(port)) {
        // http.get, not fetch: fetch refuses some ports (its "bad ports"), which tests listen on.
        const status = await new Promise<number>((resolve, reject) => http.get(`http://${host}/v2/`, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        }).on('error', reject));
        if (status === 200 || status === 401) break;
      }
    } catch {
      /* not listening yet */
    }
    if (i > 200 || child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry did not start: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { host, url: `${opts.tls ? 'https' : 'http'}://${host}`, username, password, stop };
}

/** Pushes with skopeo (not gocker): src is a skopeo reference such as oci:/dir:tag. */
export function pushImage(src: string, reg: Registry, repoTag: string, extra: string[] = []): void {
  const creds = reg.username ? ['--dest-creds', `${reg.username}:${reg.password}`] : [];
  execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...creds, ...extra, src, `docker://${reg.host}/${repoTag}`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
}

/** Ports Node's fetch refuses to connect to (the Fetch standard's "bad ports"), and docker does not. */
const FETCH_BAD_PORTS = [6000, 6665, 6666, 6667, 6668, 6669, 6697, 10080, 5060, 5061, 4045, 6679];

/**
 * A port of fetch's bad ports nothing listens on, and that fetch refuses, checked: a test of
 * gocker on such a port would prove nothing if fetch took it. skip: ports already chosen.
 */
export async function freeBadPort(skip: number[] = []): Promise<number> {
  for (const port of FETCH_BAD_PORTS) {
    if (skip.includes(port) || await listening(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!free) continue;
    const refused = await fetch(`http://127.0.0.1:${port}/`).then(() => false, (e: { cause?: { message?: string } }) => e.cause?.message === 'bad port');
    if (refused) return port;
  }
  throw new Error(`none of fetch's bad ports is free here: ${FETCH_BAD_PORTS.join(', ')}`);
}
