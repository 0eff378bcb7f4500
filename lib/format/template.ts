// The part of Go's text/template that `docker inspect -f` users reach for: field paths
// ({{.State.Pid}}), the functions json, index, len, join, upper, lower, pipelines
// ({{.Config.Env | json}}), parenthesised calls, and literal text around them. No range/if.
import { GockerError } from '../errors';
import { byCodeUnit } from './order';

type Token = { kind: 'field' | 'chain' | 'ident' | 'string' | 'number' | '(' | ')' | '|'; text: string };

function tokenize(expr: string, col: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '|') {
      out.push({ kind: c, text: c });
      i++;
      // (index .Mounts 0).Destination: fields of a parenthesised value.
      const chain = c === ')' ? /^(\.[A-Za-z_]\w*)+/.exec(expr.slice(i)) : null;
      if (chain) {
        out.push({ kind: 'chain', text: chain[0] });
        i += chain[0].length;
      }
    } else if (c === '"') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== '"') j += expr[j] === '\\' ? 2 : 1;
      if (j >= expr.length) throw new GockerError(`template: :1:${col}: unterminated quoted string`);
      out.push({ kind: 'string', text: JSON.parse(expr.slice(i, j + 1)) as string });
      i = j + 1;
    } else if (c === '`') {
      const j = expr.indexOf('`', i + 1);
      if (j < 0) throw new GockerError(`template: :1:${col}: unterminated raw quoted string`);
      out.push({ kind: 'string', text: expr.slice(i + 1, j) });
      i = j + 1;
    } else {
      const m = /^[^\s()|]+/.exec(expr.slice(i))![0];
      if (m.startsWith('.')) out.push({ kind: 'field', text: m });
      else if (/^-?\d+$/.test(m)) out.push({ kind: 'number', text: m });
      else if (/^[A-Za-z_]\w*$/.test(m)) out.push({ kind: 'ident', text: m });
      else throw new GockerError(`template: :1:${col}: unexpected "${m}" in operand`);
      i += m.length;
    }
  }
  return out;
}

function lookup(root: unknown, pathExpr: string, col: number, shown: string): unknown {
  if (pathExpr === '.') return root;
  let cur: unknown = root;
  for (const key of pathExpr.slice(1).split('.')) {
    if (cur === null || typeof cur !== 'object' || !(key in (cur as Record<string, unknown>))) {
      throw new GockerError(`template: :1:${col}: executing "" at <${shown}>: map has no entry for key "${key}"`);
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.entries(v as Record<string, unknown>).sort(([a], [b]) => byCodeUnit(a, b)).map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  return String(v);
}

type Fn = (args: unknown[], fail: (msg: string) => never) => unknown;

const FUNCTIONS: Record<string, Fn> = {
  json: (a) => JSON.stringify(a[0] ?? null),
  upper: (a) => show(a[0]).toUpperCase(),
  lower: (a) => show(a[0]).toLowerCase(),
  len: (a, fail) => {
    const v = a[0];
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (v && typeof v === 'object') return Object.keys(v).length;
    return fail(`len of type ${v === null ? 'nil' : typeof v}`);
  },
  index: (a, fail) => {
    let cur = a[0];
    for (const k of a.slice(1)) {
      if (Array.isArray(cur) || typeof cur === 'string') {
        if (typeof k !== 'number') return fail(`cannot index slice/array with type ${typeof k}`);
        if (k < 0 || k >= cur.length) return fail(`index out of range: ${k}`);
        cur = cur[k];
      } else if (cur && typeof cur === 'object') {
        cur = (cur as Record<string, unknown>)[String(k)];
      } else {
        return fail(`can't index item of type ${cur === null ? 'nil' : typeof cur}`);
      }
    }
    return cur;
  },
  join: (a, fail) => (Array.isArray(a[0]) ? a[0].map(show).join(String(a[1] ?? '')) : fail('join: not a list')),
};

/** Evaluates one {{...}} action: a pipeline of commands, each a function call or an operand. */
function evaluate(expr: string, data: unknown, col: number): unknown {
  const tokens = tokenize(expr, col);
  let pos = 0;
  const operand = (): unknown => {
    const t = tokens[pos++];
    if (!t) throw new GockerError(`template: :1:${col}: missing value for command`);
    switch (t.kind) {
      case 'field': return lookup(data, t.text, col, t.text);
      case 'string': return t.text;
      case 'number': return Number(t.text);
      case '(': {
        const v = pipeline();
        if (tokens[pos++]?.kind !== ')') throw new GockerError(`template: :1:${col}: unclosed left paren`);
        if (tokens[pos]?.kind === 'chain') return lookup(v, tokens[pos].text, col, tokens[pos++].text);
        return v;
      }
      case 'ident': return call(t.text, []);
      default: throw new GockerError(`template: :1:${col}: unexpected "${t.text}" in operand`);
    }
  };
  const call = (name: string, args: unknown[]): unknown => {
    const fn = FUNCTIONS[name];
    if (!fn) throw new GockerError(`template: :1: function "${name}" not defined`);
    return fn(args, (msg) => {
      throw new GockerError(`template: :1:${col}: executing "" at <${expr}>: error calling ${name}: ${msg}`);
    });
  };
  const command = (piped: unknown[]): unknown => {
    const head = tokens[pos];
    if (head?.kind === 'ident') {
      pos++;
      if (!FUNCTIONS[head.text]) throw new GockerError(`template: :1: function "${head.text}" not defined`);
      const args: unknown[] = [];
      while (pos < tokens.length && tokens[pos].kind !== '|' && tokens[pos].kind !== ')') args.push(operand());
      return call(head.text, [...args, ...piped]);
    }
    const v = operand();
    if (piped.length) throw new GockerError(`template: :1:${col}: can't give argument to non-function ${expr}`);
    if (pos < tokens.length && tokens[pos].kind !== '|' && tokens[pos].kind !== ')') {
      throw new GockerError(`template: :1:${col}: can't give argument to non-function ${tokens[pos - 1].text}`);
    }
    return v;
  };
  const pipeline = (): unknown => {
    let v = command([]);
    while (tokens[pos]?.kind === '|') {
      pos++;
      v = command([v]);
    }
    return v;
  };
  if (!tokens.length) throw new GockerError(`template: :1:${col}: missing value for command`);
  const v = pipeline();
  if (pos < tokens.length) throw new GockerError(`template: :1:${col}: unexpected "${tokens[pos].text}" in command`);
  return v;
}

export function renderTemplate(tpl: string, data: unknown): string {
  return tpl.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, expr: string, offset: number) => show(evaluate(expr, data, offset + 3)));
}
