// The engine as a library: `const { Gocker } = require('gocker')`.
//
// Loading this module loads only what opening an engine and running a container need (the
// CLI's `run` and `exec` go through it, and their start is a benchmark target): every other
// method requires its modules when it is called. The values re-exported below come from
// modules a run loads anyway.
import type { EngineInfo } from './info';
import { bindLogScope } from './log';
import { resolveOptions, type GockerOptions, type ResolvedOptions } from './options';
import { StorePaths } from './store/paths';
import { secureStore } from './store/perms';
import { Store } from './store';
import type {
  Volumes, CreateVolumeOptions, ListVolumesOptions, PruneVolumesOptions, VolumeInfo, VolumePruneResult,
} from './store/volumes';
import type { ImageRecord } from './store/types';
import type { ImportOptions } from './image/import';
import type { PullOptions } from './image/pull';
import type { PushOptions, PushResult } from './image/push';
import type { PruneResult } from './image/prune';
import type { UsageRow, VerboseUsage } from './system/df';
import type { AttachOptions, Attachment } from './container/attach';
import type { Container, ContainerOptions, CreateHooks, ListContainersOptions, RunAttachedHooks, RunAttachedOptions, RunAttachedResult, RunContainerOptions } from './containers';
import type { ContainerRecord } from './container/record';
import type { ContainerPruneResult } from './container/prune';
import type { HistoryRow, ImageRow, ListImagesOptions } from './image/manage';
import type { ContainerStats } from './container/stats';
import type { CpOptions } from './container/cp';
import type { ConnectOptions } from './container/network';
import type { CreateOptions as NetworkCreateOptions } from './network/manage';
import type { NetworkRecord } from './network/store';
import type { Readable } from 'node:stream';
import { gockerVersion } from './version';
export { gockerVersion };
import { readEvents, type EventsOptions, type GockerEvent } from './events';

/**
 * An engine over one store: its images, containers, volumes and networks, as docker's
 * daemon has them but in this process (no daemon). Every method that takes long is async and
 * takes an AbortSignal; failures are GockerErrors with a stable `code`.
 *
 * ```ts
 * const g = new Gocker({ root: '/var/lib/gocker' });
 * const c = await g.run('busybox', ['echo', 'hi'], { rm: true });
 * console.log(await c.wait());
 * ```
 */
export class Gocker {
  /** the options in force: root, runroot, log level and storage driver, each settled */
  readonly options: ResolvedOptions;
  /** where each of the store's files is: the engine's own, as the store behind it (never a caller's to touch) */
  private readonly paths: StorePaths;

  constructor(opts: GockerOptions = {}) {
    this.options = resolveOptions(opts);
    // This engine's level and sink, for its own work only: the process's are the CLI's.
    bindLogScope(this, { level: this.options.logLevel, sink: opts.logSink ?? ((line) => process.stderr.write(line)) });
    this.paths = StorePaths.forDriver(this.options.root, this.options.runroot, this.options.storageDriver);
    this.paths.exitHandoff = this.options.exitHandoff;
    // Opening the engine opens the store: closed to other users before anything reads it.
    secureStore(this.paths);
  }

  /** What the engine sees: kernel, overlay support, cgroups, namespaces, disk use. */
  info(): EngineInfo {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { engineInfo } = require('./info') as typeof import('./info');
    const { native } = require('./native') as typeof import('./native');
    /* eslint-enable @typescript-eslint/no-require-imports */
    return engineInfo(native(), this.options, gockerVersion());
  }

  /** gocker's version, as `gocker version` prints it */
  version(): string {
    return gockerVersion();
  }

  private storeCache?: Store;
  /** the image store (the layers, images.json, the gc lock), behind the image and container methods */
  private get store(): Store {
    return (this.storeCache ??= new Store(this.paths));
  }

  private volumesCache?: Volumes;
  /** docker's local volumes (<root>/volumes/<name>/_data), behind the volume methods below. */
  private get volumes(): Volumes {
    return (this.volumesCache ??= new (volumeModule().Volumes)(this.paths));
  }

  /**
   * docker volume create: the volume, made; name undefined: an anonymous one (64 random hex
   * digits, labelled as docker labels them). As docker's, a volume by that name already there
   * is no error: it is returned as it is (the options are not applied to it). A bad name,
   * driver or option is GockerError in dockerd's words.
   */
  async createVolume(name?: string, opts: Omit<CreateVolumeOptions, 'ref'> = {}): Promise<VolumeInfo> {
    const { driver, labels, options } = opts;
    return (await this.volumes.create(name, { driver, labels, options })).volume;
  }

