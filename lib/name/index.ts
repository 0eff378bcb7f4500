// Image references as docker reads them: `alpine` is docker.io/library/alpine:latest, a
// first component with a '.' or ':' (or `localhost`) is a registry host.
import { GockerError } from '../errors';

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';

export interface Reference {
  /** 'docker.io', 'localhost:5000', 'registry.example.com' */
  registry: string;
  /** 'library/alpine', 'ns/name' */
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;

function invalid(msg = 'invalid reference format'): GockerError {
  return new GockerError(msg, { code: 'EINVALREF', exitCode: 125 });
}

function validDomain(d: string): boolean {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d+))?$/.exec(d);
  if (!m) return false;
  if (m[1].startsWith('[')) return true;
  return m[1].split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

export function parseReference(input: string): Reference {
  const s = input.trim();
  if (!s || s !== input) throw invalid();
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid();
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalid('invalid reference format');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid();
  }
  if (!rest) throw invalid();
  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (first !== first.toLowerCase() && !first.includes('.') && !first.includes(':')) {
        // An upper-case first component that is not a host: a bad repository name.
      } else {
        if (!validDomain(first)) throw invalid();
        registry = first;
        path = rest.slice(slash + 1);
      }
    }
  }
  if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  if (path !== path.toLowerCase()) {
    throw invalid(`invalid reference format: repository name (${path}) must be lowercase`);
  }
  if (!path.split('/').every((c) => COMPONENT.test(c))) throw invalid();
  if (`${registry}/${path}`.length > 255) throw invalid('invalid reference format: repository name must not be more than 255 characters');
  if (!tag && !digest) tag = DEFAULT_TAG;
  return { registry, repository: path, tag, digest };
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
