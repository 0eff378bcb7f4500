// The functions a template can call: Go's builtins (len, index, slice, eq, printf, ...)
// and docker's (json, join, split, lower, upper, title, pad, truncate), with their Go
// signatures, so that a wrong argument fails as it does under docker.
import { byCodeUnit } from './order';
import { isPrint } from './parse';
import { printValue, sprint, sprintf, sprintln } from './fmt';
import { goTypeOf, kindOf, num, sortedKeys, structFields, truth, typeName, utf8, type ParamType } from './values';

/** An argument's Go type: 'value' is reflect.Value (anything, missing values included). */
export type ArgType = ParamType | 'value';

export interface FuncDef {
  in: ArgType[];
  /** the type of each further argument, for a variadic function */
  variadic?: ArgType;
  fn: (...args: never[]) => unknown;
}

/** A function's error: the template engine reports it as "error calling NAME: MESSAGE". */
export class CallError extends Error {}

const fail = (msg: string): never => {
  throw new CallError(msg);
};

const isNilish = (v: unknown): boolean => v === undefined || v === null;

function len(v: unknown): number {
  switch (kindOf(v)) {
    case 'invalid': return fail('reflect: call of reflect.Value.Type on zero Value');
    case 'nil': return fail('len of nil pointer');
    case 'string': return utf8(v as string).length;
    case 'slice': return (v as unknown[]).length;
    case 'map': return Object.keys(v as object).length;
    default: return fail(`len of type ${typeName(v)}`);
  }
}

