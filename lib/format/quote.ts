// Go's strconv.Quote and unicode.IsPrint, which docker's messages and templates show names
// through (%q): apart from the template parser, so that the error classes can load them
// without it.

/** strconv.Quote: Go's escapes, printable characters kept as they are. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const c of s) {
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else out += escapeRune(c, asciiOnly);
  }
  return `${out}"`;
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** One character as strconv.Quote writes it, quotes and backslashes aside. */
function escapeRune(c: string, asciiOnly = false): string {
  const cp = c.codePointAt(0)!;
  const named = GO_ESCAPES[c];
  if (named !== undefined) return named;
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd'; // a lone surrogate: Go sees invalid UTF-8
  if (cp < 0x80 ? cp >= 0x20 && cp < 0x7f : !asciiOnly && isPrint(c)) return c;
  if (cp < 0x80) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** Anything escapeNonPrint may change: ASCII controls but newline and tab, or any non-ASCII. */
const MAYBE_NON_PRINT = /[\x00-\x08\x0b-\x1f\x7f]|[^\x00-\x7f]/;

/**
 * s with what is not printable written as strconv.Quote writes it (\x1b, \u202e, ...), its
 * newlines and tabs kept: a message that echoes a name it was given (docker echoes most of
 * them as they are, %s) sends no escape sequence or other control character to a terminal.
 */
export function escapeNonPrint(s: string): string {
  if (!MAYBE_NON_PRINT.test(s)) return s;
  let out = '';
  for (const c of s) out += c === '\n' || c === '\t' ? c : escapeRune(c);
  return out;
}

const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export const isPrint = (c: string): boolean => c === ' ' || PRINT.test(c);
