// The engine as a library: `const { Gocker } = require('gocker')`.
import { engineInfo, type EngineInfo } from './info';
import { setLogLevel } from './log';
import { native } from './native';
import { resolveOptions, type GockerOptions, type ResolvedOptions } from './options';
import { StorePaths } from './store/paths';
import { secureStore } from './store/perms';
import { Store } from './store';
import { Volumes } from './store/volumes';
import type { ImageRecord } from './store/types';
import type { ImportOptions } from './image/import';
import type { PullOptions } from './image/pull';
import type { PushOptions, PushResult } from './image/push';
import type { PruneResult } from './image/prune';
import type { UsageRow } from './system/df';
import type { AttachOptions, Attachment } from './container/attach';
import { gockerVersion } from './version';
import { readEvents, type EventsOptions, type GockerEvent } from './events';

export class Gocker {
  readonly options: ResolvedOptions;
  readonly paths: StorePaths;

  constructor(opts: GockerOptions = {}) {
    this.options = resolveOptions(opts);
    setLogLevel(this.options.logLevel);
    this.paths = StorePaths.forDriver(this.options.root, this.options.runroot, this.options.storageDriver);
    // Opening the engine opens the store: closed to other users before anything reads it.
    secureStore(this.paths);
  }

  /** What the engine sees: kernel, overlay support, cgroups, namespaces, disk use. */
  info(): EngineInfo {
    return engineInfo(native(), this.options, gockerVersion());
  }

  version(): string {
    return gockerVersion();
  }

  private storeCache?: Store;
  get store(): Store {
    return (this.storeCache ??= new Store(this.paths));
  }

  private volumesCache?: Volumes;
  /** docker's local volumes: <root>/volumes/<name>/_data. */
  get volumes(): Volumes {
    return (this.volumesCache ??= new Volumes(this.paths));
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

  images(): ImageRecord[] {
    return this.store.listImages();
  }

  /** Images no name refers to that are still on disk because a container uses them. */
  danglingImages(): ImageRecord[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { danglingImageIds } = require('./image/prune') as typeof import('./image/prune');
    return danglingImageIds(this.store).map((id) => this.store.loadImage(id)).filter((r): r is ImageRecord => r !== undefined);
  }

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

export { GockerError, errorLine } from './errors';
export { setLogSink, setLogLevel } from './log';
export type { GockerOptions, ResolvedOptions, LogLevel } from './options';
export type { EngineInfo, OverlayProbe, NamespaceProbe, DirUsage } from './info';
export type { ImageRecord, ImageConfig, LayerRecord } from './store/types';
export type { VolumeInfo, CreateVolumeOptions } from './store/volumes';
export type { PruneResult, Collected } from './image/prune';
export type { UsageRow } from './system/df';
export type { PullEvent, PullOptions } from './image/pull';
export type { PushEvent, PushOptions, PushResult } from './image/push';
export { parseReference, familiarString, type Reference } from './name';
export type { CgroupLayout, CgroupMode, CgroupHierarchy } from './cgroups/detect';
export type { GockerEvent, EventsOptions, EventFilters, EventActor, EventType, ContainerAction, ImageAction } from './events';