  /** docker volume ls: the volumes the filters leave, by name; a filter dockerd refuses is InvalidOptionError. */
  listVolumes(opts: ListVolumesOptions = {}): VolumeInfo[] {
    return volumeModule().listVolumes(this.volumes, opts);
  }

  /** docker volume inspect: NoSuchVolumeError when there is none by that name. */
  inspectVolume(name: string): VolumeInfo {
    return this.volumes.get(name);
  }

  /**
   * docker volume rm: ConflictError while a container (running or not) uses it,
   * NoSuchVolumeError when there is none (force: no error then).
   */
  async removeVolume(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.volumes.remove(name, !!opts.force);
  }

  /**
   * docker volume prune (docker 23 and later): the anonymous volumes no container uses, or
   * with all every unused one, narrowed by the filters; never one with driver options (a
   * mount, not data here). A filter dockerd refuses is InvalidOptionError.
   */
  async pruneVolumes(opts: PruneVolumesOptions = {}): Promise<VolumePruneResult> {
    return volumeModule().pruneVolumes(this.volumes, opts);
  }

  /**
   * Whether pruneVolumes(opts) would take every unused volume (true) or only the anonymous
   * ones, its options checked as it checks them: for asking before a prune, as docker's CLI
   * does.
   */
  volumePruneAll(opts: PruneVolumesOptions = {}): boolean {
    return volumeModule().volumePruneAll(opts);
  }

  /**
   * docker attach: a running container's stdio, through the socket its monitor serves (as
   * run -it and start -a are). stdin goes in only to a container created with -i; the
   * detach keys (default ctrl-p,ctrl-q) are looked for in it with a tty, and opts.signal
   * detaches too. done says the container's exit code, or that it was detached.
   */
  async attach(ref: string, opts: AttachOptions = {}): Promise<Attachment> {
    const [{ attach }, { find }] = await Promise.all([import('./container/attach'), import('./container/lifecycle')]);
    return attach(this.paths, find(this.paths, ref), opts);
  }

  /**
   * docker create: a container of image (a name or id in the store: pull it first), with
   * cmd as its command (default: the image's), left created for start(). Bad options throw
   * InvalidOptionError naming the option, a missing image NoSuchImageError, a name in use
   * ConflictError. hooks.onCreate: called with its id once it is recorded, before this resolves.
   */
  async createContainer(image: string, cmd?: string[], opts: ContainerOptions = {}, hooks: CreateHooks = {}): Promise<Container> {
    const { createContainer } = await import('./containers');
    return createContainer(this.paths, this.store, image, cmd, opts, hooks);
  }

  /**
   * docker run, detached: created and started; resolves once its command runs. Its output
   * goes to its log (Container.logs) and to opts.attach's streams, never to this process's
   * stdout. Then wait() says how it ended. hooks.onCreate: as createContainer's (the CLI's
   * `run -d` is this call, and writes its --cidfile there).
   *
   * ```ts
   * const c = await gocker.run('busybox', ['sh', '-c', 'echo hello; exit 3'], { memory: '64m' });
   * const { exitCode } = await c.wait(); // 3
   * ```
   */
  async run(image: string, cmd?: string[], opts: RunContainerOptions = {}, hooks: CreateHooks = {}): Promise<Container> {
    const { runContainer } = await import('./containers');
    return runContainer(this.paths, this.store, image, cmd, opts, hooks);
  }

  /**
   * docker run without -d, as its CLI runs it (the CLI's `run` is this): created, started
   * and waited for; resolves once it exits, or is detached from with the detach keys. Without
   * tty the container's stdio is this process's own fds, handed to its monitor (see
   * RunAttachedOptions); with tty, opts.terminal's streams. Bad options and a missing image
   * reject as createContainer's do; a command that cannot be run resolves with 126 or 127
   * and why, as docker run exits.
   *
   * ```ts
   * const { exitCode } = await gocker.runAttached('busybox', ['echo', 'hi'], { rm: true }); // "hi" on this process's stdout
   * ```
   */
  async runAttached(image: string, cmd?: string[], opts: RunAttachedOptions = {}, hooks: RunAttachedHooks = {}): Promise<RunAttachedResult> {
    const { runAttached } = await import('./containers');
    return runAttached(this.paths, this.store, image, cmd, opts, hooks);
  }