function indexArg(i: unknown, cap: number): number {
  if (isNilish(i)) fail('cannot index slice/array with nil');
  if (kindOf(i) !== 'int') fail(`cannot index slice/array with type ${typeName(i)}`);
  const x = Number(i);
  if (x < 0 || x > cap) fail(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...keys: unknown[]): unknown {
  if (isNilish(item)) fail('index of untyped nil');
  let cur = item;
  for (const k of keys) {
    if (cur === null) fail('index of nil pointer');
    switch (kindOf(cur)) {
      case 'slice': {
        const a = cur as unknown[];
        const x = indexArg(k, a.length);
        if (x === a.length) fail('reflect: slice index out of range');
        cur = a[x] === undefined ? null : a[x];
        break;
      }
      case 'string': {
        const b = utf8(cur as string);
        const x = indexArg(k, b.length);
        if (x === b.length) fail('reflect: string index out of range');
        cur = b[x];
        break;
      }
      case 'map': {
        if (isNilish(k)) fail('value is nil; should be of type string');
        if (typeof k !== 'string') fail(`value has type ${typeName(k)}; should be string`);
        const m = cur as Record<string, unknown>;
        const key = k as string;
        cur = Object.prototype.hasOwnProperty.call(m, key) && m[key] !== undefined && typeof m[key] !== 'function' ? m[key] : zeroOf(m);
        break;
      }
      default:
        fail(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

/** The zero value of a map's elements: what `index` gives for a missing key. */
function zeroOf(m: object): unknown {
  const t = goTypeOf(m);
  return t && 'zero' in t ? t.zero : null;
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (isNilish(item)) fail('slice of untyped nil');
  if (idx.length > 3) fail(`too many slice indexes: ${idx.length}`);
  const k = kindOf(item);
  if (k === 'string' && idx.length === 3) fail('cannot 3-index slice a string');
  if (k !== 'string' && k !== 'slice') fail(`can't slice item of type ${typeName(item)}`);
  const whole: Buffer | unknown[] = k === 'string' ? utf8(item as string) : (item as unknown[]);
  const bounds = [0, whole.length];
  idx.forEach((x, i) => {
    bounds[i] = indexArg(x, whole.length);
  });
  if (bounds[0] > bounds[1]) fail(`invalid slice index: ${bounds[0]} > ${bounds[1]}`);
  if (idx.length === 3 && bounds[1] > bounds[2]) fail(`invalid slice index: ${bounds[1]} > ${bounds[2]}`);
  return k === 'string' ? (whole as Buffer).subarray(bounds[0], bounds[1]).toString('utf8') : (whole as unknown[]).slice(bounds[0], bounds[1]);
}

type Basic = 'bool' | 'int' | 'float' | 'string' | 'invalid';

/** Go's basicKind: comparisons work on booleans, numbers and strings. */
function basicKind(v: unknown): Basic {
  const k = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : 'invalid';
}

const BAD_COMPARISON = 'incompatible types for comparison';

function eq(a: unknown, ...others: unknown[]): boolean {
  if (others.length === 0) fail('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of others) {
    const k2 = basicKind(b);
    let t = false;
    if (k1 !== k2) {
      if (!isNilish(a) && !isNilish(b)) fail(BAD_COMPARISON);
    } else if (k1 === 'invalid') {
      if (isNilish(a) || isNilish(b)) t = isNilish(a) === isNilish(b);
      else if (kindOf(a) === 'struct' && kindOf(b) === 'struct') t = a === b;
      else fail(`non-comparable type ${sprintf('%s', [b])}: ${typeName(b)}`);
    } else {
      t = k1 === 'int' || k1 === 'float' ? num(a) === num(b) : a === b;
    }
    if (t) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k2 === 'invalid') fail('invalid type for comparison');
  if (k1 !== k2) fail(BAD_COMPARISON);
  if (k1 === 'bool') fail('invalid type for comparison');
  return k1 === 'string' ? (a as string) < (b as string) : num(a) < num(b);
}

const le = (a: unknown, b: unknown): boolean => lt(a, b) || eq(a, b);

/** html, js, urlquery: one string argument as it is, anything else as fmt.Sprint makes it. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\ufffd', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '\\') out += '\\\\';
    else if (c === "'") out += "\\'";
    else if (c === '"') out += '\\"';
    else if ('<>&='.includes(c)) out += `\\u00${cp.toString(16).toUpperCase()}`;
    else if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp < 0x80 || isPrint(c)) out += c;
    else out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's json.Marshal, as docker's json function uses it (no HTML escaping). */
export function goJSON(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid': case 'nil': case 'func': return 'null';
    case 'bool': return String(v);
    case 'int': return String(v);
    case 'float': {
      const f = num(v);
      if (!Number.isFinite(f)) fail(`json: unsupported value: ${printValue(f)}`);
      // Go writes the shortest form, in exponent notation below 1e-6 and from 1e21 (1e-7,
      // 1e+21), as JavaScript does.
      return String(f);
    }
    case 'string': return jsonString(v as string);
    case 'slice': return `[${(v as unknown[]).map(goJSON).join(',')}]`;
    case 'struct': {
      const t = goTypeOf(v as object)!;
      const fields = structFields(v as object).filter(([, x]) => x !== undefined);
      if (t.jsonAsMap) fields.sort(([a], [b]) => byCodeUnit(a, b));
      return `{${fields.map(([k, x]) => `${jsonString(k)}:${goJSON(x)}`).join(',')}}`;
    }
    default: {
      const m = v as Record<string, unknown>;
      return `{${sortedKeys(m).filter((k) => m[k] !== undefined && typeof m[k] !== 'function').map((k) => `${jsonString(k)}:${goJSON(m[k])}`).join(',')}}`;
    }
  }
}

function jsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`).replace(/\\u(d[89ab][0-9a-f]{2})/g, '\\ufffd');
}

/** unicode.ToUpper and ToLower work one character at a time; JavaScript's may make two (ß -> SS). */
function mapRunes(s: string, f: (c: string) => string, keepOnGrowth: boolean): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return f(s);
  let out = '';
  for (const c of s) {
    const m = f(c);
    out += [...m].length === 1 ? m : keepOnGrowth ? c : [...m][0];
  }
  return out;
}

const upper = (s: string): string => mapRunes(s, (c) => c.toUpperCase(), true);
const lower = (s: string): string => mapRunes(s, (c) => c.toLowerCase(), false);

/** strings.Title: the first letter of each word upper-cased; a word follows a separator. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    out += isSeparator(prev) ? upper(c) : c;
    prev = c;
  }
  return out;
}

function isSeparator(c: string): boolean {
  if (c.codePointAt(0)! < 0x80) return !/[0-9A-Za-z_]/.test(c);
  if (/[\p{L}\p{Nd}]/u.test(c)) return false;
  return /\s/u.test(c);
}

/** docker's join: strings joined, other elements as fmt prints them; a map's values sorted. */
function join(elems: unknown, sep: string): string {
  switch (kindOf(elems)) {
    case 'invalid': case 'nil': return '';
    case 'slice': return (elems as unknown[]).map((e) => (typeof e === 'string' ? e : sprint([e]))).join(sep);
    case 'map': {
      const m = elems as Record<string, unknown>;
      return Object.keys(m).map((k) => sprint([m[k]])).sort(byCodeUnit).join(sep);
    }
    default: return fail(`expected slice, got ${typeName(elems)}`);
  }
}

function split(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}

function repeat(n: number): string {
  if (n < 0) fail('strings: negative Repeat count');
  return ' '.repeat(n);
}

/** docker's pad: spaces around a string that is not empty. */
function pad(s: string, prefix: number, suffix: number): string {
  return s === '' ? s : repeat(prefix) + s + repeat(suffix);
}

/** docker's truncate: the first n bytes. */
function truncate(s: string, n: number): string {
  const b = utf8(s);
  if (b.length < n) return s;
  if (n < 0) fail(`runtime error: slice bounds out of range [:${n}]`);
  return b.subarray(0, n).toString('utf8');
}

/** call, as Go 1.21 and later have it: its first argument is the callee's name (the engine adds it). */
function call(callee: string, fn: unknown, ...args: unknown[]): unknown {
  if (isNilish(fn)) fail('call of nil');
  if (typeof fn !== 'function') fail(`non-function ${callee} of type ${typeName(fn)}`);
  return (fn as (...a: unknown[]) => unknown)(...args);
}

const f = (inTypes: ArgType[], fn: FuncDef['fn'], variadic?: ArgType): FuncDef => ({ in: inTypes, fn, variadic });

/** Go's builtins. and/or are evaluated by the engine itself (they stop at the first decisive argument). */
export const BUILTINS: Record<string, FuncDef> = {
  and: f(['value'], () => undefined, 'value'),
  or: f(['value'], () => undefined, 'value'),
  not: f(['value'], (v: unknown) => !truth(v)),
  len: f(['value'], len),
  index: f(['value'], index, 'value'),
  slice: f(['value'], slice, 'value'),
  print: f([], (...a: unknown[]) => sprint(a), 'any'),
  printf: f(['string'], (format: string, ...a: unknown[]) => sprintf(format, a), 'any'),
  println: f([], (...a: unknown[]) => sprintln(a), 'any'),
  eq: f(['value'], eq, 'value'),
  ne: f(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: f(['value', 'value'], lt),
  le: f(['value', 'value'], le),
  gt: f(['value', 'value'], (a: unknown, b: unknown) => !le(a, b)),
  ge: f(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b)),
  html: f([], (...a: unknown[]) => htmlEscape(evalArgs(a)), 'any'),
  js: f([], (...a: unknown[]) => jsEscape(evalArgs(a)), 'any'),
  urlquery: f([], (...a: unknown[]) => queryEscape(evalArgs(a)), 'any'),
  call: f(['value'], call, 'value'),
};

/** docker's template functions (docker/cli's templates package). */
export const DOCKER_FUNCS: Record<string, FuncDef> = {
  json: f(['any'], goJSON),
  split: f(['string', 'string'], split),
  join: f(['any', 'string'], join),
  title: f(['string'], title),
  lower: f(['string'], lower),
  upper: f(['string'], upper),
  pad: f(['string', 'int', 'int'], pad),
  truncate: f(['string', 'int'], truncate),
};

/**
 * What docker uses in place of its functions to render a table's header: the header row is
 * the template run on the column names, which these leave as they are.
 */
export const HEADER_FUNCS: Record<string, FuncDef> = {
  json: f(['string'], (v: string) => v),
  split: f(['string', 'string'], (v: string) => v),
  join: f(['string', 'string'], (v: string) => v),
  title: f(['string'], (v: string) => v),
  lower: f(['string'], (v: string) => v),
  upper: f(['string'], (v: string) => v),
  truncate: f(['string', 'int'], (v: string) => v),
  pad: DOCKER_FUNCS.pad,
};
