// The shapes the store hands to the rest of the engine. The store (lib/store) owns how they
// are kept on disk; containers and commands only read them.

/** OCI image config (application/vnd.oci.image.config.v1+json), the fields gocker uses. */
export interface ImageConfig {
  /** the CPU it was built for, in Go's names ('amd64', 'arm64', ...) */
  architecture?: string;
  /** 'linux' */
  os?: string;
  /** the CPU's variant ('v8' for arm64, ...) */
  variant?: string;
  /** when it was made, RFC 3339 */
  created?: string;
  /** who made it (commit's -a) */
  author?: string;
  /** what a container runs by default */
  config?: ImageRuntimeConfig;
  /** the digests of its layers, uncompressed, lowest first */
  rootfs: { type: 'layers'; diff_ids: string[] };
  /** how it was built, a step each, oldest first (`history` shows it newest first) */
  history?: Array<{ created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }>;
}

/** The image config's `config`: a container's defaults, in docker's names. */
export interface ImageRuntimeConfig {
  /** the user its containers run as (name or uid, [:group]) */
  User?: string;
  /** the ports it exposes, "PORT/PROTO" to {} */
  ExposedPorts?: Record<string, object>;
  /** its environment, KEY=VALUE each */
  Env?: string[];
  /** the command its containers' commands are arguments to */
  Entrypoint?: string[] | null;
  /** the default command (or the entrypoint's default arguments) */
  Cmd?: string[] | null;
  /** the paths its containers get anonymous volumes at, path to {} */
  Volumes?: Record<string, object>;
  /** the directory its commands start in */
  WorkingDir?: string;
  /** its labels */
  Labels?: Record<string, string>;
  /** the signal that stops its containers */
  StopSignal?: string;
  /** its containers' host name */
  Hostname?: string;
}

/** One layer of an image, as stored: shared by every image that has it. */
export interface LayerRecord {
  /** the OCI chain id: this layer and every one under it, 'sha256:<hex>' */
  chainId: string;
  /** the digest of this layer's uncompressed tar, 'sha256:<hex>' */
  diffId: string;
  /** the layer's tree (an overlay lower dir) */
  dir: string;
  /** overlay2-style short link name under <root>/l/, so mount options stay under a page */
  link: string;
  /** uncompressed size in bytes */
  size: number;
}

/** An installed image, ready to run. */
export interface ImageRecord {
  /** 'sha256:<hex>' of the config blob */
  id: string;
  /** familiar names, e.g. ['alpine:latest', 'localhost:5000/x:1'] */
  repoTags: string[];
  /** the manifest digests it was pulled or pushed by, 'registry/repo@sha256:<hex>' */
  repoDigests: string[];
  /** its OCI image config */
  config: ImageConfig;
  /** lowest layer first */
  layers: LayerRecord[];
}
