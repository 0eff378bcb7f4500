// gocker's own configuration file: insecure registries and docker.io mirrors.
//   /etc/gocker/registries.json, or the file named by $GOCKER_CONFIG:
//   { "insecure-registries": ["myhost:5000"], "registry-mirrors": ["https://mirror.example"] }
import * as fs from 'node:fs';
import { GockerError, isErrno } from './errors';

export interface EngineConfig {
  insecureRegistries: string[];
  registryMirrors: string[];
}

export function loadConfig(file = process.env.GOCKER_CONFIG || '/etc/gocker/registries.json'): EngineConfig {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return { insecureRegistries: [], registryMirrors: [] };
    throw e;
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new GockerError(`${file}: not valid JSON`);
  }
  const list = (k: string): string[] => (Array.isArray(j[k]) ? (j[k] as unknown[]).map(String) : []);
  return { insecureRegistries: list('insecure-registries'), registryMirrors: list('registry-mirrors') };
}
