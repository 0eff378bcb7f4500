// The template engine against Go's text/template semantics, as documented for
// text/template and fmt and as docker's CLI adds its functions: each case is what Go
// (1.22 or later, as docker is built with) prints for that template and data, or the error
// it gives.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Template, TemplateExecError, type MissingKey } from '../../lib/format/exec';
import { formatList, templateText } from '../../lib/format/formatter';
import { DOCKER_FUNCS } from '../../lib/format/funcs';
import { renderInspect, inspectTemplate } from '../../lib/format/inspect';
import { TemplateSyntaxError } from '../../lib/format/parse';
import { tabwrite } from '../../lib/format/tabwriter';
import { method, withGoType } from '../../lib/format/values';

const DATA = {
  s: 'hello', u: 'héllo wörld', es: '', i: 42, neg: -7, z: 0, f: 1.5, t: true,
  a: [1, 2, 3], e: [], str: ['x', 'y'], n: null,
  m: { k: 'v', b: 2, n: null }, nest: { x: { y: { z: 'deep' } } },
};

/** Runs a template with docker's functions; the output, or the error's message. */
function run(tpl: string, data: unknown = DATA, missingKey?: MissingKey): string {
  try {
    return new Template(tpl, DOCKER_FUNCS).execute(data, { missingKey });
  } catch (e) {
    if (e instanceof TemplateSyntaxError || e instanceof TemplateExecError) return `ERR ${e.message}`;
    throw e;
  }
}

function check(cases: Array<[string, string]>, data: unknown = DATA): void {
  for (const [tpl, want] of cases) assert.equal(run(tpl, data), want, tpl);
}

test('text, actions, trim markers and comments', () => {
  check([
    ['plain text', 'plain text'],
    ['{{.s}} and {{ .i }}', 'hello and 42'],
    ['a  {{- .s -}}  \n b', 'ahellob'],
    ['{{.s -}}\n\n  x', 'hellox'],
    ['x \n {{- .s}}', 'xhello'],
    ['{{- 3}} {{-3}}', '3 -3'],
    ['a {{- /* a comment */ -}} b', 'ab'],
    ['a{{/* multi\nline */}}b', 'ab'],
    ['{{/* c */ }}', 'ERR template: :1: comment ends before closing delimiter'],
    ['{{/* c', 'ERR template: :1: unclosed comment'],
    ['{{ .s\n}}', 'hello'],
  ]);
});

test('fields, maps and what a missing key gives', () => {
  check([
    ['{{.nest.x.y.z}}', 'deep'],
    ['{{.nope}}', '<no value>'],
    ['{{.nest.x.nope.z}}', '<no value>'],
    ['{{.n}}', '<no value>'],
    ['{{.m.n}}', '<no value>'],
    ['{{.m}} {{.a}} {{.str}} {{.f}} {{.t}}', 'map[b:2 k:v n:<nil>] [1 2 3] [x y] 1.5 true'],
    // A value out of a map[string]interface{} is of type interface {} to Go.
    ['{{.s.x}}', 'ERR template: :1:4: executing "" at <.s.x>: can\'t evaluate field x in type interface {}'],
    ['{{.nest.x.y.z.w}}', 'ERR template: :1:7: executing "" at <.nest.x.y.z.w>: can\'t evaluate field w in type interface {}'],
    ['{{.n.x}}', 'ERR template: :1:4: executing "" at <.n.x>: nil pointer evaluating interface {}.x'],
    // Lines count from 1, columns in bytes from 0; a chain is where its second field is.
    ['line one\n  {{.a.b.c}}', 'ERR template: :2:6: executing "" at <.a.b.c>: can\'t evaluate field b in type interface {}'],
    ['{{.m.k | .s}}', 'ERR template: :1:9: executing "" at <.s>: s is not a method but has arguments'],
  ]);
  assert.equal(run('{{.nope}}', DATA, 'error'), 'ERR template: :1:2: executing "" at <.nope>: map has no entry for key "nope"');
  assert.equal(run('{{.nope.x}}', DATA, 'error'), 'ERR template: :1:7: executing "" at <.nope.x>: map has no entry for key "nope"');
  assert.equal(run('{{.m.nope}}', DATA, 'zero'), '<no value>');
  assert.equal(run('{{.}}', null), '<no value>');
  assert.equal(run('{{.x}}', 5), 'ERR template: :1:2: executing "" at <.x>: can\'t evaluate field x in type int');
  // Keys are data: an object's prototype is not.
  assert.equal(run('{{.constructor}} {{.toString}}', {}), '<no value> <no value>');
});

