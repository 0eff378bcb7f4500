// Credentials (~/.docker/config.json `auths`) and the registry token flow.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../store/atomic';

export interface Credentials {
  username: string;
  password: string;
}

export function dockerConfigPath(dir = process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker')): string {
  return path.join(dir, 'config.json');
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  [k: string]: unknown;
}

function readDockerConfig(file: string): DockerConfig {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DockerConfig;
  } catch {
    return {};
  }
}

/** docker keys Docker Hub as https://index.docker.io/v1/ */
function authKeys(registry: string): string[] {
  if (registry === 'docker.io') return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`];
}

export function credentialsFor(registry: string, file = dockerConfigPath()): Credentials | undefined {
  const auths = readDockerConfig(file).auths ?? {};
  for (const k of authKeys(registry)) {
    const a = auths[k];
    if (!a) continue;
    if (a.auth) {
      const dec = Buffer.from(a.auth, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i > 0) return { username: dec.slice(0, i), password: dec.slice(i + 1) };
    }
    if (a.username && a.password) return { username: a.username, password: a.password };
  }
  return undefined;
}

export function storeCredentials(registry: string, c: Credentials | undefined, file = dockerConfigPath()): void {
  const cfg = readDockerConfig(file);
  cfg.auths ??= {};
  const key = authKeys(registry)[0];
  if (c) cfg.auths[key] = { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') };
  else for (const k of authKeys(registry)) delete cfg.auths[k];
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify(cfg, null, '\t')}\n`, 0o600);
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** WWW-Authenticate: Bearer realm="https://auth",service="registry",scope="repository:x:pull" */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s*(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)=(?:"([^"]*)"|([^,\s]*))/g;
  for (let p; (p = re.exec(m[2]));) params[p[1].toLowerCase()] = p[2] ?? p[3];
  return { scheme: m[1].toLowerCase(), params };
}
