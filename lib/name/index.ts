// Image references as docker reads them (distribution/reference's ParseNormalizedNamed):
// `alpine` is docker.io/library/alpine:latest; a first component with a '.' or ':', that is
// `localhost`, or that has an upper-case letter is a registry host. Errors carry docker's
// wording, since scripts and users match on it. The grammar itself is the addon's
// (native/name/reference.cc): one parser for every reference and digest, the one
// fuzz/reference.cc fuzzes; printing a reference is here.
import { GockerError, NoSuchImageError } from '../errors';
import { native } from '../native';
import { isDigest } from './digest';

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** An image id as docker's CLI takes one: 64 hex digits, no algorithm. */
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

/** An image reference taken apart, normalised as docker's (docker.io and library/ filled in). */
export interface Reference {
  /** 'docker.io', 'localhost:5000', 'registry.example.com' */
  registry: string;
  /** 'library/alpine', 'ns/name' */
  repository: string;
  /** 'latest', '3.19': 'latest' when neither a tag nor a digest was given */
  tag?: string;
  /** 'sha256:<hex>', when one was given */
  digest?: string;
}

/** A tag by the reference grammar ('latest', '3.19'), as images.json keeps one. */
export function isTag(s: string): boolean {
  return native().isTag(s);
}

/** Parses an image reference as docker's distribution/reference does; throws (code EINVALREF) on one that is not valid. */
export function parseReference(input: string): Reference {
  const r = native().parseReference(input);
  if (typeof r === 'string') throw new GockerError(r, { code: 'EINVALREF', exitCode: 125 });
  return { registry: r[0], repository: r[1], tag: r[2], digest: r[3] };
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

/**
 * dockerd's error for an image it does not have (ErrImageDoesNotExist), which names it as it
 * read it: a reference normalised, ':latest' added when it has neither a tag nor a digest
 * (No such image: nosuch:latest), docker.io/ and library/ left out; an id as a digest
 * (sha256:HEX). A name that is no reference at all is said as given.
 */
export function noSuchImage(input: string, exitCode = 1): NoSuchImageError {
  let shown = input;
  try {
    const ref = parseAnyReference(input);
    if (ref) shown = familiarString(ref);
    else if (IDENTIFIER_RE.test(input)) shown = `sha256:${input}`;
  } catch {
    /* refused as a reference: said as given */
  }
  return new NoSuchImageError(`No such image: ${shown}`, { exitCode });
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

/** The reference as docker shows it: docker.io/ and library/ left out ('alpine:3.19'). */
export function familiarString(ref: Reference): string {
  return `${familiarRepo(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/**
 * Whether name, as given, has a tag (docker's push: a name without one pushes 'latest', and
 * with --all-tags it must have none). Read from the text, before any parse: 'host:5000/app'
 * has none.
 */
export function hasTag(name: string): boolean {
  const at = name.indexOf('@');
  const last = (at >= 0 ? name.slice(0, at) : name).split('/').pop() ?? '';
  return last.includes(':');
}

/** Fully qualified: docker.io/library/alpine:latest */
export function referenceString(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
