// Image references as docker reads them (distribution/reference's ParseNormalizedNamed):
// `alpine` is docker.io/library/alpine:latest; a first component with a '.' or ':', that is
// `localhost`, or that has an upper-case letter is a registry host. Errors carry docker's
// wording, since scripts and users match on it.
import { GockerError } from '../errors';
import { digestProblem, isDigest } from './digest';

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_REGISTRY = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
/** distribution's RepositoryNameTotalLengthMax: it counts the path, not the host. */
const NAME_MAX = 255;

export interface Reference {
  /** 'docker.io', 'localhost:5000', 'registry.example.com' */
  registry: string;
  /** 'library/alpine', 'ns/name' */
  repository: string;
  tag?: string;
  digest?: string;
}

// The grammar of distribution/reference, written out as regular expressions.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE_RE = new RegExp(`^((?:${DOMAIN}/)?${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME_RE = new RegExp(`^(?:(${DOMAIN})/)?(${REMOTE_NAME})$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const TAG_RE = new RegExp(`^${TAG}$`);

/** A tag by the reference grammar ('latest', '3.19'), as images.json keeps one. */
export function isTag(s: string): boolean {
  return TAG_RE.test(s);
}

function invalid(msg = 'invalid reference format'): GockerError {
  return new GockerError(msg, { code: 'EINVALREF', exitCode: 125 });
}

/** go-digest's Validate: the same checks in the same order, so the same message wins. */
function checkDigest(d: string): void {
  const problem = digestProblem(d);
  if (problem) throw invalid(problem);
}

/** Where the host ends: docker's splitDockerDomain. */
function splitDomain(s: string): [string, string] {
  const slash = s.indexOf('/');
  if (slash < 0) return [DEFAULT_REGISTRY, OFFICIAL_PREFIX + s];
  const first = s.slice(0, slash);
  const rest = s.slice(slash + 1);
  let domain = DEFAULT_REGISTRY;
  let remote = s;
  if (first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase()) [domain, remote] = [first, rest];
  else if (first === LEGACY_REGISTRY) remote = rest;
  if (domain === LEGACY_REGISTRY) domain = DEFAULT_REGISTRY;
  if (domain === DEFAULT_REGISTRY && !remote.includes('/')) remote = OFFICIAL_PREFIX + remote;
  return [domain, remote];
}

export function parseReference(input: string): Reference {
  if (IDENTIFIER_RE.test(input)) {
    throw invalid(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDomain(input);
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote !== remote.toLowerCase()) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const full = `${domain}/${remainder}`;
  const m = REFERENCE_RE.exec(full);
  if (!m) {
    const lower = full.toLowerCase();
    throw invalid(lower !== full && REFERENCE_RE.test(lower) ? 'repository name must be lowercase' : undefined);
  }
  const name = NAME_RE.exec(m[1])!;
  const registry = name[1];
  const repository = name[2];
  // The host splitDomain chose is no host by the grammar ("docker.io__a/x" is one long path
  // instead): a reference with no registry to pull it from.
  if (registry === undefined) throw invalid();
  if (repository.length > NAME_MAX) throw invalid(`repository name must not be more than ${NAME_MAX} characters`);
  const digest = m[3];
  if (digest !== undefined) checkDigest(digest);
  const tag = m[2] ?? (digest ? undefined : DEFAULT_TAG);
  return { registry, repository, tag, digest };
}

/**
 * An image argument as docker's CLI reads one (ParseAnyReference): an id (64 hex digits, or a
 * digest) names no repository and gives undefined; anything else must parse as a reference,
 * or fails with docker's error before any lookup.
 */
export function parseAnyReference(input: string): Reference | undefined {
  if (IDENTIFIER_RE.test(input) || isDigest(input)) return undefined;
  return parseReference(input);
}

/** The repository as docker prints it: 'alpine', 'user/app', 'localhost:5000/app'. */
export function familiarRepo(ref: Reference): string {
  if (ref.registry === DEFAULT_REGISTRY) {
    return ref.repository.startsWith('library/') && ref.repository.split('/').length === 2
      ? ref.repository.slice('library/'.length)
      : ref.repository;
  }
  return `${ref.registry}/${ref.repository}`;
}

export function familiarString(ref: Reference): string {
  return `${familiarRepo(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Fully qualified: docker.io/library/alpine:latest */
export function referenceString(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
