// docker's label filters (filters.Args.MatchKVList): shared by ps, container prune, images
// and the volume filters, so that each matches labels the same way.

/**
 * Whether every KEY or KEY=VALUE of list is among labels: the key one of the labels' own
 * (never a name the object inherits, as toString), and its value the one given, if one is.
 */
export function matchKVList(list: string[], labels: Record<string, string> | null | undefined): boolean {
  return list.every((entry) => {
    const i = entry.indexOf('=');
    const key = i < 0 ? entry : entry.slice(0, i);
    return !!labels && Object.prototype.hasOwnProperty.call(labels, key) && (i < 0 || labels[key] === entry.slice(i + 1));
  });
}
