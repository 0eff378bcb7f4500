// The engine as a library: `const { Gocker } = require('gocker')`.
import { engineInfo, type EngineInfo } from './info';
import { native } from './native';
import { resolveOptions, type GockerOptions, type ResolvedOptions } from './options';
import { StorePaths } from './store/paths';
import { gockerVersion } from './version';

export class Gocker {
  readonly options: ResolvedOptions;
  readonly paths: StorePaths;

  constructor(opts: GockerOptions = {}) {
    this.options = resolveOptions(opts);
    this.paths = new StorePaths(this.options.root, this.options.runroot);
  }

  /** What the engine sees: kernel, overlay support, cgroups, namespaces, disk use. */
  info(): EngineInfo {
    return engineInfo(native(), this.options, gockerVersion());
  }

  version(): string {
    return gockerVersion();
  }
}

export { GockerError, errorLine } from './errors';
export type { GockerOptions, ResolvedOptions, LogLevel } from './options';
export type { EngineInfo, OverlayProbe, NamespaceProbe, DirUsage } from './info';
export type { CgroupLayout, CgroupMode, CgroupHierarchy } from './cgroups/detect';
