// The registry client: the transport (transport.ts: endpoints and mirrors, auth, deadlines,
// retries; TLS in tls.ts, credentials in auth.ts) and the operations over it (client.ts:
// manifests and blobs; push.ts: uploads and the manifest PUT).
export { RegistryError } from './errors';
export { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from './body';
export { hostPlatform, parsePlatform, type Platform } from './platform';
export { Transport, type ClientOptions, type RequestOptions, type UploadBody } from './transport';
export { MEDIA, RegistryClient, type Descriptor, type ResolvedImage } from './client';
