// Go's fmt for the template functions print, println and printf: the verbs, flags, widths
// and precisions docker users write (%s %d %v %q %t %x %-10s %5.2f %[2]d ...), and Go's
// in-band errors (%!d(string=x), %!s(MISSING), %!(EXTRA int=2)). Values are as
// lib/format/values.ts describes them.
import { goQuote, isPrint } from './parse';
import { kindOf, num, sortedKeys, structFields, typeName } from './values';

interface Flags {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  /** %+v and %#v: plus and sharp as they mean for v */
  plusV: boolean;
  sharpV: boolean;
  wid?: number;
  prec?: number;
}

const clear = (): Flags => ({ minus: false, plus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false });
const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

class Printer {
  out = '';
  f: Flags = clear();

  private padding(n: number): void {
    if (n > 0) this.out += (this.f.zero ? '0' : ' ').repeat(n);
  }

  /** Pads to the width, left or right, by runes as Go does. */
  pad(s: string): void {
    if (this.f.wid === undefined || this.f.wid === 0) {
      this.out += s;
      return;
    }
    const n = this.f.wid - runeCount(s);
    if (this.f.minus) {
      this.out += s;
      this.padding(n);
    } else {
      this.padding(n);
      this.out += s;
    }
  }

  private truncate(s: string): string {
    if (this.f.prec === undefined) return s;
    return [...s].slice(0, this.f.prec).join('');
  }

  badVerb(verb: string, arg: unknown): void {
    this.out += `%!${verb}(`;
    if (arg === undefined || arg === null) this.out += '<nil>';
    else {
      this.out += `${typeName(arg)}=`;
      this.printArg(arg, 'v');
    }
    this.out += ')';
  }

  printArg(arg: unknown, verb: string): void {
    if (arg === undefined || arg === null) {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.pad(this.truncate(typeName(arg)));
      return;
    }
    this.printValue(arg, verb, 0);
  }

  printValue(v: unknown, verb: string, depth: number): void {
    switch (kindOf(v)) {
      case 'invalid': case 'nil':
        // A nil inside a slice or map (Go: an interface holding nil).
        this.out += '<nil>';
        return;
      case 'bool':
        if (verb === 't' || verb === 'v') this.pad(String(v));
        else this.badVerb(verb, v);
        return;
      case 'int': this.integer(typeof v === 'bigint' ? v : BigInt(v as number), verb, v); return;
      case 'float': this.float(num(v), verb, v); return;
      case 'string': this.string(v as string, verb); return;
      case 'slice': {
        if (this.f.sharpV) this.out += '[]interface {}{';
        else this.out += '[';
        (v as unknown[]).forEach((e, i) => {
          if (i > 0) this.out += this.f.sharpV ? ', ' : ' ';
          this.printValue(e, verb, depth + 1);
        });
        this.out += this.f.sharpV ? '}' : ']';
        return;
      }
      case 'map': {
        this.out += this.f.sharpV ? `${typeName(v)}{` : 'map[';
        sortedKeys(v as object).forEach((k, i) => {
          if (i > 0) this.out += this.f.sharpV ? ', ' : ' ';
          this.printValue(k, verb, depth + 1);
          this.out += ':';
          this.printValue((v as Record<string, unknown>)[k], verb, depth + 1);
        });
        this.out += this.f.sharpV ? '}' : ']';
        return;
      }
      case 'struct': {
        if (this.f.sharpV) this.out += typeName(v);
        this.out += '{';
        structFields(v as object).forEach(([k, x], i) => {
          if (i > 0) this.out += this.f.sharpV ? ', ' : ' ';
          if (this.f.plusV || this.f.sharpV) this.out += `${k}:`;
          this.printValue(x, verb, depth + 1);
        });
        this.out += '}';
        return;
      }
      default:
        this.badVerb(verb, v);
    }
  }

