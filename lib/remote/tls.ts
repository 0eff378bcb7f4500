// Extra root certificates for registries, read at the first https request and not before.
//
// Node reads NODE_EXTRA_CA_CERTS, and with it every one of its own root certificates, before
// any script runs: about 40 ms of each start on a machine that sets it, paid by every command
// though only a pull, a push or a login talks TLS. So the gocker command's launcher (the
// first lines of dist/cli/gocker.js, written by cli/bundle.ts) hands the file over in
// GOCKER_EXTRA_CA_CERTS instead, and here it is added to Node's roots, as Node would have
// added it, for the registry client's https requests only. Without that variable (a library
// user, or `node dist/cli/gocker.js`) Node has loaded the file itself and fetch is used as is.
import * as fs from 'node:fs';
import { log } from '../log';
import { anyPort } from './ports';

type Fetch = typeof fetch;

/** undefined until the first https request; null: no extra certificates to add. */
let extraFetch: Fetch | null | undefined;
let plainFetch: Fetch | undefined;

/**
 * The fetch for url: Node's own, or for https one that also trusts GOCKER_EXTRA_CA_CERTS;
 * either on any port (ports.ts).
 */
export function fetchFor(url: string): Fetch {
  if (url.startsWith('https:') && extraFetch === undefined) extraFetch = withExtraCa(process.env.GOCKER_EXTRA_CA_CERTS);
  if (url.startsWith('https:') && extraFetch) return extraFetch;
  return (plainFetch ??= anyPort(fetch));
}

function withExtraCa(file: string | undefined): Fetch | null {
  if (!file) return null;
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    // What Node does with a NODE_EXTRA_CA_CERTS it cannot read: say so and go on without it.
    log.warn(`ignoring extra certificates from ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return null;
  }
  // Node 20's fetch takes no certificates; undici is the library that fetch is, and its
  // Agent takes them for its connections. Loaded here only: it is large.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const undici = require('undici') as typeof import('undici');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { rootCertificates } = require('node:tls') as typeof import('node:tls');
  const dispatcher = new undici.Agent({ connect: { ca: [...rootCertificates, pem] } });
  return anyPort(((input: Parameters<Fetch>[0], init?: RequestInit) =>
    undici.fetch(input as Parameters<typeof undici.fetch>[0], { ...(init as object), dispatcher } as Parameters<typeof undici.fetch>[1])) as unknown as Fetch, dispatcher);
}
