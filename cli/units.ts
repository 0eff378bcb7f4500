// Sizes as docker prints them, apart from cli/util.ts: run's bundle (cli/fast.ts) shows a
// pull's progress too, and util.ts's engine() would bring the whole engine into it.

/** Bytes as docker prints them: 1.23MB (decimal units), `precision` significant digits (prune's 4). */
export function humanSize(bytes: number, precision = 3): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 999.5 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  // 3 significant digits, trailing zeros after the point dropped: 1.5MB, 170MB, 2.14GB.
  return i === 0 ? `${v}B` : `${v.toPrecision(precision).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')}${units[i]}`;
}