  private integer(u: bigint, verb: string, arg: unknown): void {
    const digits = (base: number, upper: boolean): void => {
      const f = this.f;
      const negative = u < 0n;
      let abs = negative ? -u : u;
      let prec = 0;
      if (f.prec !== undefined) {
        prec = f.prec;
        if (prec === 0 && abs === 0n) {
          // Precision 0 and value 0: nothing but padding.
          const zero = f.zero;
          f.zero = false;
          this.padding(f.wid ?? 0);
          f.zero = zero;
          return;
        }
      } else if (f.zero && f.wid !== undefined) {
        prec = f.wid;
        if (negative || f.plus || f.space) prec--;
      }
      let s = abs.toString(base);
      if (upper) s = s.toUpperCase();
      if (s.length < prec) s = '0'.repeat(prec - s.length) + s;
      if (f.sharp) {
        if (base === 2) s = `0b${s}`;
        else if (base === 8 && s[0] !== '0') s = `0${s}`;
        else if (base === 16) s = `0${upper ? 'X' : 'x'}${s}`;
      }
      if (verb === 'O') s = `0o${s}`;
      if (negative) s = `-${s}`;
      else if (f.plus) s = `+${s}`;
      else if (f.space) s = ` ${s}`;
      abs = 0n;
      const zero = f.zero;
      f.zero = false;
      this.pad(s);
      f.zero = zero;
    };
    switch (verb) {
      case 'v': case 'd': digits(10, false); return;
      case 'b': digits(2, false); return;
      case 'o': case 'O': digits(8, false); return;
      case 'x': digits(16, false); return;
      case 'X': digits(16, true); return;
      case 'c': this.pad(runeOf(u)); return;
      case 'q': {
        const r = runeOf(u);
        if (this.f.sharp && isPrint(r)) this.pad(`'${r}'`);
        else this.pad(quoteRune(r, this.f.plus));
        return;
      }
      case 'U': {
        let hex = (u < 0n ? -u : u).toString(16).toUpperCase();
        const min = this.f.prec !== undefined && this.f.prec > 4 ? this.f.prec : 4;
        hex = hex.padStart(min, '0');
        let s = `U+${hex}`;
        const r = runeOf(u);
        if (this.f.sharp && u >= 0n && u <= 0x10ffffn && isPrint(r)) s += ` '${r}'`;
        const zero = this.f.zero;
        this.f.zero = false;
        this.pad(s);
        this.f.zero = zero;
        return;
      }
      default: this.badVerb(verb, arg);
    }
  }

  private float(v: number, verb: string, arg: unknown): void {
    let fmtVerb: string;
    let prec: number;
    switch (verb) {
      case 'v': fmtVerb = 'g'; prec = -1; break;
      case 'g': case 'G': case 'b': case 'x': case 'X': fmtVerb = verb; prec = -1; break;
      case 'f': case 'F': case 'e': case 'E': fmtVerb = verb; prec = 6; break;
      default: this.badVerb(verb, arg); return;
    }
    if (this.f.prec !== undefined) prec = this.f.prec;
    let s = formatFloat(v, fmtVerb, prec);
    s = s[0] === '-' || s[0] === '+' ? s : `+${s}`;
    if (this.f.space && s[0] === '+' && !this.f.plus) s = ` ${s.slice(1)}`;
    if (s[1] === 'I' || s[1] === 'N') {
      const zero = this.f.zero;
      this.f.zero = false;
      if (s[1] === 'N' && !this.f.space && !this.f.plus) s = s.slice(1);
      this.pad(s);
      this.f.zero = zero;
      return;
    }
    if (this.f.sharp && fmtVerb !== 'b') s = sharpFloat(s, fmtVerb, prec);
    if (this.f.plus || s[0] !== '+') {
      if (this.f.zero && this.f.wid !== undefined && this.f.wid > s.length) {
        this.out += s[0];
        this.padding(this.f.wid - s.length);
        this.out += s.slice(1);
        return;
      }
      this.pad(s);
      return;
    }
    this.pad(s.slice(1));
  }

  private string(s: string, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV) this.pad(goQuote(s));
        else this.pad(this.truncate(s));
        return;
      case 's': this.pad(this.truncate(s)); return;
      case 'q': {
        const t = this.truncate(s);
        if (this.f.sharp && !/[`\x00-\x08\x0a-\x1f\x7f\ufeff]/.test(t)) this.pad(`\`${t}\``);
        else this.pad(goQuote(t, this.f.plus));
        return;
      }
      case 'x': case 'X': this.hex(Buffer.from(s, 'utf8'), verb === 'X'); return;
      default: this.badVerb(verb, s);
    }
  }

  private hex(b: Buffer, upper: boolean): void {
    const f = this.f;
    const length = f.prec !== undefined && f.prec < b.length ? f.prec : b.length;
    let width = 2 * length;
    if (width > 0) {
      if (f.space) {
        if (f.sharp) width *= 2;
        width += length - 1;
      } else if (f.sharp) width += 2;
    } else {
      if (f.wid !== undefined) this.padding(f.wid);
      return;
    }
    if (f.wid !== undefined && f.wid > width && !f.minus) this.padding(f.wid - width);
    const x = upper ? '0X' : '0x';
    let s = f.sharp ? x : '';
    for (let i = 0; i < length; i++) {
      if (f.space && i > 0) s += f.sharp ? ` ${x}` : ' ';
      const h = b[i].toString(16).padStart(2, '0');
      s += upper ? h.toUpperCase() : h;
    }
    this.out += s;
    if (f.wid !== undefined && f.wid > width && f.minus) this.padding(f.wid - width);
  }
}

