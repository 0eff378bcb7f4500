// The filters' patterns (lib/patterns.ts): Go's path.Match for images' REPOSITORY[:TAG] and
// reference=, Go's regexp (RE2) for name= and id=, as docker matches them, and both in time
// linear in the name, whatever the pattern. No root, no addon.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { BadPatternError, compileGoRegexp, globMatcher, goRegexp } from '../../lib/patterns';

test('globMatcher is Go\'s path.Match: * and ? stop at /, classes, ranges, negation and escapes', () => {
  // Go's own path.Match cases (src/path/match_test.go), and docker's kinds of names.
  const cases: Array<[string, string, boolean]> = [
    ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true],
    ['a*', 'ab/c', false], ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true], ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false], ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false],
    ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true], ['[\\-x]', 'a', false], ['*x', 'xxx', true],
    ['busy*', 'busybox:latest', true], ['*/*', 'library/busybox', true], ['derived:?', 'derived:1', true],
  ];
  for (const [pattern, name, want] of cases) assert.equal(globMatcher(pattern)(name), want, `${pattern} ${name}`);
});

test('a malformed glob is path.Match\'s ErrBadPattern before any name, wherever it is in the pattern', () => {
  for (const p of ['[', '[^', '[]a]', '[-]', '[x-]', '[a-b-c]', '\\', 'a[', 'ab[', 'busy*[', '*x\\']) {
    assert.throws(() => globMatcher(p), (e: unknown) => e instanceof BadPatternError && e.message === 'syntax error in pattern', p);
  }
});

test('goRegexp is Go\'s regexp.MatchString: unanchored, RE2\'s syntax; a pattern that is none matches nothing', () => {
  assert.equal(goRegexp('^fl-(up|zero)$')('fl-up'), true);
  assert.equal(goRegexp('thr')('fl-three'), true);
  assert.equal(goRegexp('(?i)FL')('fl-three'), true);
  assert.equal(goRegexp('^/fl')('fl-three'), false);
  // Not RE2 (Go refuses them too): a backreference, a lookbehind, an unclosed group.
  for (const p of ['(a)\\1', '(?<=a)b', 'fl-(', 'a{1001}']) assert.equal(goRegexp(p)('a'), false, p);
});

test('a pattern made to backtrack takes time linear in the name', () => {
  const long = 'a'.repeat(10_000);
  const t = Date.now();
  assert.equal(goRegexp('^(a+)+b$')(long), false);
  assert.equal(goRegexp('(a|aa)*(a|aa)*c')(long), false);
  assert.equal(globMatcher(`${'*a'.repeat(30)}*b`)(long), false);
  assert.equal(globMatcher(`${'*a'.repeat(30)}*`)(long), true);
  assert.ok(Date.now() - t < 2000, `${Date.now() - t} ms`);
});

// A review's pattern: 13,000 characters of \pL{1000} held re2js's compile for seconds to
// half a minute (and a match of a 255-character name for more). Refused before re2js sees it.
test('a pattern that would compile to a huge program is refused in milliseconds', () => {
  for (const p of ['\\pL{1000}'.repeat(1300), '[\\p{L}]{1000}'.repeat(1000), 'a{1000}'.repeat(1300), '\\pL'.repeat(4300)]) {
    const t = Date.now();
    const m = goRegexp(p);
    assert.equal(m('a'.repeat(255)), false);
    assert.ok(Date.now() - t < 500, `${p.slice(0, 20)}...: ${Date.now() - t} ms`);
  }
  // The largest that compiles is still quick to compile and to match.
  const t = Date.now();
  const m = goRegexp('\\pL{1000}'.repeat(10));
  for (let i = 0; i < 20; i++) assert.equal(m(`n${i}-${'Ωa'.repeat(127)}`), false);
  assert.ok(Date.now() - t < 3000, `${Date.now() - t} ms`);
  // Go 1.22's (?<name>), as docker's Go reads it.
  assert.equal(compileGoRegexp('^(?<n>fl)-')?.test('fl-up'), true);
});
