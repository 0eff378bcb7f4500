// Content digests ('sha256:<hex>') as they come in from manifests, indexes, configs, archives,
// registries and the store's own files. A digest ends up naming a file (blobs/<alg>/<hex>,
// layers/<hex>, images/<hex>), so anything that is not exactly an algorithm gocker knows and
// a lowercase hex of that algorithm's length is refused where it enters: 'sha256:../../etc'
// must never reach path.join. The check is the addon's (native/name/reference.cc), the one
// parser the reference grammar uses too and the one fuzz/reference.cc fuzzes.
import { GockerError } from '../errors';
import { native } from '../native';

/** go-digest's registered algorithms and the hex length of each; nothing else is accepted. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha384: 96, sha512: 128 };
export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** A string checked by validateDigest: '<alg>:<lowercase hex of its exact length>'. */
export type Digest = string & { readonly __digest: unique symbol };

export function isDigest(d: unknown): d is Digest {
  return typeof d === 'string' && native().digestProblem(d) === null;
}

export function isSha256Digest(d: unknown): d is Digest {
  return isDigest(d) && d.startsWith('sha256:');
}

/**
 * go-digest's Validate wording for what is wrong with d, or undefined when it is valid.
 * Shared with the reference parser, so `pull x@sha256:..` and a bad manifest say the same.
 */
export function digestProblem(d: unknown): string | undefined {
  if (typeof d !== 'string') return 'invalid checksum digest format';
  return native().digestProblem(d) ?? undefined;
}

/** An attacker's string, quoted and cut short, for a one-line message. */
export function quoteInput(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v);
  } catch {
    s = String(v);
  }
  return s.length > 150 ? `${s.slice(0, 147)}...` : s;
}

/**
 * d as a Digest, or a GockerError naming where it came from:
 * `load: layer 0 of the manifest: invalid checksum digest format: "sha256:../x"`.
 */
export function validateDigest(d: unknown, where: string, opts: { sha256Only?: boolean; code?: string } = {}): Digest {
  let problem = digestProblem(d);
  if (!problem && opts.sha256Only && !(d as string).startsWith('sha256:')) problem = 'unsupported digest algorithm (only sha256 is supported here)';
  if (problem) throw new GockerError(`${where}: ${problem}: ${quoteInput(d)}`, { code: opts.code ?? 'EDIGEST', exitCode: 125 });
  return d as Digest;
}

/** The parts of a Digest; throws (an internal error) on anything not validated. */
export function splitDigest(d: string): { algorithm: DigestAlgorithm; hex: string } {
  if (!isDigest(d)) throw new GockerError(`refusing to use ${quoteInput(d)} as a digest: ${digestProblem(d)}`, { code: 'EDIGEST', exitCode: 125 });
  const i = d.indexOf(':');
  return { algorithm: d.slice(0, i) as DigestAlgorithm, hex: d.slice(i + 1) };
}