/** %#g, %#e, %#f: a decimal point always, and %g's trailing zeros kept to its precision. */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = verb === 'g' || verb === 'G' || verb === 'x' ? (prec === -1 ? 6 : prec) : 0;
  let tail = '';
  let body = num;
  let point = false;
  let nonzero = false;
  for (let i = 1; i < body.length; i++) {
    const c = body[i];
    if (c === '.') point = true;
    else if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    } else {
      if (c !== '0') nonzero = true;
      if (nonzero) digits--;
    }
  }
  if (!point) {
    if (body.length === 2 && body[1] === '0') digits--;
    body += '.';
  }
  if (digits > 0) body += '0'.repeat(digits);
  return body + tail;
}

function runeOf(u: bigint): string {
  return u < 0n || u > 0x10ffffn || (u >= 0xd800n && u <= 0xdfffn) ? '\ufffd' : String.fromCodePoint(Number(u));
}

/** strconv.QuoteRune: 'x' with Go's escapes. */
function quoteRune(r: string, asciiOnly: boolean): string {
  if (r === "'") return "'\\''";
  if (r === '"') return '\'"\'';
  return `'${goQuote(r, asciiOnly).slice(1, -1)}'`;
}

/** The shortest decimal digits that read back as v, and the exponent: 1234.5 -> ['12345', 3]. */
function shortestDigits(v: number): [string, number] {
  const [m, e] = v.toExponential().split('e');
  return [m.replace('.', ''), Number(e)];
}

/**
 * The exact decimal digits of a finite non-negative double: value = 0.DIGITS x 10^dp, no
 * leading or trailing zeros (['', 0] for zero). Go rounds from these, half to even.
 */
function exactDigits(v: number): [string, number] {
  if (v === 0) return ['', 0];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    // m / 2^k = m * 5^k / 10^k
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  const trimmed = digits.replace(/0+$/, '');
  return [trimmed, dp];
}

/** Digits rounded to nd of them, half to even (Go's decimal.Round); dp moves on a carry. */
function roundDigits(digits: string, dp: number, nd: number): [string, number] {
  if (nd < 0) return ['', dp];
  if (nd >= digits.length) return [digits, dp];
  const up = digits[nd] > '5' || (digits[nd] === '5' && (nd + 1 < digits.length || (nd > 0 && Number(digits[nd - 1]) % 2 === 1)));
  let head = digits.slice(0, nd);
  if (!up) return [head.replace(/0+$/, ''), dp];
  let i = head.length - 1;
  while (i >= 0 && head[i] === '9') i--;
  if (i < 0) return ['1', dp + 1];
  head = head.slice(0, i) + String(Number(head[i]) + 1);
  return [head, dp];
}

function expString(e: number, upper: boolean): string {
  const a = Math.abs(e);
  return `${upper ? 'E' : 'e'}${e < 0 ? '-' : '+'}${a < 10 ? `0${a}` : a}`;
}

/** %e from digits: d.ddd with prec digits after the point. */
function fmtE(digits: string, exp: number, prec: number, upper: boolean): string {
  let s = digits[0];
  if (prec > 0) s += `.${digits.slice(1, 1 + prec).padEnd(prec, '0')}`;
  if (digits === '0') exp = 0;
  return s + expString(exp, upper);
}

/** %f from digits with the decimal point after dp of them. */
function fmtF(digits: string, dp: number, prec: number): string {
  let s = dp > 0 ? digits.slice(0, dp).padEnd(dp, '0') : '0';
  if (prec > 0) {
    let frac = '';
    for (let i = 0; i < prec; i++) {
      const j = dp + i;
      frac += j < 0 || j >= digits.length ? '0' : digits[j];
    }
    s += `.${frac}`;
  }
  return s;
}

