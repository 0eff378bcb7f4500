// Go's strconv.ParseInt(s, 0, 64), as docker's CLI reads an int64 flag through pflag
// (--pids-limit, --cpu-shares): a sign, a base prefix (0x, 0o, 0b, or a leading 0 for octal),
// underscores between digits; anything else a syntax error, beyond int64 a range error, each
// in strconv's words.

/** The NumError's text, as Go prints it: strconv.ParseInt: parsing "s": invalid syntax. */
export class ParseIntError extends Error {
  constructor(readonly text: string, readonly why: 'invalid syntax' | 'value out of range') {
    super(`strconv.ParseInt: parsing ${JSON.stringify(text)}: ${why}`);
  }
}

const MAX_UINT64 = 2n ** 64n - 1n;

/** s as Go's strconv.ParseInt(s, 0, 64) reads it, or ParseIntError. */
export function parseInt64(s: string): bigint {
  const syntax = (): ParseIntError => new ParseIntError(s, 'invalid syntax');
  let body = s;
  const negative = body.startsWith('-');
  if (negative || body.startsWith('+')) body = body.slice(1);
  if (body === '') throw syntax();
  let base = 10n;
  if (body[0] === '0') {
    const p = body.length >= 3 ? body[1].toLowerCase() : '';
    base = p === 'x' ? 16n : p === 'b' ? 2n : 8n;
    body = body.slice(p === 'x' || p === 'b' || p === 'o' ? 2 : 1);
  }
  // Digit by digit, as ParseUint: the first bad digit is a syntax error, an overflow before
  // it a range error.
  let n = 0n;
  let underscores = false;
  for (const c of body.toLowerCase()) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const d = c >= '0' && c <= '9' ? BigInt(c.charCodeAt(0) - 48) : c >= 'a' && c <= 'z' ? BigInt(c.charCodeAt(0) - 87) : base;
    if (d >= base) throw syntax();
    n = n * base + d;
    if (n > MAX_UINT64) throw new ParseIntError(s, 'value out of range');
  }
  if (underscores && !underscoresOk(s)) throw syntax();
  if (negative ? n > 2n ** 63n : n >= 2n ** 63n) throw new ParseIntError(s, 'value out of range');
  return negative ? -n : n;
}

/** Go's underscoreOK: an underscore only between digits, or between a base prefix and a digit. */
function underscoresOk(s: string): boolean {
  let body = s.replace(/^[+-]/, '');
  // The prefix counts as a digit for this.
  let saw = '^';
  const hex = /^0[xX]/.test(body);
  if (/^0[bBoOxX]/.test(body)) {
    body = body.slice(2);
    saw = '0';
  }
  for (const c of body) {
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}
