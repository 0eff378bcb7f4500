// gocker's own configuration file: insecure registries, docker.io mirrors, and the default
// bridge and address pools (in docker daemon.json's words).
//   /etc/gocker/registries.json, or the file named by $GOCKER_CONFIG:
//   { "insecure-registries": ["myhost:5000"], "registry-mirrors": ["https://mirror.example"],
//     "bridge": "gocker0", "bip": "10.77.0.1/16",
//     "default-address-pools": [{ "base": "10.78.0.0/16", "size": 24 }] }
import * as fs from 'node:fs';
import { GockerError, isErrno } from './errors';

/** gocker's configuration file, read (registries.json, or $GOCKER_CONFIG), its defaults settled. */
export interface EngineConfig {
  /** registries (host[:port]) spoken to over plain HTTP, as a loopback one is */
  insecureRegistries: string[];
  /** docker.io's mirrors, tried before it */
  registryMirrors: string[];
  /** the default network's bridge interface */
  bridge: string;
  /** the default bridge's own address and prefix: its subnet and gateway */
  bip: string;
  /** where `network create` without --subnet takes a subnet from, and of what size */
  defaultAddressPools: Array<{ base: string; size: number }>;
}

// Apart from docker's 172.17.0.0/16 (and 172.18-31, 192.168 for its user networks) and
// podman's 10.88.0.0/16 (and 10.89.x.0/24): a host running either keeps working beside gocker.
export const DEFAULT_BRIDGE = 'gocker0';
export const DEFAULT_BIP = '10.77.0.1/16';
export const DEFAULT_POOLS = [{ base: '10.78.0.0/16', size: 24 }];

export function loadConfig(file = process.env.GOCKER_CONFIG || '/etc/gocker/registries.json'): EngineConfig {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return { insecureRegistries: [], registryMirrors: [], bridge: DEFAULT_BRIDGE, bip: DEFAULT_BIP, defaultAddressPools: DEFAULT_POOLS };
    throw e;
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new GockerError(`${file}: not valid JSON`);
  }
  const list = (k: string): string[] => (Array.isArray(j[k]) ? (j[k] as unknown[]).map(String) : []);
  const pools = Array.isArray(j['default-address-pools'])
    ? (j['default-address-pools'] as Array<Record<string, unknown>>).map((p) => ({ base: String(p?.base), size: Number(p?.size) }))
    : DEFAULT_POOLS;
  return {
    insecureRegistries: list('insecure-registries'), registryMirrors: list('registry-mirrors'),
    bridge: typeof j.bridge === 'string' ? j.bridge : DEFAULT_BRIDGE, bip: typeof j.bip === 'string' ? j.bip : DEFAULT_BIP, defaultAddressPools: pools,
  };
}
