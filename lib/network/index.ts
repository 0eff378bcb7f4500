// Networks: the records and IPAM (store.ts), the bridge (bridge.ts), iptables
// (firewall.ts), host ports (ports.ts), the `network` commands (manage.ts). What a container
// does on them (plan, connect, attach, release) is the container package's (container/network.ts).
import * as fs from 'node:fs';
import { loadConfig } from '../config';
import { iptablesVersion } from './firewall';
import { findNetwork, listNetworks } from './store';

/**
 * What --add-host's host-gateway stands for: the default bridge's gateway (the address its
 * bridge has on the host), as dockerd's default host-gateway-ip.
 */
export function hostGateway(): string {
  return loadConfig().bip.split('/')[0];
}

/** What `gocker info` says of networking (EngineInfo.network). */
export interface NetworkInfo {
  /** how links, addresses and routes are made, and NAT and filtering */
  backend: string;
  /** the iptables that makes the NAT and filter rules, by its version, or that it is not installed */
  firewall: string;
  /** the default bridge, from the config, and whether it exists now */
  bridge: { name: string; bip: string; present: boolean };
}

/** What `gocker info` says of networking. */
export function networkInfo(): NetworkInfo {
  const cfg = loadConfig();
  const present = /^[a-zA-Z0-9_.-]{1,15}$/.test(cfg.bridge) && fs.existsSync(`/sys/class/net/${cfg.bridge}`);
  return { backend: 'rtnetlink (libmnl, in the addon)', firewall: iptablesVersion() ?? 'iptables not installed', bridge: { name: cfg.bridge, bip: cfg.bip, present } };
}

export { findNetwork, listNetworks };
