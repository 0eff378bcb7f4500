import type { Argv } from 'yargs';
import { GockerError } from '../../lib/errors';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

// `gocker port CONTAINER [PRIVATE_PORT[/PROTO]]`: the host ports a running container's ports
// are published on, in docker's lines ("80/tcp -> 0.0.0.0:8080").
export function builder(y: Argv<GlobalArgs>) {
  return y.positional('container', { type: 'string', demandOption: true }).positional('port', { type: 'string' });
}

export function handler(argv: GlobalArgs & { container: string; port?: string }): void {
  const rec = engine(argv).inspectContainer(argv.container);
  const ports = rec.State.Running ? rec.NetworkSettings?.Ports ?? {} : {};
  const byNumber = (a: string, b: string): number => Number(a.split('/')[0]) - Number(b.split('/')[0]) || a.localeCompare(b);
  if (argv.port !== undefined) {
    const key = argv.port.includes('/') ? argv.port : `${argv.port}/tcp`;
    if (!/^\d+\/(tcp|udp|sctp)$/.test(key)) throw new GockerError(`invalid port (${argv.port}): must be PORT[/PROTO]`, { exitCode: 1 });
    const list = ports[key];
    // docker's CLI finds this itself, in what inspect gave it: its own error, bare.
    if (!list?.length) throw new ClientError(`Error: No public port '${key}' published for ${argv.container}`);
    process.stdout.write(list.map((b) => `${b.HostIp}:${b.HostPort}\n`).join(''));
    return;
  }
  const lines: string[] = [];
  for (const key of Object.keys(ports).sort(byNumber)) for (const b of ports[key] ?? []) lines.push(`${key} -> ${b.HostIp}:${b.HostPort}\n`);
  process.stdout.write(lines.join(''));
}
