// goRegexp (lib/patterns.ts) against Go's own regexp package, which docker's filters.Args.Match
// uses: a program built here from the source below with the machine's Go (golang-go, which
// scripts/test.sh installs; a missing one fails, never skips) answers, for patterns
// fast-check makes, whether regexp.Compile takes each and what MatchString says of some
// names. No root, no addon.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { compileGoRegexp, MAX_PATTERN_SIZE, MAX_PATTERN_TABLES, patternCost } from '../../lib/patterns';

const REFERENCE = `package main

import (
	"encoding/json"
	"os"
	"regexp"
)

type in struct {
	P string   \`json:"p"\`
	S []string \`json:"s"\`
}

type out struct {
	Err string \`json:"err"\`
	M   []bool \`json:"m"\`
}

func main() {
	var cases []in
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	res := make([]out, len(cases))
	for i, c := range cases {
		re, err := regexp.Compile(c.P)
		if err != nil {
			res[i].Err = err.Error()
			continue
		}
		for _, s := range c.S {
			res[i].M = append(res[i].M, re.MatchString(s))
		}
	}
	json.NewEncoder(os.Stdout).Encode(res)
}
`;

interface Case { p: string; s: string[] }
interface GoAnswer { err: string; m: boolean[] | null }

/** Go's answers for the cases, from the reference program built in a directory removed after. */
function goAnswers(cases: Case[]): GoAnswer[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'goregexp-'));
  try {
    fs.writeFileSync(path.join(dir, 'main.go'), REFERENCE);
    const env = { ...process.env, GOCACHE: path.join(dir, 'cache'), GOPATH: path.join(dir, 'gopath'), GO111MODULE: 'off', GOPROXY: 'off', GOTOOLCHAIN: 'local' };
    const build = spawnSync('go', ['build', '-o', path.join(dir, 'ref'), 'main.go'], { cwd: dir, env, encoding: 'utf8' });
    assert.ok(!build.error, `go: ${build.error?.message} (apt-get install golang-go)`);
    assert.equal(build.status, 0, build.stderr);
    const run = spawnSync(path.join(dir, 'ref'), { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as GoAnswer[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Pieces of Go's syntax, docker's kinds of names among them, and what parses differently in
// places: case folding (K is U+212A KELVIN SIGN, which folds to k), Unicode classes, \z,
// non-greedy flags, named groups; plus some that Go refuses (\Z, \C, backreferences).
const atom = fc.constantFrom(
  'a', 'b', 'k', 'Ω', 'ω', '-', '_', '\\.', '.', '\\d', '\\w', '\\s', '\\S', '\\pL', '\\p{Greek}', '\\PL', '\\pN',
  '\\p{Lu}', '[a-c]', '[^ab]', '[[:alpha:]]', '[[:^digit:]]', '[\\pL\\d]', '[]a]', '[^\\n]', '^', '$', '\\A', '\\z',
  '\\b', '\\B', '\\x{3a9}', '\\x41', '\\101', '\\Qa.b\\E', '(?i)', '(?s)', '(?m)', '(?U)', '(?-i)', '(?i-s)',
  '\\Z', '\\C', '\\1', '\\e', '[z-a]', '(?P=n)',
);
const quantifier = fc.oneof(
  fc.constantFrom('*', '+', '?', '*?', '+?', '??'),
  fc.tuple(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1100 })), fc.option(fc.integer({ min: 0, max: 1100 }), { nil: undefined }), fc.boolean(), fc.boolean())
    .map(([n, m, open, lazy]) => `{${n}${open ? ',' : m === undefined ? '' : `,${m}`}}${lazy ? '?' : ''}`),
);
let names = 0;
const { pattern } = fc.letrec<{ pattern: string }>((tie) => ({
  pattern: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.array(tie('pattern'), { minLength: 2, maxLength: 4 }).map((xs) => xs.join('')),
    fc.array(tie('pattern'), { minLength: 2, maxLength: 3 }).map((xs) => xs.join('|')),
    fc.tuple(fc.constantFrom('(', '(?:', '(?i:', '(?U:', '(?P<'), tie('pattern')).map(([open, x]) => `${open === '(?P<' ? `(?P<n${names++}>` : open}${x})`),
    fc.tuple(tie('pattern'), quantifier).map(([x, q]) => `(?:${x})${q}`),
    fc.tuple(atom, quantifier).map(([x, q]) => `${x}${q}`),
  ),
}));
// Rows of large counts, on both sides of gocker's limit.
const large = fc.tuple(atom, fc.integer({ min: 300, max: 1000 }), fc.integer({ min: 2, max: 25 }))
  .map(([x, n, k]) => `(?:${x}){${n}}`.repeat(k));
// Raw strings of the syntax's characters: mostly no regular expression at all.
const garbage = fc.string({ unit: fc.constantFrom(...'()[]{}|*+?\\^$.:-<>=!,Pp0129azZQE'), maxLength: 14 });
const name = fc.string({ unit: fc.constantFrom('a', 'b', 'k', 'K', '\u212a', 'A', 'Ω', 'ω', 'z', '.', '-', '_', '\n', '1', ' ', 'ſ', 's'), maxLength: 10 });

test('property: goRegexp refuses what Go\'s regexp.Compile refuses, and matches as MatchString what it takes', () => {
  const seed = Date.now();
  const patterns = fc.sample(fc.oneof({ arbitrary: pattern, weight: 6 }, { arbitrary: garbage, weight: 3 }, { arbitrary: large, weight: 1 }), { numRuns: 3000, seed });
  const cases: Case[] = patterns.map((p, i) => ({ p, s: fc.sample(name, { numRuns: 6, seed: seed + i }).concat('', 'aΩ-1 k\nb') }));
  const answers = goAnswers(cases);
  let taken = 0, refused = 0, over = 0;
  cases.forEach(({ p, s }, i) => {
    const go = answers[i];
    const re = compileGoRegexp(p);
    const at = `seed ${seed}: ${JSON.stringify(p)}`;
    if (go.err) {
      refused++;
      assert.equal(re, undefined, `${at}: Go refuses it (${go.err}), gocker compiled it`);
      return;
    }
    const cost = patternCost(p);
    if (cost.size > MAX_PATTERN_SIZE || cost.tables > MAX_PATTERN_TABLES) {
      // gocker's own limit, below Go's (lib/patterns.ts says why).
      over++;
      assert.equal(re, undefined, `${at}: over gocker's limit (${JSON.stringify(cost)}) but compiled`);
      return;
    }
    taken++;
    assert.ok(re, `${at}: Go takes it, gocker refused it`);
    // The estimate that keeps re2js from compiling a huge program is never below the program
    // re2js makes (a whole-match capture and a match instruction around the pattern's own).
    assert.ok(cost.size >= re.programSize() - 2, `${at}: estimated ${cost.size}, re2js compiled ${re.programSize()} instructions`);
    s.forEach((n, k) => assert.equal(re.test(n), go.m![k], `${at} on ${JSON.stringify(n)}`));
  });
  // The generators reach every branch: a change that made them all refused proves nothing.
  assert.ok(taken > 1000 && refused > 300 && over > 10, `taken ${taken}, refused ${refused}, over the limit ${over}`);
});

test('Go\'s size and nesting limits: what Go refuses gocker refuses at once, what it takes works', () => {
  // Go's limits (regexp/syntax: maxSize, maxHeight, maxRunes, maxRepeat), then gocker's:
  // what each compiles to in Go, and in gocker (true, or the limit that refuses it).
  const cases: Array<{ p: string; s: string[]; go: boolean; gocker: true | 'size' | 'tables' }> = [
    { p: '\\pL{1000}'.repeat(3400), s: ['a'], go: false, gocker: 'size' }, // over Go's 3.3 million instructions
    { p: `${'('.repeat(1001)}a${')'.repeat(1001)}`, s: ['a'], go: false, gocker: true }, // nests too deeply
    { p: `${'(?:'.repeat(1001)}a${'){1}'.repeat(1001)}`, s: ['a'], go: false, gocker: true }, // too deep, size 1 all along
    { p: '(?:a{100}){11}', s: ['a'], go: false, gocker: true }, // nested counts past 1000
    { p: `${'('.repeat(999)}a${')'.repeat(999)}`, s: ['a', 'b'], go: true, gocker: true }, // deep, not too deep
    { p: '\\pL{1000}'.repeat(10), s: ['a'.repeat(255), 'aé'.repeat(6000)], go: true, gocker: true }, // gocker's limit, reached
    { p: '[\\pL\\pN]'.repeat(MAX_PATTERN_TABLES / 2), s: ['a'.repeat(255), 'Ω1'.repeat(200)], go: true, gocker: true },
    // Go takes these, gocker does not: re2js would take seconds to minutes on each.
    { p: '\\pL{1000}'.repeat(1300), s: ['a'], go: true, gocker: 'size' },
    { p: 'a{1000}'.repeat(11), s: ['a'], go: true, gocker: 'size' },
    { p: '\\pL'.repeat(MAX_PATTERN_TABLES + 1), s: ['a'], go: true, gocker: 'tables' },
  ];
  const answers = goAnswers(cases);
  for (const [i, { p, s, go, gocker }] of cases.entries()) {
    const at = `${JSON.stringify(p.slice(0, 40))}... (${p.length} characters)`;
    assert.equal(!answers[i].err, go, `${at}: Go says ${answers[i].err || 'nothing'}`);
    const cost = patternCost(p);
    assert.equal(cost.size > MAX_PATTERN_SIZE ? 'size' : cost.tables > MAX_PATTERN_TABLES ? 'tables' : true, gocker, `${at}: ${JSON.stringify(cost)}`);
    const t = Date.now();
    const re = compileGoRegexp(p);
    const ms = Date.now() - t;
    assert.ok(ms < 2000, `${at}: ${ms} ms to compile or refuse`);
    assert.equal(re !== undefined, go && gocker === true, at);
    if (!re) continue;
    const tm = Date.now();
    s.forEach((n, k) => assert.equal(re.test(n), answers[i].m![k], `${at} on ${n.length} characters`));
    assert.ok(Date.now() - tm < 5000, `${at}: matched in ${Date.now() - tm} ms`);
  }
});
