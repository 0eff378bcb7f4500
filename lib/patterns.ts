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
 * The most instructions a name= or id= pattern may compile to. Go refuses only past 3.3
 * million (regexp/syntax's maxSize), and re2js past 1.4 million, but re2js takes seconds per
 * hundred thousand, and a 13,000-character row of `\pL{1000}` held a `ps` for half a minute;
 * a name is matched in a few hundred steps of the program's size. No pattern written for a
 * name comes near this: `[0-9a-f]{64}` is 64.
 */
export const MAX_PATTERN_SIZE = 10_000;

/**
 * The most Unicode class escapes (\pL, \p{Greek}, \PN) a pattern may have: re2js builds each
 * one's table of ranges anew as it parses, up to a millisecond apiece, which Go's limit on
 * class runes (26,000 \pL) leaves far too long.
 */
export const MAX_PATTERN_TABLES = 200;

/**
 * A test of strings against a Go regular expression (RE2 syntax, unanchored, as
 * regexp.MatchString); a pattern that is none matches nothing, as filters.Args.Match skips
 * it.
 */
export function goRegexp(pattern: string): (s: string) => boolean {
  const re = compileGoRegexp(pattern);
  return re ? (s) => re.test(s) : () => false;
}

/**
 * A Go regular expression compiled by re2js (RE2's automata, not backtracking), or undefined
 * for one Go refuses, or one over MAX_PATTERN_SIZE or MAX_PATTERN_TABLES, which re2js is not
 * asked to compile, so that no pattern holds a list for more than a moment. re2js is loaded
 * with the first pattern, so a list without such a filter does not read it.
 */
export function compileGoRegexp(pattern: string): RE2JS | undefined {
  const cost = patternCost(pattern);
  if (cost.size > MAX_PATTERN_SIZE || cost.tables > MAX_PATTERN_TABLES) return undefined;
  try {
    return (re2js ??= require('re2js') as typeof import('re2js')).RE2JS.compile(pattern);
  } catch {
    return undefined;
  }
}

/** A group being read: the sizes of its alternatives so far, and of the current one's pieces. */
interface Group { capture: boolean; alts: number[]; items: number[] }

/**
 * What compiling a Go regular expression would cost, read in one pass without building
 * anything: size is Go's calcSize of its parse tree (regexp/syntax's measure for
 * "expression too large": a rune of a literal, a class or an assertion 1, a capture or a star
 * 2 more than what it holds, + and ? 1 more, x{n,m} m copies and m-n more, an alternation
 * its branches and a split between each), and tables the Unicode class escapes. It never
 * fails: a pattern that is no regular expression gets some number, and re2js refuses it.
 * Go factors common prefixes out of alternations, so its size can be smaller, never larger.
 */
export function patternCost(pattern: string): { size: number; tables: number } {
  const p = [...pattern];
  const stack: Group[] = [{ capture: false, alts: [], items: [] }];
  let tables = 0;
  // Where the last ":]" starts: a "[:" after it is a literal '[', found so without a search.
  let lastPosix = p.length - 2;
  while (lastPosix >= 0 && !(p[lastPosix] === ':' && p[lastPosix + 1] === ']')) lastPosix--;
  const close = (g: Group): number => {
    const alts = [...g.alts, Math.max(1, sum(g.items))];
    return (g.capture ? 2 : 0) + sum(alts) + alts.length - 1;
  };
  // A repetition count as Go's parseInt reads it: digits, no leading zero, too large past 1e8.
  const int = (i: number): [number, number] | undefined => {
    let j = i;
    while (j < p.length && p[j] >= '0' && p[j] <= '9') j++;
    if (j === i || (p[i] === '0' && j > i + 1)) return undefined;
    return [Number(p.slice(i, j).join('')), j];
  };
  // {n}, {n,} or {n,m} at i, as Go's parseRepeat; max -1 for none; undefined when '{' is a literal.
  const counted = (i: number): { min: number; max: number; end: number } | undefined => {
    const a = int(i + 1);
    if (!a) return undefined;
    let [min, j] = a;
    let max = min;
    if (p[j] === ',') {
      if (p[j + 1] === '}') {
        max = -1;
        j++;
      } else {
        const b = int(j + 1);
        if (!b) return undefined;
        [max, j] = b;
      }
    }
    return p[j] === '}' ? { min, max, end: j + 1 } : undefined;
  };
  // The escape at i (a backslash): where it ends, counting a Unicode class's table.
  const escape = (i: number): number => {
    const c = p[i + 1];
    if (c === 'p' || c === 'P') tables++;
    if ((c === 'p' || c === 'P' || c === 'x') && p[i + 2] === '{') {
      const end = p.indexOf('}', i + 3);
      return end < 0 ? p.length : end + 1;
    }
    if (c === 'p' || c === 'P') return Math.min(p.length, i + 3);
    if (c === 'x') return Math.min(p.length, i + 4);
    return Math.min(p.length, i + 2);
  };
  let i = 0;
  while (i < p.length) {
    const g = stack[stack.length - 1];
    const c = p[i];
    if (c === '(') {
      if (p[i + 1] !== '?') {
        stack.push({ capture: true, alts: [], items: [] });
        i++;
        continue;
      }
      // (?P<name>, (?<name>: a capture; (?flags) alone: nothing; (?flags: a plain group. Anything
      // else is no Go syntax, which re2js refuses.
      if (p[i + 2] === '<' || (p[i + 2] === 'P' && p[i + 3] === '<')) {
        stack.push({ capture: true, alts: [], items: [] });
        const end = p.indexOf('>', i);
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      let j = i + 2;
      while (j < p.length && 'imsU-'.includes(p[j])) j++;
      if (p[j] !== ')') stack.push({ capture: false, alts: [], items: [] });
      i = j + 1;
    } else if (c === ')') {
      if (stack.length > 1) {
        stack.pop();
        stack[stack.length - 1].items.push(close(g));
      }
      i++;
    } else if (c === '|') {
      g.alts.push(Math.max(1, sum(g.items)));
      g.items = [];
      i++;
    } else if (c === '*' || c === '+' || c === '?' || (c === '{' && counted(i))) {
      const sub = g.items.pop() ?? 0;
      let size: number;
      if (c === '{') {
        const { min, max, end } = counted(i)!;
        size = max === -1 ? (min === 0 ? 2 + sub : 1 + min * sub) : max * sub + (max - min);
        i = end;
      } else {
        size = (c === '*' ? 2 : 1) + sub;
        i++;
      }
      if (p[i] === '?') i++;
      g.items.push(Math.max(1, size));
    } else if (c === '[') {
      // A class is one instruction whatever it holds; ']' first is one of its characters.
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      while (j < p.length && p[j] !== ']') {
        if (p[j] === '\\') j = escape(j);
        else if (p[j] === '[' && p[j + 1] === ':' && j + 2 <= lastPosix) {
          // [:alpha:] up to the next ":]", as Go's parseNamedClass (a wrong name, re2js refuses).
          let k = j + 2;
          while (!(p[k] === ':' && p[k + 1] === ']')) k++;
          j = k + 2;
        } else j++;
      }
      g.items.push(1);
      i = j + 1;
    } else if (c === '\\' && p[i + 1] === 'Q') {
      // \Q...\E: every rune up to \E a literal one.
      let end = i + 2;
      while (end < p.length && !(p[end] === '\\' && p[end + 1] === 'E')) end++;
      for (let k = i + 2; k < end; k++) g.items.push(1);
      i = end + 2;
    } else {
      g.items.push(1);
      i = c === '\\' ? escape(i) : i + 1;
    }
  }
  while (stack.length > 1) {
    const g = stack.pop()!;
    stack[stack.length - 1].items.push(close(g));
  }
  return { size: close(stack[0]), tables };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

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