  /**
   * What dockerd does as it starts: after a reboot, the containers whose restart policy says
   * so (always, unless-stopped not stopped by hand) started again. Once per boot: the first
   * call after a boot does it, the others find it done (two small reads).
   */
  async restartAfterBoot(): Promise<void> {
    const { restartAfterBoot } = await import('./container/restart');
    await restartAfterBoot(this.paths, this.store);
  }

  /** The container ref (a name, an id or a unique prefix of one); NoSuchContainerError if there is none. */
  container(ref: string): Container {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./containers') as typeof import('./containers')).containerHandle(this.paths, this.store, ref);
  }

  /**
   * docker container inspect: the record of container ref (a name, an id or a unique prefix
   * of one), brought up to date with its monitor's files; NoSuchContainerError if there is none.
   */
  inspectContainer(ref: string): ContainerRecord {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./container/lifecycle') as typeof import('./container/lifecycle')).find(this.paths, ref);
  }

  /**
   * docker ps -s: the bytes of the container's writable layer (SizeRw) and, as docker's
   * virtual size, those of its whole root, its image's layers included (SizeRootFs). A layer
   * holding a path too long for docker's walk (PATH_MAX) is dockerd's: SizeRw -1, SizeRootFs
   * the image's alone.
   */
  containerSize(rec: ContainerRecord): { SizeRw: number; SizeRootFs: number } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { treeSize } = require('./fsread') as typeof import('./fsread');
    const rw = treeSize(rec.GraphDriver.Data.UpperDir);
    const image = (this.store.loadImage(rec.Image)?.layers ?? []).reduce((n, l) => n + l.size, 0);
    return { SizeRw: rw, SizeRootFs: rw === -1 ? image : rw + image };
  }

  /**
   * docker stats --no-stream of several containers: one sample of each (CPU % over the same
   * 100 ms), in the order given.
   */
  async containerStats(recs: ContainerRecord[]): Promise<ContainerStats[]> {
    const { sampleStats } = await import('./container/stats');
    return sampleStats(recs);
  }

  /**
   * docker cp: src and dest each a host path or CONTAINER:PATH (one of them a container's),
   * docker's rules for what lands where; resolves with the bytes copied. A host path is
   * taken as it is (relative: to this process's working directory): the caller's to check.
   */
  async copy(src: string, dest: string, opts: CpOptions = {}): Promise<number> {
    const { copyFiles } = await import('./container/cp');
    return copyFiles(this.paths, src, dest, opts);
  }

  /**
   * docker cp CONTAINER:PATH -: the file or directory at the container's path (src, as docker's
   * CLI takes it) written to out as a tar stream; resolves once it is all written.
   */
  async copyOut(src: string, out: NodeJS.WritableStream, opts: CpOptions = {}): Promise<void> {
    const { copyArchiveOut } = await import('./container/cp');
    await copyArchiveOut(this.paths, src, out, opts);
  }

  /** docker cp - CONTAINER:PATH: the tar stream input unpacked into the container's directory (dest); resolves with the bytes copied. */
  async copyIn(dest: string, input: NodeJS.ReadableStream): Promise<number> {
    const { copyArchiveIn } = await import('./container/cp');
    return copyArchiveIn(this.paths, dest, input);
  }

  /** docker network ls: every network (bridge, host, none and the user's), as docker's API lists them. */
  async networks(): Promise<NetworkRecord[]> {
    const { listNetworks } = await import('./network/store');
    return listNetworks(this.paths);
  }

  /** docker network create: a bridge network, its bridge made at once; resolves with its record. */
  async createNetwork(name: string, opts: NetworkCreateOptions = {}): Promise<NetworkRecord> {
    const { createNetwork } = await import('./network/manage');
    return createNetwork(this.paths, name, opts);
  }

  /** docker network inspect: the network (a name, an id or a unique prefix of one) with the running containers on it. */
  async inspectNetwork(ref: string): Promise<NetworkRecord & { Containers: Record<string, unknown> }> {
    const [{ inspectNetwork }, { networkMembers }] = await Promise.all([import('./network/manage'), import('./container/network')]);
    return inspectNetwork(this.paths, ref, await networkMembers(this.paths));
  }

  /** docker network rm: ConflictError while a container is on it; resolves with its record. */
  async removeNetwork(ref: string): Promise<NetworkRecord> {
    const [{ removeNetwork }, { networkMembers }] = await Promise.all([import('./network/manage'), import('./container/network')]);
    return removeNetwork(this.paths, ref, await networkMembers(this.paths));
  }

  /** docker network prune: the user's networks no container is on; resolves with their names. */
  async pruneNetworks(): Promise<string[]> {
    const [{ pruneNetworks }, { networkMembers }] = await Promise.all([import('./network/manage'), import('./container/network')]);
    return pruneNetworks(this.paths, await networkMembers(this.paths));
  }

  /**
   * docker network connect: container (a name or id) joins network; a running one gets its
   * address and interface at once, a stopped one at its next start.
   */
  async connectNetwork(network: string, container: string, opts: ConnectOptions = {}): Promise<void> {
    const { connectNetwork } = await import('./container/network');
    await connectNetwork(this.paths, network, container, opts);
  }

  /** docker network disconnect: the container off the network; force: off it even when the network is gone. */
  async disconnectNetwork(network: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    const { disconnectNetwork } = await import('./container/network');
    await disconnectNetwork(this.paths, network, container, !!opts.force);
  }

  /** docker ps: the running containers (all: every one), newest first, through docker's filters. */
  async containers(opts: ListContainersOptions = {}): Promise<ContainerRecord[]> {
    const { listContainers } = await import('./containers');
    return listContainers(this.paths, this.store, opts);
  }

  /** docker container prune: every container not running, narrowed by docker's prune filters (until, label, label!). */
  async pruneContainers(opts: { filters?: Record<string, string[]> } = {}): Promise<ContainerPruneResult> {
    const { parsePruneFilters, pruneContainers } = await import('./container/prune');
    const values = Object.entries(opts.filters ?? {}).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));
    return pruneContainers(this.paths, parsePruneFilters(values));
  }

  /** docker save: the images as a docker-archive tar stream; signal (or destroying it) stops it. */
  saveImages(refs: string[], opts: { signal?: AbortSignal } = {}): Readable {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { streamFrom } = require('./containers') as typeof import('./containers');
    return streamFrom(opts.signal, async (out) => {
      const { saveImages } = await import('./image/save');
      await saveImages(this.store, refs, out);
    });
  }

  /**
   * docker save -o: the images as a docker-archive tarball in file (a relative path: from this
   * process's working directory), written beside it and renamed into place, so that a save
   * that fails leaves no half file; GockerError when its directory is not there.
   */
  async saveImagesToFile(refs: string[], file: string): Promise<void> {
    const { saveImagesToFile } = await import('./image/save');
    await saveImagesToFile(this.store, refs, file);
  }

  /** docker tag: target (repo[:tag]) names the image source names too. */
  async tag(source: string, target: string): Promise<void> {
    const { tagImage } = await import('./image/manage');
    await tagImage(this.store, source, target);
  }

  /**
   * docker rmi: the name untagged, and the image deleted once nothing names it; ConflictError
   * when a container uses it or (by id) several names do, unless force. Resolves with
   * docker's answer: what was untagged and deleted.
   */
  async removeImage(ref: string, opts: { force?: boolean } = {}): Promise<RemovedImage[]> {
    const { removeImage } = await import('./image/manage');
    return (await removeImage(this.store, ref, !!opts.force)).map((line) => {
      const [what, ...rest] = line.split(': ');
      return what === 'Untagged' ? { Untagged: rest.join(': ') } : { Deleted: rest.join(': ') };
    });
  }

  /** docker history: the image's layers and the steps that made them, newest first. */
  history(ref: string): HistoryRow[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./image/manage') as typeof import('./image/manage')).imageHistory(this.store, ref);
  }

  /** docker image inspect: the image as docker's API shows it; NoSuchImageError if there is none. */
  inspectImage(ref: string): Record<string, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./image/manage') as typeof import('./image/manage')).inspectImage(this.store, ref);
  }

  /** A rootfs tarball (plain, gzip or zstd) becomes a one-layer image; returns its id. */
  async importImage(input: NodeJS.ReadableStream, name?: string, opts: ImportOptions & { source?: string } = {}): Promise<string> {
    const { importImage } = await import('./image/import');
    return importImage(this.store, input, name, opts.source ?? '-', opts);
  }

  /** docker-archive or OCI layout tarball; returns docker's "Loaded image: ..." lines. */
  async loadImages(input: NodeJS.ReadableStream): Promise<string[]> {
    const { loadImages } = await import('./image/import');
    return loadImages(this.store, input);
  }

  /** Pulls an image into the store; returns its id and the digest pulled. */
  async pull(name: string, opts: PullOptions = {}): Promise<{ id: string; digest: string }> {
    const { pullImage } = await import('./image/pull');
    return pullImage(this.store, name, opts);
  }

  /**
   * Pushes repo:tag (or, with allTags, every tag of repo) to its registry, with the
   * credentials `login` stored; returns each tag's manifest digest and size. Progress comes
   * as events (docker's per-layer states); opts.signal aborts, and the promise then rejects
   * with its reason once nothing is sending any more. An upload cut short is continued by
   * the next push to the same repository.
   */
  async push(name: string, opts: PushOptions = {}): Promise<PushResult[]> {
    const { pushImage } = await import('./image/push');
    return pushImage(this.store, name, opts);
  }

  /** Verifies the credentials, then writes them to ~/.docker/config.json as docker login does. */
  async login(registry: string, username: string, password: string): Promise<void> {
    const { RegistryClient } = await import('./remote');
    await new RegistryClient().login(registry, username, password);
  }

  /** Forgets the registry's credentials, as docker logout. */
  logout(registry: string): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./remote/auth') as typeof import('./remote/auth')).storeCredentials(registry, undefined);
  }

  /** docker image prune: dangling images, or with `all` every image no container uses. */
  async pruneImages(opts: { all?: boolean } = {}): Promise<PruneResult> {
    const { pruneImages } = await import('./image/prune');
    return pruneImages(this.store, !!opts.all);
  }

  /** docker system df: images, containers, volumes (the build cache is always empty). */
  diskUsage(): UsageRow[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./system/df') as typeof import('./system/df')).diskUsage(this.store);
  }

  /** docker system df -v: the images, containers and volumes behind diskUsage's totals, each with its sizes. */
  diskUsageVerbose(): VerboseUsage {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./system/df') as typeof import('./system/df')).diskUsageVerbose(this.store);
  }

  /** Every image in the store, as `images -a` lists them. */
  images(): ImageRecord[] {
    return this.store.listImages();
  }

  /** Images no name refers to that are still on disk because a container uses them. */
  danglingImages(): ImageRecord[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { danglingImageIds } = require('./image/prune') as typeof import('./image/prune');
    return danglingImageIds(this.store).map((id) => this.store.loadImage(id)).filter((r): r is ImageRecord => r !== undefined);
  }

  /**
   * docker images: a row per name (repository:tag, or repository@digest with opts.digests)
   * of the images the filters leave, newest image first; named images, then the untagged ones
   * a container still uses (`<none>`). A filter docker's daemon refuses is InvalidOptionError;
   * a before= or since= image that is not here NoSuchImageError.
   */
  imageRows(opts: ListImagesOptions = {}): ImageRow[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { imageFilter, imageRows } = require('./image/manage') as typeof import('./image/manage');
    const f = imageFilter(this.store, Object.entries(opts.filters ?? {}).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`)));
    const named = this.images();
    const untagged = this.danglingImages();
    const images = (f.dangling === undefined ? [...named, ...untagged] : f.dangling ? untagged : named).filter(f.test);
    const references = [...f.references, ...(opts.reference === undefined ? [] : [opts.reference])];
    return imageRows(this.store, images, { digests: opts.digests, filter: references.length ? references : undefined });
  }

  /** The image a name, tag, digest or (short) id refers to, or undefined. */
  image(nameOrId: string): ImageRecord | undefined {
    return this.store.resolveImage(nameOrId);
  }

  /**
   * docker events: what happened to containers and images, oldest first, from the store's
   * event log. Without since and until, only events from now on, as they happen, until
   * signal aborts; with since, the past ones from then first; with until, it ends once until
   * has passed (at once if it has already). Filters are docker's (container, event, type,
   * image, label: the values of one key are alternatives, all keys must match).
   *
   * ```ts
   * const ac = new AbortController();
   * for await (const ev of gocker.events({ filters: { event: ['die'] }, signal: ac.signal })) console.log(ev.Actor.ID, ev.Actor.Attributes.exitCode);
   * ```
   */
  events(opts: EventsOptions = {}): AsyncGenerator<GockerEvent> {
    return readEvents(this.paths, opts);
  }
}

/* eslint-disable @typescript-eslint/no-require-imports */

/** Whether name is a resource a ulimit may name (ContainerOptions.ulimits: nofile, nproc, ..., as docker's go-units). */
export function isUlimitName(name: string): boolean {
  return (require('./container/run-options') as typeof import('./container/run-options')).ULIMIT_NAMES.includes(name);
}

/** Whether mode is a device cgroup access DeviceOption.cgroupPermissions takes: some of r, w and m, each at most once. */
export function validDeviceMode(mode: string): boolean {
  return (require('./container/runflags') as typeof import('./container/runflags')).validDeviceMode(mode);
}

const volumeModule = (): typeof import('./store/volumes') => require('./store/volumes') as typeof import('./store/volumes');
/* eslint-enable @typescript-eslint/no-require-imports */

/** One line of docker rmi's answer: a name untagged, or an image (or layer) deleted. */
export type RemovedImage = { Untagged: string } | { Deleted: string };

export {
  GockerError, errorLine, NoSuchContainerError, NoSuchImageError, NoSuchVolumeError, ConflictError, NotRunningError, RegistryError, InvalidOptionError, OptionSyntaxError,
  type GockerErrorOptions, type TypedErrorOptions,
} from './errors';
export { Container, WAIT_CONDITIONS, signalNumber, checkUpdateOptions, checkRestartFlag } from './containers';
export type {
  CreateHooks, StartAttachedOptions, RunAttachedOptions, RunAttachedHooks, RunAttachedResult, AttachedEnd, TerminalStreams,
  ExecCommandOptions, ExecAttachedOptions,
  LogEntry, RawContainerChange,
  ContainerOptions, DeviceOption, ResourceOptions, RunContainerOptions, Size, WaitOptions, WaitResult, LogsOptions, ContainerExecOptions, ExecProcess, StopOptions,
  RemoveOptions, ContainerCommitOptions, ContainerChange, UpdateOptions, ArchiveOptions, ListContainersOptions,
} from './containers';
export type { AttachOptions, Attachment, AttachEnd } from './container/attach';
export type { WaitCondition } from './container/lifecycle';
export type { SignalTarget } from './container/monitor';
export type { Mount } from './container/mounts';
export type {
  ContainerRecord, ContainerState, ContainerStatus, ContainerConfigRecord, HostConfigRecord, MountRecord, NetworkSettings, EndpointSettings,
} from './container/record';
export type { ContainerStats } from './container/stats';
export type { TopResult } from './container/top';
export type { CpOptions } from './container/cp';
export type { ConnectOptions } from './container/network';
export type { NetworkCreateOptions };
export type { NetworkRecord } from './network/store';
export type { ContainerPruneResult } from './container/prune';
export type { HistoryRow, ImageRow, ListImagesOptions } from './image/manage';
export type { ImportOptions } from './image/import';
export { setLogSink, setLogLevel, type LogSettings } from './log';
export type { GockerOptions, ResolvedOptions, LogLevel } from './options';
export type { EngineInfo, OverlayProbe, NamespaceProbe, DirUsage } from './info';
export type { NetworkInfo } from './network';
export type { EngineConfig } from './config';
export type { ImageRecord, ImageConfig, ImageRuntimeConfig, LayerRecord } from './store/types';
export type { VolumeInfo, CreateVolumeOptions, ListVolumesOptions, PruneVolumesOptions, VolumePruneResult } from './store/volumes';
export type { PruneResult, Collected } from './image/prune';
export type { UsageRow, VerboseUsage, ImageUsage } from './system/df';
export type { PullEvent, PullOptions } from './image/pull';
export type { PushEvent, PushOptions, PushResult } from './image/push';
export { parseReference, parseAnyReference, familiarString, referenceString, hasTag, type Reference } from './name';
export { parsePlatform, type Platform } from './remote/platform';
export type { CgroupLayout, CgroupMode, CgroupHierarchy } from './cgroups/detect';
export type { GockerEvent, EventsOptions, EventFilters, EventActor, EventType, ContainerAction, ImageAction } from './events';
export { eventLine, parseEventFilters } from './events';
