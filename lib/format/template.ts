// The part of Go's text/template that `docker inspect -f` users reach for: field paths
// ({{.State.Pid}}), json, upper, lower, and literal text around them.
import { GockerError } from '../errors';

function lookup(root: unknown, pathExpr: string, col: number): unknown {
  if (pathExpr === '.') return root;
  let cur: unknown = root;
  for (const key of pathExpr.slice(1).split('.')) {
    if (cur === null || typeof cur !== 'object' || !(key in (cur as Record<string, unknown>))) {
      throw new GockerError(`template: :1:${col}: executing "" at <${pathExpr}>: map has no entry for key "${key}"`);
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  return String(v);
}

export function renderTemplate(tpl: string, data: unknown): string {
  return tpl.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, expr: string, offset: number) => {
    const parts = expr.split(/\s+/);
    const col = offset + 3;
    if (parts.length === 1 && parts[0].startsWith('.')) return show(lookup(data, parts[0], col));
    if (parts.length === 2 && parts[1].startsWith('.')) {
      const v = lookup(data, parts[1], col);
      switch (parts[0]) {
        case 'json': return JSON.stringify(v);
        case 'upper': return show(v).toUpperCase();
        case 'lower': return show(v).toLowerCase();
        default: break;
      }
      throw new GockerError(`template: :1: function "${parts[0]}" not defined`);
    }
    throw new GockerError(`template: :1:${col}: unsupported template expression: {{${expr}}}`);
  });
}
