// Go's strconv.Quote and unicode.IsPrint, which docker's messages and templates show names
// through (%q): apart from the template parser, so that the error classes can load them
// without it.

/** strconv.Quote: Go's escapes, printable characters kept as they are. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    switch (c) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
      default:
    }
    if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'; // a lone surrogate: Go sees invalid UTF-8
    else if (cp < 0x80 ? cp >= 0x20 && cp < 0x7f : !asciiOnly && isPrint(c)) out += c;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export const isPrint = (c: string): boolean => c === ' ' || PRINT.test(c);
