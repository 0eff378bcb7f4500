import * as os from 'node:os';
import type { Argv } from 'yargs';
import { GockerError } from '../../lib/errors';
import { TemplateExecError } from '../../lib/format/exec';
import { compile, lastFlag } from '../../lib/format/formatter';
import { tabwrite } from '../../lib/format/tabwriter';
import { withGoType } from '../../lib/format/values';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.option('format', { alias: 'f', type: 'string', describe: "Format output: 'json', or a Go template, e.g. '{{.Client.Version}}'" });
}

const struct = (name: string) => ({ kind: 'struct' as const, name });

/** Go's names for Node's architectures, as docker's .Client.Arch and .Server.Arch give them. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64', loong64: 'loong64' };

export function handler(argv: GlobalArgs & { format?: string | string[] }): void {
  const format = lastFlag(argv.format) || undefined;
  // docker names this template "version" (errors say so); a syntax error exits 64.
  const tmpl = format === undefined ? undefined : compile(format === 'json' ? '{{json .}}' : format, 'template parsing error: ', 64, 'version');
  const g = engine(argv);
  const version = g.version();
  if (!tmpl) {
    process.stdout.write(`Version:      ${version}\nNode version: ${process.version}\nOS/Arch:      ${process.platform}/${process.arch}\n`);
    return;
  }
  // docker's versionInfo: the client and the server; gocker is both, with no daemon between.
  const kernel = os.release();
  const arch = GOARCH[process.arch] ?? process.arch;
  const data = withGoType({
    Client: withGoType({
      Platform: withGoType({ Name: 'gocker' }, struct('*system.platformInfo')),
      Version: version, NodeVersion: process.version, Os: process.platform, Arch: arch, Context: 'default',
    }, struct('system.clientVersion')),
    Server: withGoType({
      Platform: withGoType({ Name: 'gocker (daemonless)' }, struct('client.PlatformInfo')),
      Version: version, Os: process.platform, Arch: arch, KernelVersion: kernel,
      Components: [withGoType({ Name: 'Engine', Version: version, Details: { Os: process.platform, Arch: arch, KernelVersion: kernel, NodeVersion: process.version } }, struct('system.ComponentVersion'))],
    }, struct('*system.serverVersion')),
  }, struct('system.versionInfo'));
  let out: string;
  let failure: TemplateExecError | undefined;
  try {
    out = tmpl.execute(data);
  } catch (e) {
    if (!(e instanceof TemplateExecError)) throw e;
    out = e.output;
    failure = e;
  }
  // docker writes version output through a tabwriter (minimum width 20, padding 1).
  process.stdout.write(tabwrite(`${out}\n`, { minwidth: 20, padding: 1 }));
  if (failure) throw new GockerError(failure.message, { exitCode: 1, code: 'ETEMPLATE' });
}