/** %x of a float: 0x1.8p+01, the mantissa in hex digits (prec of them, or as few as exact). */
function hexFloat(a: number, prec: number, upper: boolean): string {
  let mant = 0n;
  let exp = 0;
  if (a !== 0) {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, a);
    const hi = view.getUint32(0);
    const biased = (hi >>> 20) & 0x7ff;
    mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
    if (biased === 0) {
      // Subnormal: shift the leading 1 into place.
      exp = -1022;
      while (mant < 1n << 52n) {
        mant <<= 1n;
        exp--;
      }
      mant &= (1n << 52n) - 1n;
    } else {
      exp = biased - 1023;
    }
  }
  // 52 fraction bits are 13 hex digits.
  let frac = mant;
  let nd = 13;
  let lead = a === 0 ? 0n : 1n;
  if (prec >= 0 && prec < 13) {
    const shift = BigInt(4 * (13 - prec));
    const rem = frac & ((1n << shift) - 1n);
    frac >>= shift;
    const half = 1n << (shift - 1n);
    // Half to even, the last digit kept being the lead's when there are none after the point.
    const odd = prec === 0 ? (lead & 1n) === 1n : (frac & 1n) === 1n;
    if (rem > half || (rem === half && odd)) frac++;
    if (frac >> BigInt(4 * prec) > 0n) {
      frac &= (1n << BigInt(4 * prec)) - 1n;
      lead++;
      if (lead === 2n) {
        lead = 1n;
        frac >>= 1n;
        exp++;
      }
    }
    nd = prec;
  }
  let hex = nd > 0 ? frac.toString(16).padStart(nd, '0') : '';
  if (prec < 0) hex = hex.replace(/0+$/, '');
  else hex = hex.padEnd(prec, '0');
  const e = Math.abs(exp);
  let s = `0x${lead}${hex ? `.${hex}` : ''}p${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  if (upper) s = s.toUpperCase();
  return s;
}

/** strconv.FormatFloat(v, verb, prec, 64) for e, E, f, F, g, G (prec -1: shortest). */
export function formatFloat(v: number, verb: string, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const a = Math.abs(v);
  let digits: string;
  let dp: number;
  const shortest = prec < 0;
  if (verb === 'x' || verb === 'X') {
    digits = '';
    dp = 0;
  } else if (shortest) {
    if (a === 0) [digits, dp] = ['', 0];
    else {
      const [d, e] = shortestDigits(a);
      [digits, dp] = [d.replace(/0+$/, ''), e + 1];
    }
  } else {
    [digits, dp] = exactDigits(a);
    if (verb === 'e' || verb === 'E') [digits, dp] = roundDigits(digits, dp, prec + 1);
    else if (verb === 'f' || verb === 'F') [digits, dp] = roundDigits(digits, dp, dp + prec);
    else [digits, dp] = roundDigits(digits, dp, prec === 0 ? 1 : prec);
  }
  if (digits === '') {
    digits = '0';
    dp = 1;
  }
  switch (verb) {
    case 'x': case 'X':
      return sign + hexFloat(a, prec, verb === 'X');
    case 'e': case 'E':
      return sign + fmtE(digits, dp - 1, shortest ? digits.length - 1 : prec, verb === 'E');
    case 'f': case 'F':
      return sign + fmtF(digits, dp, shortest ? Math.max(digits.length - dp, 0) : prec);
    case 'g': case 'G': {
      let eprec = shortest ? digits.length : prec === 0 ? 1 : prec;
      let p = eprec;
      if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (p > digits.length) p = digits.length;
        return sign + fmtE(digits, exp, p - 1, verb === 'G');
      }
      if (p > dp) p = digits.length;
      return sign + fmtF(digits, dp, Math.max(p - dp, 0));
    }
    default:
      return sign + String(a);
  }
}

/** fmt.Sprint: operands printed with %v, a space between two when neither is a string. */
export function sprint(args: unknown[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) p.out += ' ';
    p.printArg(a, 'v');
    prevString = isString;
  });
  return p.out;
}

/** fmt.Sprintln: spaces between all operands, and a newline. */
export function sprintln(args: unknown[]): string {
  const p = new Printer();
  args.forEach((a, i) => {
    if (i > 0) p.out += ' ';
    p.printArg(a, 'v');
  });
  return `${p.out}\n`;
}

/** One value with %v: what a template prints for an action. */
export function printValue(v: unknown): string {
  const p = new Printer();
  p.printArg(v, 'v');
  return p.out;
}

const tooLarge = (n: number): boolean => n > 1e6 || n < -1e6;

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let reordered = false;
  let goodArgNum = true;
  let afterIndex = false;

  const parsenum = (i: number): [number | undefined, number] => {
    let n = 0;
    let any = false;
    let j = i;
    for (; j < end && format[j] >= '0' && format[j] <= '9'; j++) {
      if (tooLarge(n)) return [undefined, end];
      n = n * 10 + (format.charCodeAt(j) - 48);
      any = true;
    }
    return [any ? n : undefined, j];
  };
  /** An explicit argument index [n]: [argNum, i, found]. */
  const argNumber = (i: number): number => {
    afterIndex = false;
    if (i >= end || format[i] !== '[') return i;
    reordered = true;
    const close = format.indexOf(']', i + 1);
    if (format.length - i < 3 || close < 0) {
      goodArgNum = false;
      return i + 1;
    }
    const [n, j] = parsenum(i + 1);
    if (n === undefined || j !== close) {
      goodArgNum = false;
      return close + 1;
    }
    if (n - 1 >= 0 && n - 1 < args.length) {
      argNum = n - 1;
      afterIndex = true;
    } else {
      goodArgNum = false;
      afterIndex = true;
    }
    return close + 1;
  };
  const intFromArg = (): number | undefined => {
    if (argNum >= args.length) {
      argNum++;
      return undefined;
    }
    const a = args[argNum++];
    if (kindOf(a) !== 'int') return undefined;
    const n = Number(a);
    return tooLarge(n) ? undefined : n;
  };

  for (let i = 0; i < end;) {
    goodArgNum = true;
    const last = i;
    while (i < end && format[i] !== '%') i++;
    if (i > last) p.out += format.slice(last, i);
    if (i >= end) break;
    i++;
    p.f = clear();
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#': p.f.sharp = true; break;
        case '0': p.f.zero = !p.f.minus; break;
        case '+': p.f.plus = true; break;
        case '-': p.f.minus = true; p.f.zero = false; break;
        case ' ': p.f.space = true; break;
        default: break flags;
      }
    }
    i = argNumber(i);
    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg();
      if (w === undefined) p.out += '%!(BADWIDTH)';
      else if (w < 0) {
        p.f.wid = -w;
        p.f.minus = true;
        p.f.zero = false;
      } else p.f.wid = w;
      afterIndex = false;
    } else {
      const [w, j] = parsenum(i);
      i = j;
      p.f.wid = w;
      if (afterIndex && w !== undefined) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      i = argNumber(i);
      if (i < end && format[i] === '*') {
        i++;
        const pr = intFromArg();
        if (pr === undefined) p.out += '%!(BADPREC)';
        p.f.prec = pr === undefined || pr < 0 ? undefined : pr;
        afterIndex = false;
      } else {
        const [pr, j] = parsenum(i);
        i = j;
        p.f.prec = pr ?? 0;
      }
    }
    if (!afterIndex) i = argNumber(i);
    if (i >= end) {
      p.out += '%!(NOVERB)';
      break;
    }
    const cp = format.codePointAt(i)!;
    const verb = String.fromCodePoint(cp);
    i += verb.length;
    if (verb === '%') p.out += '%';
    else if (!goodArgNum) p.out += `%!${verb}(BADINDEX)`;
    else if (argNum >= args.length) p.out += `%!${verb}(MISSING)`;
    else {
      if (verb === 'v') {
        p.f.sharpV = p.f.sharp;
        p.f.sharp = false;
        p.f.plusV = p.f.plus;
        p.f.plus = false;
      }
      p.printArg(args[argNum++], verb);
    }
  }
  if (!reordered && argNum < args.length) {
    p.f = clear();
    p.out += '%!(EXTRA ';
    args.slice(argNum).forEach((a, k) => {
      if (k > 0) p.out += ', ';
      if (a === undefined || a === null) p.out += '<nil>';
      else {
        p.out += `${typeName(a)}=`;
        p.printArg(a, 'v');
      }
    });
    p.out += ')';
  }
  return p.out;
}
