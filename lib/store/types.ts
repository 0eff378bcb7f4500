// The shapes the store hands to the rest of the engine. The store (lib/store) owns how they
// are kept on disk; containers and commands only read them.

/** OCI image config (application/vnd.oci.image.config.v1+json), the fields gocker uses. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }>;
}

export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Hostname?: string;
}

/** One layer of an image, as stored: shared by every image that has it. */
export interface LayerRecord {
  chainId: string;
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
  repoDigests: string[];
  config: ImageConfig;
  /** lowest layer first */
  layers: LayerRecord[];
}
