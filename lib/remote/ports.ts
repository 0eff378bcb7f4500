// Registries on any port. Node's fetch (undici) refuses the Fetch standard's "bad ports"
// (6000, 5060, 10080 and some seventy more, which browsers keep pages away from) before it
// connects, so `pull 127.0.0.1:6000/x` failed with "bad port"; docker has no such list.
//
// A request fetch refuses for its port goes again under a stand-in origin on the scheme's
// default port, and a dispatcher turns the stand-in back into the real origin as the request
// is handed to the connection pool. Everything fetch does stays as it is (redirects, and the
// Authorization it drops on one to another origin, body handling), and the connection is the
// one the request would have had: the same dispatcher, so the same TLS verification against
// the real host and any extra CA, and a proxy agent installed as the global dispatcher.
import type { Dispatcher } from 'undici';

type Fetch = typeof fetch;

/** The error fetch rejects with for a port on its list: nothing has been sent. */
export function isBadPort(e: unknown): boolean {
  return e instanceof TypeError && (e as { cause?: { message?: unknown } }).cause?.message === 'bad port';
}

/** Where undici (Node's own and the package alike) keeps the process's global dispatcher. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** real origin <-> stand-in origin, one stand-in for each origin for the process's life */
const standIns = new Map<string, string>();
const realOrigins = new Map<string, string>();

function standInFor(origin: URL): string {
  let s = standIns.get(origin.origin);
  if (s === undefined) {
    // .invalid never resolves (RFC 2606): a stand-in that escaped the mapping reaches nothing.
    s = `${origin.protocol}//port-${standIns.size + 1}.gocker.invalid`;
    standIns.set(origin.origin, s);
    realOrigins.set(s, origin.origin);
  }
  return s;
}

let undiciModule: typeof import('undici') | undefined;
/** Loaded only for a port fetch refused: it is large. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadUndici = (): typeof import('undici') => (undiciModule ??= require('undici') as typeof import('undici'));
const realOriginDispatchers = new Map<Dispatcher | undefined, Dispatcher>();
let ownAgent: Dispatcher | undefined;

/** A dispatcher that hands each request to inner's pool (the global one if none) with its real origin. */
function realOriginDispatcher(inner: Dispatcher | undefined): Dispatcher {
  const undici = loadUndici();
  let d = realOriginDispatchers.get(inner);
  if (d) return d;
  const target = (): Dispatcher =>
    inner ?? ((globalThis as Record<symbol, Dispatcher | undefined>)[GLOBAL_DISPATCHER] ?? (ownAgent ??= new undici.Agent()));
  class RealOrigin extends undici.Dispatcher {
    override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
      const origin = realOrigins.get(String(opts.origin)) ?? opts.origin;
      return target().dispatch({ ...opts, origin }, handler);
    }
    // The pools are inner's: closing this one closes nothing of theirs.
    override close(): Promise<void> {
      return Promise.resolve();
    }
    override destroy(): Promise<void> {
      return Promise.resolve();
    }
  }
  d = new RealOrigin();
  realOriginDispatchers.set(inner, d);
  return d;
}

/**
 * fetch on any port: as `base`, and once more through the stand-in when fetch refused the
 * port. inner: the dispatcher base uses (undefined: the global one).
 */
export function anyPort(base: Fetch, inner?: Dispatcher): Fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    try {
      return await base(input, init);
    } catch (e) {
      if (!isBadPort(e) || input instanceof Request) throw e;
      const url = new URL(String(input));
      const standIn = new URL(`${url.pathname}${url.search}`, standInFor(url));
      const undici = loadUndici();
      return (await undici.fetch(standIn, { ...(init as object), dispatcher: realOriginDispatcher(inner) } as Parameters<typeof undici.fetch>[1])) as unknown as Response;
    }
  }) as Fetch;
}
