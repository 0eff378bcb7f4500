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

/**
 * Every challenge in a WWW-Authenticate header (RFC 7235): a header may carry several
 * (`Basic realm="x", Bearer realm="y",scope="a,b"`), values may be quoted strings with
 * backslash escapes and commas inside, or bare tokens.
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  const s = header;
  let i = 0;
  const skip = (re: RegExp): void => {
    while (i < s.length && re.test(s[i])) i++;
  };
  const token = (): string => {
    const start = i;
    // tchar, plus the token68 characters a bare value may use (base64 '/', '+', '=' padding)
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z/:]/.test(s[i])) i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    let v = '';
    for (i++; i < s.length && s[i] !== '"'; i++) v += s[i] === '\\' && i + 1 < s.length ? s[++i] : s[i];
    i++; // the closing quote (or the end of an unterminated string)
    return v;
  };
  let current: Challenge | undefined;
  // A bare token straight after a scheme, with no comma between, is that challenge's token68.
  let justScheme = false;
  while (i < s.length) {
    const before = i;
    skip(/[\s,]/);
    if (s.slice(before, i).includes(',')) justScheme = false;
    if (i >= s.length) break;
    const name = token();
    if (!name) {
      i++; // a character no grammar allows here: step over it
      continue;
    }
    skip(/[ \t]/);
    if (s[i] === '=' && current && s[i + 1] !== '=') {
      // name=value: a parameter of the current challenge
      i++;
      skip(/[ \t]/);
      current.params[name.toLowerCase()] = s[i] === '"' ? quoted() : token();
      justScheme = false;
      continue;
    }
    if ((s[i] === '=' || justScheme) && current) {
      // token68 ('abc==' or 'abc'): the current challenge's opaque data, not a parameter
      skip(/=/);
      justScheme = false;
      continue;
    }
    // a bare token: a new challenge's scheme
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
    justScheme = true;
  }
  return out;
}

/** The challenge to answer: Bearer when offered (the token flow), else Basic, else the first. */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic') ?? all[0];
}
