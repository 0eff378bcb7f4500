// A bridge network's interface on the host: made on first use (and again after a reboot),
// with its gateway address, kernel settings and firewall rules, then marked finished by an
// alias naming the network (`ip link` shows it). A bridge without the alias was left half
// made by a command that was killed: the next one makes it over. A bridge whose alias names
// another network is someone else's, and is refused rather than shared.
import * as fs from 'node:fs';
import { GockerError, isErrno } from '../errors';
import { log } from '../log';
import { native } from '../native';
import { bridgeSysctls, removeBridgeRules, setBridgeRules, withHostLock } from './firewall';
import { formatAddress } from './ipv4';
import { addressing, bridgeOf, type NetworkRecord } from './store';

const IFNAME = /^[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,14}$/;

function checkedName(n: NetworkRecord): string {
  const br = bridgeOf(n);
  if (typeof br !== 'string' || !IFNAME.test(br)) throw new GockerError(`network ${n.Name} has an invalid bridge name ${JSON.stringify(br)}`);
  return br;
}

/** The link's alias; undefined when there is no such link. */
function aliasOf(br: string): string | undefined {
  try {
    return fs.readFileSync(`/sys/class/net/${br}/ifalias`, 'utf8').trim();
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

const mark = (n: NetworkRecord): string => `gocker network ${n.Id}`;

/** A locally administered unicast MAC, random. */
export function randomMac(): string {
  return `02:${native().randomHex(5).match(/../g)!.join(':')}`;
}

/** Makes the network's bridge if it is not there, finished; a no-op (one small read) when it is. */
export function ensureBridge(n: NetworkRecord): void {
  const br = checkedName(n);
  const want = mark(n);
  const seen = aliasOf(br);
  if (seen === want) return;
  withHostLock(() => {
    const now = aliasOf(br);
    if (now === want) return;
    if (now !== undefined && (now !== '' || !fs.existsSync(`/sys/class/net/${br}/bridge`))) {
      throw new GockerError(`cannot use interface ${br} for network ${n.Name}: it exists and is not this network's bridge${now ? ` (its alias is ${JSON.stringify(now)})` : ''}`);
    }
    log.debug(now === undefined ? 'creating bridge' : 'finishing a half-made bridge', { bridge: br, network: n.Name });
    if (now === undefined) native().netCreateBridge(br, randomMac());
    const { subnet, gateway } = addressing(n);
    native().netAddAddress(br, formatAddress(gateway), subnet.prefix);
    bridgeSysctls(br, n.Internal);
    setBridgeRules({ bridge: br, subnet, internal: n.Internal });
    native().netSetLink(br, { up: true, alias: want });
  });
}

/** Removes the network's bridge and its rules (`network rm`). */
export function removeBridge(n: NetworkRecord): void {
  const br = checkedName(n);
  withHostLock(() => {
    const alias = aliasOf(br);
    if (alias !== undefined && alias !== '' && alias !== mark(n)) return; // someone else's now: not ours to remove
    removeBridgeRules(br);
    native().netDeleteLink(br);
  });
}
