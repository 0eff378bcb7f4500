import type { Argv } from 'yargs';
import type { EngineInfo } from '../../lib/index';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.option('format', { alias: 'f', type: 'string', describe: "'json' for JSON" });
}

export function handler(argv: GlobalArgs & { format?: string }): void {
  const info = engine(argv).info();
  if (argv.format === 'json') {
    process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    return;
  }
  process.stdout.write(render(info));
  // As docker's info: what the host lacks, as warnings after the rest.
  for (const f of info.kernelFeatures.filter((k) => !k.present)) {
    process.stderr.write(`WARNING: this kernel lacks ${f.name} (Linux ${f.since}): no ${f.needed}\n`);
  }
}

const yes = (b: boolean): string => (b ? 'true' : 'false');

function render(i: EngineInfo): string {
  const lines: string[] = [];
  lines.push(`Server Version: ${i.version} (daemonless)`);
  lines.push(`Kernel Version: ${i.kernel.release}`);
  lines.push(`Architecture: ${i.kernel.arch}`);
  lines.push(`Storage Driver: ${i.storageDriver}`);
  lines.push(` Backing Filesystem: ${i.storage.backingFilesystem}`);
  lines.push(` Overlay Mounts: ${i.storage.supported ? 'supported' : `unsupported (${i.storage.error})`}`);
  lines.push(` Supports d_type: ${yes(i.storage.dType)}`);
  lines.push(` Index Off: ${yes(i.storage.indexOff)}`);
  lines.push(` Metacopy: ${yes(i.storage.metacopy)}`);
  lines.push(` Userxattr: ${yes(i.storage.userxattr)}`);
  lines.push(`Cgroup Version: ${i.cgroups.mode}`);
  for (const h of i.cgroups.hierarchies) {
    lines.push(` v${h.version} ${h.mountpoint}: ${h.controllers.length ? h.controllers.join(' ') : '(no controllers)'}`);
  }
  lines.push('Namespaces:');
  for (const [name, p] of Object.entries(i.namespaces)) {
    lines.push(` ${name}: ${p.supported ? 'yes' : `no (${p.error})`}`);
  }
  lines.push('Kernel Features:');
  for (const f of i.kernelFeatures) lines.push(` ${f.name}: ${f.present ? 'yes' : `no (Linux ${f.since}; needed for ${f.needed})`}`);
  lines.push(`Root Dir: ${i.root.path} (${i.root.exists ? humanSize(i.root.bytes) : 'not created'})`);
  lines.push(`Run Root: ${i.runroot.path} (${i.runroot.exists ? humanSize(i.runroot.bytes) : 'not created'})`);
  lines.push('Network:');
  lines.push(` Backend: ${i.network.backend}`);
  lines.push(` Firewall: ${i.network.firewall}`);
  lines.push(` Default Bridge: ${i.network.bridge.name} (${i.network.bridge.bip})${i.network.bridge.present ? '' : ', made on first use'}`);
  lines.push(`Images: ${i.images}`);
  lines.push(`Containers: ${i.containers}`);
  return `${lines.join('\n')}\n`;
}
