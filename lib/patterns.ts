// The patterns a caller gives filters: docker's name= and id= are Go regular expressions
// (filters.Args.Match), its images REPOSITORY[:TAG] and reference= are Go's path.Match globs.
// Both are matched in time linear in the name: a JavaScript RegExp backtracks, and
// `^(a+)+b$` against a long name held a `volume ls` for minutes.
import type { RE2JS } from 're2js';

/** path.Match's ErrBadPattern: a glob that is malformed (an open class, a trailing backslash). */
export class BadPatternError extends Error {
  constructor() {
    super('syntax error in pattern');
  }
}

let re2js: typeof import('re2js') | undefined;

/**
 * A test of strings against a Go regular expression (RE2 syntax, unanchored, as
 * regexp.MatchString); a pattern that is none matches nothing, as filters.Args.Match skips
 * it. re2js (RE2's automata, not backtracking) is loaded with the first pattern, so a list
 * without such a filter does not read it.
 */
export function goRegexp(pattern: string): (s: string) => boolean {
  let re: RE2JS;
  try {
    re = (re2js ??= require('re2js') as typeof import('re2js')).RE2JS.compile(pattern);
  } catch {
    return () => false;
  }
  return (s) => re.test(s);
}

const STAR = 0x2a, QUESTION = 0x3f, BACKSLASH = 0x5c, OPEN = 0x5b, CLOSE = 0x5d, CARET = 0x5e, DASH = 0x2d, SLASH = 0x2f;

/**
 * Go's path.Match as a compiled test: `*` any run of characters but '/', `?` one character
 * but '/', `[...]` a class of characters and ranges (`^` negates), a backslash quotes the
 * next character. A malformed pattern is BadPatternError here, before any name is matched.
 *
 * The pattern is chunks, each a literal run led by stars. A chunk after a star is placed at
 * the first position it matches from: what follows could only match a suffix of what a later
 * placement leaves, so no other placement is ever tried again, and a match takes at most
 * pattern x name steps (`*a*a*a*...b` against a long name is as quick as any).
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  const chunks = scanChunks([...pattern].map((c) => c.codePointAt(0)!));
  // path.Match reports a bad chunk only once it reaches it; docker's images lists nothing
  // but the error then, so the whole pattern is checked first.
  for (const c of chunks) matchChunk(c.chunk, [], 0, true);
  return (name) => {
    const s = [...name].map((c) => c.codePointAt(0)!);
    let at = 0;
    for (let k = 0; k < chunks.length; k++) {
      const { star, chunk } = chunks[k];
      const last = k === chunks.length - 1;
      if (star && chunk.length === 0) return !s.slice(at).includes(SLASH); // trailing *: the rest, without '/'
      let next = matchChunk(chunk, s, at);
      if (next >= 0 && (!last || next === s.length)) {
        at = next;
        continue;
      }
      if (!star) return false;
      next = -1;
      for (let i = at; i < s.length && s[i] !== SLASH; i++) {
        const end = matchChunk(chunk, s, i + 1);
        if (end >= 0 && (!last || end === s.length)) {
          next = end;
          break;
        }
      }
      if (next < 0) return false;
      at = next;
    }
    return at === s.length;
  };
}

interface Chunk { star: boolean; chunk: number[] }

function scanChunks(p: number[]): Chunk[] {
  const out: Chunk[] = [];
  let i = 0;
  while (i < p.length) {
    let star = false;
    while (i < p.length && p[i] === STAR) {
      star = true;
      i++;
    }
    const start = i;
    let inRange = false;
    for (; i < p.length; i++) {
      if (p[i] === BACKSLASH) {
        if (i + 1 < p.length) i++;
      } else if (p[i] === OPEN) inRange = true;
      else if (p[i] === CLOSE) inRange = false;
      else if (p[i] === STAR && !inRange) break;
    }
    out.push({ star, chunk: p.slice(start, i) });
  }
  return out;
}

/**
 * Where chunk, matched against s from at, ends in s; -1 when it does not match. With
 * validate, as path.Match's matchChunk, the whole chunk is read whether or not s matched, so
 * a bad one is BadPatternError whatever the name; a matcher's chunks are checked so once, and
 * matching stops at the first mismatch (else a long chunk cost its whole length at each
 * position a star tries).
 */
function matchChunk(chunk: number[], s: number[], at: number, validate = false): number {
  let failed = false;
  let i = 0;
  // One character of a class: a backslash quotes it; '-' and ']' cannot stand unquoted, and
  // the class must go on after it.
  const esc = (): number => {
    if (i >= chunk.length || chunk[i] === DASH || chunk[i] === CLOSE) throw new BadPatternError();
    if (chunk[i] === BACKSLASH && ++i >= chunk.length) throw new BadPatternError();
    const c = chunk[i++];
    if (i >= chunk.length) throw new BadPatternError();
    return c;
  };
  while (i < chunk.length) {
    if (failed && !validate) return -1;
    if (!failed && at >= s.length) failed = true;
    const c = chunk[i];
    if (c === OPEN) {
      const r = failed ? -1 : s[at++];
      i++;
      const negated = chunk[i] === CARET;
      if (negated) i++;
      let match = false;
      for (let n = 0; ; n++) {
        if (n > 0 && chunk[i] === CLOSE) {
          i++;
          break;
        }
        const lo = esc();
        const hi = chunk[i] === DASH ? (i++, esc()) : lo;
        if (lo <= r && r <= hi) match = true;
      }
      if (match === negated) failed = true;
    } else if (c === QUESTION) {
      if (!failed && s[at++] === SLASH) failed = true;
      i++;
    } else {
      if (c === BACKSLASH && ++i >= chunk.length) throw new BadPatternError();
      if (!failed && chunk[i] !== s[at++]) failed = true;
      i++;
    }
  }
  return failed ? -1 : at;
}
