import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Argv } from 'yargs';
import { GockerError } from '../../lib/errors';
import { TemplateExecError } from '../../lib/format/exec';
import { compile, lastFlag } from '../../lib/format/formatter';
import { withGoType } from '../../lib/format/values';
import type { ContainerRecord, EngineInfo } from '../../lib/index';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.option('format', { alias: 'f', type: 'string', describe: "Format output: 'json', or a Go template, e.g. '{{.Driver}} {{.CgroupVersion}}'" });
}

export async function handler(argv: GlobalArgs & { format?: string | string[] }): Promise<void> {
  const format = lastFlag(argv.format) || undefined;
  // docker's --format json is the template {{json .}}; a syntax error exits 64.
  const tmpl = format === undefined ? undefined : compile(format === 'json' ? '{{json .}}' : format, 'template parsing error: ', 64);
  const g = engine(argv);
  const info = g.info();
  if (tmpl) {
    let out: string;
    try {
      out = tmpl.execute(dockerInfo(info, await g.containers({ all: true })));
    } catch (e) {
      if (!(e instanceof TemplateExecError)) throw e;
      // As docker: what the template wrote, a newline, then the error.
      process.stdout.write(`${e.output}\n`);
      throw new GockerError(e.message, { exitCode: 1, code: 'ETEMPLATE' });
    }
    process.stdout.write(`${out}\n`);
    return;
  }
  process.stdout.write(render(info));
  // As docker's info: what the host lacks, as warnings after the rest.
  for (const w of warnings(info)) process.stderr.write(`WARNING: ${w}\n`);
}

const warnings = (i: EngineInfo): string[] => i.kernelFeatures.filter((k) => !k.present).map((f) => `this kernel lacks ${f.name} (Linux ${f.since}): no ${f.needed}`);

/** /etc/os-release's PRETTY_NAME and VERSION_ID, as docker reports the host's. */
function osRelease(): { name: string; version: string } {
  let text = '';
  try {
    text = fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    /* no os-release: docker says "<unknown>" */
  }
  const get = (k: string): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1].replace(/^["']|["']$/g, '');
  return { name: get('PRETTY_NAME') ?? '<unknown>', version: get('VERSION_ID') ?? '' };
}

/**
 * What `info --format` sees: docker's field names (.Driver, .CgroupVersion, .NCPU, ...) for
 * what gocker knows, in docker's order, then gocker's own probe results as `info -f json`
 * always gave them (.cgroups, .storage, .namespaces, .kernelFeatures, ...).
 */
function dockerInfo(info: EngineInfo, recs: ContainerRecord[]): object {
  const running = recs.filter((r) => r.State.Running && !r.State.Paused).length;
  const paused = recs.filter((r) => r.State.Paused).length;
  const controllers = new Set(info.cgroups.hierarchies.flatMap((h) => h.controllers));
  const rel = osRelease();
  const s = info.storage;
  return withGoType({
    Containers: recs.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: recs.length - running - paused,
    Images: info.images,
    Driver: info.storageDriver,
    DriverStatus: info.storageDriver === 'overlay2'
      ? [['Backing Filesystem', s.backingFilesystem], ['Supports d_type', String(s.dType)], ['Using metacopy', String(s.metacopy)], ['Native Overlay Diff', 'true'], ['userxattr', String(s.userxattr)]]
      : [],
    MemoryLimit: controllers.has('memory'),
    PidsLimit: controllers.has('pids'),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: info.cgroups.mode === 'v2' ? '2' : '1',
    KernelVersion: info.kernel.release,
    OperatingSystem: rel.name,
    OSVersion: rel.version,
    OSType: 'linux',
    Architecture: info.kernel.arch,
    NCPU: os.availableParallelism(),
    MemTotal: os.totalmem(),
    DockerRootDir: info.root.path,
    Name: os.hostname(),
    ServerVersion: info.version,
    SecurityOptions: ['name=seccomp,profile=builtin', ...(info.cgroups.mode === 'v2' ? ['name=cgroupns'] : [])],
    Warnings: warnings(info),
    ...info,
  }, { kind: 'struct', name: 'system.dockerInfo' });
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
