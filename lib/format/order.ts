/**
 * Strings in code-unit order, as Go's sort and fmt order them (byte order, for all but
 * astral characters). Not localeCompare: that orders by the locale's rules (case folded,
 * so "/a" before "/Makefile"), and its first call loads ICU's collator, 8 ms of a `ps -a`.
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