test('variables: declared, assigned, scoped to their control structure', () => {
  check([
    ['{{$x := .s}}{{$x}}', 'hello'],
    ['{{$x := .nest}}{{$x.x.y.z}}', 'deep'],
    ['{{$x := 1}}{{if .t}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ['{{$x := 1}}{{if .t}}{{$x := 2}}{{end}}{{$x}}', '1'],
    ['{{range .a}}{{$.s}}{{end}}', 'hellohellohello'],
    ['{{$x}}', 'ERR template: :1: undefined variable "$x"'],
    ['{{if .t}}{{$y := 3}}{{end}}{{$y}}', 'ERR template: :1: undefined variable "$y"'],
    ['{{$x := 1}}{{$y = 2}}', 'ERR template: :1:18: executing "" at <2>: undefined variable: $y'],
    ['{{$x, $y := .a}}', 'ERR template: :1: too many declarations in command'],
  ]);
});

test('if, else if, with, else with', () => {
  check([
    ['{{if .t}}T{{else}}F{{end}}', 'T'],
    ['{{if .z}}T{{else}}F{{end}}', 'F'],
    ['{{if .es}}S{{else if .e}}E{{else if .a}}A{{end}}', 'A'],
    ['{{if .m}}map{{end}}{{if .e}}empty{{end}}{{if .nope}}none{{end}}', 'map'],
    ['{{with .nest.x}}{{.y.z}}{{end}}', 'deep'],
    ['{{with .nope}}x{{else}}y{{end}}', 'y'],
    ['{{with $v := .s}}{{$v}}-{{.}}{{end}}', 'hello-hello'],
    ['{{with .e}}a{{else with .s}}{{.}}{{end}}', 'hello'],
    ['{{if}}{{end}}', 'ERR template: :1: missing value for if'],
    ['{{if .t}}', 'ERR template: :1: unexpected EOF'],
    ['{{end}}', 'ERR template: :1: unexpected {{end}}'],
    ['{{if .t}}{{else}}{{else}}{{end}}', 'ERR template: :1: expected end; found {{else}}'],
  ]);
});

test('range over slices, maps and integers; else, break, continue', () => {
  check([
    ['{{range .a}}<{{.}}>{{end}}', '<1><2><3>'],
    ['{{range $i, $e := .str}}{{$i}}:{{$e}} {{end}}', '0:x 1:y '],
    ['{{range $e := .a}}{{$e}}{{end}}', '123'],
    ['{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}', 'b=2;k=v;n=<no value>;'],
    ['{{range .e}}x{{else}}none{{end}}', 'none'],
    ['{{range .nope}}x{{else}}missing{{end}}', 'missing'],
    ['{{range 3}}{{.}}{{end}}', '012'],
    ['{{range .a}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}', '1'],
    ['{{range .a}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}', '13'],
    ['{{range .s}}{{end}}', 'ERR template: :1:8: executing "" at <.s>: range can\'t iterate over hello'],
    ['{{range $i, $v := 3}}{{end}}', 'ERR template: :1:18: executing "" at <3>: can\'t use 3 to iterate over more than one variable'],
    ['{{break}}', 'ERR template: :1: {{break}} outside {{range}}'],
    ['{{range $a, $b, $c := .a}}{{end}}', 'ERR template: :1: too many declarations in range'],
  ]);
});

test('and, or, not, comparisons', () => {
  check([
    ['{{and .t .s}} {{and .z .s}} {{or .z .es .s}} {{or .z .es}}', 'hello 0 hello '],
    // and/or stop at the first argument that decides: the rest is not evaluated.
    ['{{and .z (index .a 99)}} {{or .t (index .a 99)}}', '0 true'],
    ['{{not .t}} {{not .e}} {{.t | not}}', 'false true false'],
    ['{{eq .i 42}} {{eq .s "a" "b" "hello"}} {{ne .i 1}} {{eq .n nil}} {{eq .nope 1}}', 'true true true true false'],
    ['{{lt .i 50}} {{lt 1.5 2.5}} {{lt "a" "b"}} {{le 2 2}} {{gt .neg 0}} {{ge 3 3}}', 'true true true true false true'],
    ['{{eq .i 42.0}}', 'ERR template: :1:2: executing "" at <eq .i 42.0>: error calling eq: incompatible types for comparison'],
    ['{{lt .t .t}}', 'ERR template: :1:2: executing "" at <lt .t .t>: error calling lt: invalid type for comparison'],
    ['{{eq .a .a}}', 'ERR template: :1:2: executing "" at <eq .a .a>: error calling eq: non-comparable type [%!s(int=1) %!s(int=2) %!s(int=3)]: []interface {}'],
    ['{{and}}', 'ERR template: :1:2: executing "" at <and>: wrong number of args for and: want at least 1 got 0'],
  ]);
});

test('len, index, slice', () => {
  check([
    ['{{len .a}} {{len .s}} {{len .u}} {{len .m}} {{.a | len}}', '3 5 13 3 3'],
    ['{{index .a 0}} {{index .m "k"}} {{index .m "zz"}} {{index .s 1}} {{index .nest "x" "y" "z"}}', '1 v <no value> 101 deep'],
    ['{{slice .a 1}} {{slice .a 1 2}} {{slice .a 0 1 2}} {{slice .s 1 3}}', '[2 3] [2] [1] el'],
    ['{{len .i}}', 'ERR template: :1:2: executing "" at <len .i>: error calling len: len of type int'],
    ['{{index .a 5}}', 'ERR template: :1:2: executing "" at <index .a 5>: error calling index: index out of range: 5'],
    ['{{index .m 1}}', 'ERR template: :1:2: executing "" at <index .m 1>: error calling index: value has type int; should be string'],
    ['{{index .n 0}}', 'ERR template: :1:2: executing "" at <index .n 0>: error calling index: index of untyped nil'],
    ['{{slice .a 2 1}}', 'ERR template: :1:2: executing "" at <slice .a 2 1>: error calling slice: invalid slice index: 2 > 1'],
    ['{{slice .s 1 2 3}}', 'ERR template: :1:2: executing "" at <slice .s 1 2 3>: error calling slice: cannot 3-index slice a string'],
  ]);
});

test('print, println and printf with Go\'s fmt verbs', () => {
  check([
    ['{{print .s .i .f}} {{print 1 2}} {{print "a" "b"}} {{print .nope}}', 'hello42 1.5 1 2 ab <nil>'],
    ['{{println .s .i}}', 'hello 42\n'],
    ['{{printf "%d|%5d|%-5d|%05d|%+d|% d|%x|%X|%o|%b|%c|%q|%U|%#x" .i .i .i .i .i .i 255 255 8 5 65 65 65 255}}', '42|   42|42   |00042|+42| 42|ff|FF|10|101|A|\'A\'|U+0041|0xff'],
    ['{{printf "%s|%10s|%-10s|%.2s|%q|%x|% x|%5.1s" .s .s .s .s .s .s .s .u}}', 'hello|     hello|hello     |he|"hello"|68656c6c6f|68 65 6c 6c 6f|    h'],
    ['{{printf "%f|%.2f|%8.3f|%-8.2f|%e|%g|%.3g|%v|%08.2f" .f .f .f .f .f .f .f .f -1.5}}', '1.500000|1.50|   1.500|1.50    |1.500000e+00|1.5|1.5|1.5|-0001.50'],
    ['{{printf "%v %v %v %v %v" 1e6 123456.0 1e-5 0.0001 1e21}}', '1e+06 123456 1e-05 0.0001 1e+21'],
    // Ties round to even, on the exact binary value (1.005 is a little below 1.005).
    ['{{printf "%.0f %.0f %.0f %.2f %.1f" 0.5 1.5 2.5 1.005 0.25}}', '0 2 2 1.00 0.2'],
    ['{{printf "%t %v %5t" .t .t .t}}', 'true true  true'],
    ['{{printf "%v|%d|%s" .a .a .str}}', '[1 2 3]|[1 2 3]|[x y]'],
    ['{{printf "%T %T %T %T %T %T" .s .i .f .a .m .t}}', 'string int float64 []interface {} map[string]interface {} bool'],
    ['{{printf "%d" .s}} {{printf "%s"}} {{printf "%s" 1 2}} {{printf "%z" 1}}', '%!d(string=hello) %!s(MISSING) %!s(int=1)%!(EXTRA int=2) %!z(int=1)'],
    ['{{printf "%[2]d %[1]d" 1 2}} {{printf "%[3]d" 1}} {{printf "%*d|%-*d|%.*f" 5 1 3 2 2 3.14159}}', '2 1 %!d(BADINDEX)     1|2  |3.14'],
    ['{{printf "%d %%" 5}} {{printf "%"}}', '5 % %!(NOVERB)'],
    ['{{printf "%x %X %.2x" 3.5 -0.1 1.0}}', '0x1.cp+01 -0X1.999999999999AP-04 0x1.00p+00'],
    ['{{"x" | printf "%s-%s" "a"}}', 'a-x'],
    ['{{printf "%q %+q %#q" "é\\x01" "é" "ab"}}', '"é\\x01" "\\u00e9" `ab`'],
  ]);
});

test('html, js, urlquery, call', () => {
  check([
    ['{{html "<a href=\'x\'>&</a>"}}', '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;'],
    ['{{js "a\'b\\"c<>&=\\n"}}', 'a\\\'b\\"c\\u003C\\u003E\\u0026\\u003D\\u000A'],
    ['{{urlquery "a b/c?d=é"}}', 'a+b%2Fc%3Fd%3D%C3%A9'],
    ['{{call .s}}', 'ERR template: :1:2: executing "" at <call .s>: error calling call: non-function .s of type string'],
  ]);
});

test('docker\'s functions: json, join, split, lower, upper, title, pad, truncate', () => {
  check([
    ['{{json .a}} {{json .s}} {{json .nope}} {{json .f}} {{json 1.0}} {{json "<&>"}}', '[1,2,3] "hello" null 1.5 1 "<&>"'],
    ['{{json .m}}', '{"b":2,"k":"v","n":null}'],
    ['{{join .str ", "}} {{join .a "-"}} {{join .m ","}} {{join .nope ","}}', 'x, y 1-2-3 2,<nil>,v '],
    ['{{join .s ","}}', 'ERR template: :1:2: executing "" at <join .s ",">: error calling join: expected slice, got string'],
    ['{{split "a,b,c" ","}} {{index (split "a:b" ":") 1}} {{len (split .u "")}}', '[a b c] b 11'],
    ['{{upper .s}} {{lower "ABC"}} {{title "hello world-foo_bar"}} {{title .u}} {{upper "straße"}}', 'HELLO abc Hello World-Foo_bar Héllo Wörld STRAßE'],
    ['{{.s | printf "%s!" | upper}}', 'HELLO!'],
    ['{{pad .s 2 3}}|{{pad .es 2 3}}|', '  hello   ||'],
    ['{{truncate .s 3}} {{truncate .s 10}} {{truncate .s 2.0}}', 'hel hello he'],
    ['{{upper 5}}', 'ERR template: :1:8: executing "" at <5>: expected string; found 5'],
    ['{{upper .i}}', 'ERR template: :1:8: executing "" at <.i>: wrong type for value; expected string; got int'],
    ['{{upper .n}}', 'ERR template: :1:8: executing "" at <.n>: wrong type for value; expected string; got interface {}'],
    ['{{pad "x" 1}}', 'ERR template: :1:2: executing "" at <pad>: wrong number of args for pad: want 3 got 2'],
    ['{{truncate .s 2.5}}', 'ERR template: :1:14: executing "" at <2.5>: expected integer; found 2.5'],
  ]);
});

test('pipelines, parentheses, chains and constants', () => {
  check([
    ['{{(index .nest "x").y.z}} {{(.nest).x.y.z}} {{.s | len | printf "%03d"}}', 'deep deep 005'],
    ['{{1}} {{1.0}} {{1.5}} {{0x10}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{1e3}} {{\'a\'}} {{-5}} {{+5}}', '1 1 1.5 16 15 15 5 1000 1000 97 -5 5'],
    ['{{"a\\tb"}}|{{`raw\\n`}}|{{"\\x41\\u00e9"}}', 'a\tb|raw\\n|Aé'],
    ['{{(index .a 0).x}}', 'ERR template: :1:12: executing "" at <0>: can\'t evaluate field x in type int'],
    ['{{true.x}}', 'ERR template: :1: unexpected . after term "true"'],
    ['{{1 | 2}}', 'ERR template: :1: non executable command in pipeline stage 2'],
    ['{{nil}}', 'ERR template: :1:2: executing "" at <nil>: nil is not a command'],
    ['{{.s 1}}', 'ERR template: :1:2: executing "" at <.s>: s is not a method but has arguments'],
    ['{{1e}}', 'ERR template: :1: illegal number syntax: "1e"'],
    ['{{99999999999999999999}}', 'ERR template: :1: integer overflow: "99999999999999999999"'],
  ]);
});

test('syntax errors are Go\'s one line', () => {
  check([
    ['{{foo}}', 'ERR template: :1: function "foo" not defined'],
    ['{{.a-b}}', 'ERR template: :1: bad character U+002D \'-\''],
    ['{{.a}', 'ERR template: :1: bad character U+007D \'}\''],
    ['{{.s', 'ERR template: :1: unclosed action'],
    ['{{(.s}}', 'ERR template: :1: unclosed left paren'],
    ['{{.s)}}', 'ERR template: :1: unexpected ")" in command'],
    ['{{"open}}', 'ERR template: :1: unterminated quoted string'],
    ['{{`open}}', 'ERR template: :1: unterminated raw quoted string'],
    ['{{%}}', 'ERR template: :1: unexpected "%" in command'],
    ['{{é}}', 'ERR template: :1: function "é" not defined'],
    ['{{ }}', 'ERR template: :1: missing value for command'],
    ['{{template "x"}}', 'ERR template: :1:11: executing "" at <{{template "x"}}>: template "x" not defined'],
    ['line1\nline2 {{.s', 'ERR template: :2: unclosed action'],
  ]);
});

test('define, template and block', () => {
  check([
    ['{{define "x"}}[{{.}}]{{end}}{{template "x" .s}}{{template "x"}}', '[hello][<no value>]'],
    ['{{block "b" .i}}<{{.}}>{{end}}', '<42>'],
    ['{{define "a"}}1{{end}}{{define "a"}}2{{end}}', 'ERR template: :1: template: multiple definition of template "a"'],
    ['{{define "a"}}{{.s.x}}{{end}}{{template "a" .}}', 'ERR template: :1:18: executing "a" at <.s.x>: can\'t evaluate field x in type interface {}'],
  ]);
  // Endless recursion ends with Go's error, not a crash.
  assert.match(run('{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}'), /^ERR template: :1:\d+: executing "r" at <.*>: exceeded maximum template depth \(100000\)$/);
});

test('structs: fields, methods with arguments, docker\'s errors and JSON', () => {
  const ctx = withGoType({
    get ID() { return 'abc'; },
    get Names() { return 'web'; },
    Label: method(['string'], (k: string) => ({ a: '1' } as Record<string, string>)[k] ?? ''),
  }, { kind: 'struct', name: '*formatter.ContainerContext', jsonAsMap: true });
  check([
    ['{{.ID}} {{.Names}} {{.Label "a"}}|{{.Label "b"}}|', 'abc web 1||'],
    ['{{json .}}', '{"ID":"abc","Names":"web"}'],
    ['{{.Id}}', 'ERR template: :1:2: executing "" at <.Id>: can\'t evaluate field Id in type *formatter.ContainerContext'],
    ['{{.Label}}', 'ERR template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0'],
    ['{{.Label 5}}', 'ERR template: :1:9: executing "" at <5>: expected string; found 5'],
    ['{{.ID "x"}}', 'ERR template: :1:2: executing "" at <.ID>: ID has arguments but cannot be invoked as function'],
    ['{{if .ID}}yes{{end}} {{printf "%v" .}}', 'yes {abc web}'],
  ], ctx);
});

test('a field that is a getter is read once a use (ps\'s .Size walks a writable layer to give it)', () => {
  let reads = 0;
  const ctx = withGoType({ get Size() { reads++; return '5B'; } }, { kind: 'struct', name: '*formatter.ContainerContext' });
  assert.equal(run('{{.Size}}', ctx), '5B');
  // Before: 2, the check for the field and the value each reading it.
  assert.equal(reads, 1);
  reads = 0;
  assert.equal(formatList('table {{.Size}}', { Size: 'SIZE' }, [ctx]), 'SIZE\n5B\n');
  assert.equal(reads, 1);
});

test('docker\'s formats: table, json, \\t and \\n', () => {
  assert.equal(templateText('json'), '{{json .}}');
  assert.equal(templateText('table {{.ID}}\\t{{.Names}}'), '{{.ID}}\t{{.Names}}');
  assert.equal(templateText('  {{.ID}}\\n  '), '{{.ID}}\n');
  assert.equal(templateText('\t{{.ID}} '), '\t{{.ID}}');
  const header = { ID: 'CONTAINER ID', Names: 'NAMES' };
  const rows = [{ ID: 'a1', Names: 'short', Labels: { 'com.x.role': 'db' } }, { ID: 'b2', Names: 'a-much-longer-name', Labels: {} }]
    .map((r) => withGoType({ ...r, Label: method(['string'], (k: string) => (r.Labels as Record<string, string>)[k] ?? '') }, { kind: 'struct', name: 'ctx', jsonAsMap: true }));
  // The header row is the template on the column names; columns are at least 10 wide, 3 apart.
  assert.equal(formatList('table {{.ID}}\t{{.Names}}\t{{.Label "com.x.role"}}', header, rows),
    'CONTAINER ID   NAMES                role\n' +
    'a1             short                db\n' +
    'b2             a-much-longer-name   \n');
  // Header functions leave column names alone; a header that errors stops where it failed
  // (here json of the names' map, after the tab).
  assert.equal(formatList('table {{upper .Names}}\t{{json .}}', header, rows.slice(0, 1)), 'NAMES     \n' + 'SHORT     {"ID":"a1","Labels":{"com.x.role":"db"},"Names":"short"}\n');
  assert.equal(formatList('{{.ID}}:{{.Names}}', header, rows), 'a1:short\nb2:a-much-longer-name\n');
  assert.equal(formatList('json', header, rows.slice(1)), '{"ID":"b2","Labels":{},"Names":"a-much-longer-name"}\n');
  assert.equal(formatList('table {{.ID}}', header, []), 'CONTAINER ID\n');
  assert.equal(formatList('{{.ID}}', header, []), '');
  assert.throws(() => formatList('{{.Nope}}', header, rows), { message: 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type ctx', exitCode: 1 });
  assert.throws(() => formatList('{{.ID', header, rows), { message: 'template parsing error: template: :1: unclosed action', exitCode: 1 });
});

test('tabwriter: Go\'s columns, blocks and display widths', () => {
  const tw = (s: string): string => tabwrite(s, { minwidth: 10, padding: 3 });
  assert.equal(tw('a\tb\tc\nlonger-cell\tb\tc\n'), 'a             b         c\nlonger-cell   b         c\n');
  // A line without tabs ends a block: the lines after it align on their own.
  assert.equal(tw('aaaaaaaaaaaaaaaa\tx\nno tabs here\nb\tx\n'), 'aaaaaaaaaaaaaaaa   x\nno tabs here\nb         x\n');
  // A cell that ends the line is not padded; an empty one before it is.
  assert.equal(tw('a\t\tc\n'), 'a                   c\n');
  // Wide characters take two columns.
  assert.equal(tw('名前\tx\nab\tx\n'), '名前      x\nab        x\n');
  assert.equal(tw('no newline'), 'no newline');
});

test('inspect: .ID and .Id, labels as maps, then raw JSON with missing keys as errors', () => {
  const obj = { Id: 'c0ffee', Name: '/web', HostConfig: { NanoCpus: 5, Memory: 0 }, Config: { Labels: { a: '1' }, Env: ['A=1'] }, Mounts: [{ Source: '/s' }] };
  const r = (f: string): string => {
    try {
      return renderInspect(inspectTemplate(f), obj);
    } catch (e) {
      return `ERR ${(e as Error).message}`;
    }
  };
  assert.equal(r('{{.ID}}'), 'c0ffee');
  assert.equal(r('{{.Id}}'), 'c0ffee');
  assert.equal(r('{{.HostConfig.NanoCPUs}} {{.HostConfig.NanoCpus}}'), 'ERR template parsing error: template: :1:13: executing "" at <.HostConfig.NanoCPUs>: map has no entry for key "NanoCPUs"');
  assert.equal(r('{{.HostConfig.NanoCPUs}}'), '5');
  assert.equal(r('{{.Config.Labels.a}} {{.Config.Labels.b}} [{{index .Config.Labels "b"}}]'), '1 <no value> []');
  // A struct marshals in its fields' order, a map (the labels) in its keys' order.
  assert.equal(r('{{range .Mounts}}{{.Source}}{{end}} {{json .Config}}'), '/s {"Labels":{"a":"1"},"Env":["A=1"]}');
  assert.equal(r('{{json .}}'), '{"Id":"c0ffee","Name":"/web","HostConfig":{"NanoCpus":5,"Memory":0},"Config":{"Labels":{"a":"1"},"Env":["A=1"]},"Mounts":[{"Source":"/s"}]}');
  assert.equal(r('{{.Nope}}'), 'ERR template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
  assert.throws(() => inspectTemplate('{{.Id'), { message: 'template parsing error: template: :1: unclosed action', exitCode: 64 });
});
