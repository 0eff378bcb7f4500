// Go's text/template syntax: a lexer and a parser to a tree, with Go's rules and Go's error
// messages (`template: :1: unexpected "}" in operand`), which docker users see verbatim.
// lib/format/exec.ts runs the tree. Positions are offsets into the template's text; errors
// turn them into Go's line:byte-column form.
import { goQuote, isPrint } from './quote';
import { ParseIntError, parseInt64 } from '../strconv';

// Re-exported: the template's modules and the CLI take them from here.
export { goQuote, isPrint };

/** A parse error, worded as Go's text/template/parse words it. */
export class TemplateSyntaxError extends Error {}

type ItemType =
  | 'error' | 'bool' | 'char' | 'charConstant' | 'comment' | 'complex' | 'assign' | 'declare' | 'eof'
  | 'field' | 'identifier' | 'leftDelim' | 'leftParen' | 'number' | 'pipe' | 'rawString' | 'rightDelim'
  | 'rightParen' | 'space' | 'string' | 'text' | 'variable'
  // keywords
  | 'block' | 'break' | 'continue' | 'dot' | 'define' | 'else' | 'end' | 'if' | 'nil' | 'range' | 'template' | 'with';

interface Item { typ: ItemType; pos: number; val: string; line: number }

const KEYWORDS: Record<string, ItemType> = {
  '.': 'dot', block: 'block', break: 'break', continue: 'continue', define: 'define', else: 'else',
  end: 'end', if: 'if', nil: 'nil', range: 'range', template: 'template', with: 'with',
};
const isKeyword = (t: ItemType): boolean => Object.values(KEYWORDS).includes(t);

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const ALNUM = /^[\p{L}\p{Nd}_]$/u;
/** Go's letters, digits and '_'; ASCII without the Unicode regex (compiling it is a few ms of a `ps`). */
const isAlphaNumeric = (c: string | undefined): boolean => {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80) return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
  return ALNUM.test(c);
};

/** Go's %#U: U+007D '}'. */
export function goRuneName(c: string): string {
  const cp = c.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /\p{L}|\p{M}|\p{N}|\p{P}|\p{S}| /u.test(c) ? `U+${hex} '${c}'` : `U+${hex}`;
}

/** Go's %q of a string cut to n runes (the unexpected-token messages use %.10q). */
function quoteShort(s: string, n: number): string {
  return goQuote([...s].slice(0, n).join(''));
}

/** strconv.Unquote of a Go string literal ("..." or `...`) or character literal ('x'). */
export function goUnquote(lit: string): string {
  const q = lit[0];
  if (q === '`') {
    if (lit.length < 2 || lit[lit.length - 1] !== '`' || lit.slice(1, -1).includes('`')) throw new TemplateSyntaxError('invalid syntax');
    return lit.slice(1, -1).replace(/\r/g, '');
  }
  if ((q !== '"' && q !== "'") || lit.length < 2 || lit[lit.length - 1] !== q) throw new TemplateSyntaxError('invalid syntax');
  const body = lit.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length;) {
    const c = body[i];
    if (c === q || c === '\n') throw new TemplateSyntaxError('invalid syntax');
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      out += String.fromCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (e !== undefined && e in simple) {
      out += simple[e];
      i += 2;
    } else if (e === q) {
      out += q;
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new TemplateSyntaxError('invalid syntax');
      const v = parseInt(hex, 16);
      if (e === 'x') {
        // A byte: alone it is only valid UTF-8 below 0x80 (Go keeps raw bytes; JS strings cannot).
        out += v < 0x80 ? String.fromCharCode(v) : '\ufffd';
      } else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new TemplateSyntaxError('invalid syntax');
        out += String.fromCodePoint(v);
      }
      i += 2 + n;
    } else if (e !== undefined && e >= '0' && e <= '7') {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) throw new TemplateSyntaxError('invalid syntax');
      const v = parseInt(oct, 8);
      out += v < 0x80 ? String.fromCharCode(v) : '\ufffd';
      i += 4;
    } else {
      throw new TemplateSyntaxError('invalid syntax');
    }
  }
  if (q === "'" && [...out].length !== 1) throw new TemplateSyntaxError('invalid syntax');
  return out;
}

/** The lexer: the template's text as Go's items, ending in eof or the first error. */
function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  const emit = (typ: ItemType): void => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    for (let i = start; i < pos; i++) if (input[i] === '\n') line++;
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    for (let i = start; i < pos; i++) if (input[i] === '\n') line++;
    start = pos;
    startLine = line;
  };
  const fail = (msg: string): false => {
    items.push({ typ: 'error', pos: start, val: msg, line: startLine });
    return false;
  };
  const hasLeftTrim = (at: number): boolean => input[at] === '-' && isSpace(input[at + 1]);
  const hasRightTrim = (at: number): boolean => isSpace(input[at]) && input[at + 1] === '-';
  /** At a right delimiter, "}}" or " -}}"; the second says whether it trims. */
  const atRightDelim = (): [boolean, boolean] => {
    if (hasRightTrim(pos) && input.startsWith('}}', pos + 2)) return [true, true];
    return [input.startsWith('}}', pos), false];
  };
  const atTerminator = (): boolean => {
    const c = input[pos];
    return c === undefined || isSpace(c) || '.,|:)('.includes(c) || input.startsWith('}}', pos);
  };
  const skipLeadingSpace = (): void => {
    while (isSpace(input[pos])) pos++;
  };
  const accept = (valid: string): boolean => {
    if (pos < input.length && valid.includes(input[pos])) {
      pos++;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string): void => {
    while (pos < input.length && valid.includes(input[pos])) pos++;
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(input[pos])) {
      pos++;
      return false;
    }
    return true;
  };
  /** Inside an action until its right delimiter; false after an error. */
  const action = (): boolean => {
    for (;;) {
      const [delim, trim] = atRightDelim();
      if (delim) {
        if (parenDepth !== 0) return fail('unclosed left paren');
        if (trim) {
          pos += 2;
          ignore();
        }
        pos += 2;
        emit('rightDelim');
        if (trim) {
          skipLeadingSpace();
          ignore();
        }
        return true;
      }
      if (pos >= input.length) return fail('unclosed action');
      const c = input[pos];
      if (isSpace(c)) {
        let n = 0;
        while (isSpace(input[pos])) {
          pos++;
          n++;
        }
        // " -}}": the space belongs to the trim marker.
        if (hasRightTrim(pos - 1) && input.startsWith('}}', pos + 1)) {
          pos--;
          if (n === 1) continue;
        }
        emit('space');
        continue;
      }
      pos++;
      if (c === '=') emit('assign');
      else if (c === ':') {
        if (input[pos] !== '=') {
          if (pos < input.length) pos++;
          return fail('expected :=');
        }
        pos++;
        emit('declare');
      } else if (c === '|') emit('pipe');
      else if (c === '"' || c === "'") {
        for (;;) {
          const d = input[pos++];
          if (d === '\\' && pos < input.length && input[pos] !== '\n') {
            pos++;
            continue;
          }
          if (d === undefined || d === '\n' || d === '\\') return fail(c === '"' ? 'unterminated quoted string' : 'unterminated character constant');
          if (d === c) break;
        }
        emit(c === '"' ? 'string' : 'charConstant');
      } else if (c === '`') {
        const end = input.indexOf('`', pos);
        if (end < 0) {
          pos = input.length;
          return fail('unterminated raw quoted string');
        }
        pos = end + 1;
        emit('rawString');
      } else if (c === '$' || (c === '.' && !(input[pos] >= '0' && input[pos] <= '9'))) {
        if (atTerminator()) {
          emit(c === '$' ? 'variable' : 'dot');
          continue;
        }
        while (isAlphaNumeric(input[pos])) pos++;
        if (!atTerminator()) {
          const bad = String.fromCodePoint(input.codePointAt(pos)!);
          return fail(`bad character ${goRuneName(bad)}`);
        }
        emit(c === '$' ? 'variable' : 'field');
      } else if (c === '+' || c === '-' || c === '.' || (c >= '0' && c <= '9')) {
        pos--;
        if (!scanNumber()) return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
        if (input[pos] === '+' || input[pos] === '-') {
          if (!scanNumber() || input[pos - 1] !== 'i') return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
          emit('complex');
        } else {
          emit('number');
        }
      } else if (isAlphaNumeric(c) || (c >= '\ud800' && c <= '\udbff' && isAlphaNumeric(input.slice(pos - 1, pos + 1)))) {
        if (c >= '\ud800' && c <= '\udbff') pos++;
        for (;;) {
          const cp = input.codePointAt(pos);
          const ch = cp === undefined ? undefined : String.fromCodePoint(cp);
          if (!isAlphaNumeric(ch)) break;
          pos += ch!.length;
        }
        const word = input.slice(start, pos);
        if (!atTerminator()) return fail(`bad character ${goRuneName(String.fromCodePoint(input.codePointAt(pos)!))}`);
        if (word in KEYWORDS && word !== '.') emit(KEYWORDS[word]);
        else if (word === 'true' || word === 'false') emit('bool');
        else emit('identifier');
      } else if (c === '(') {
        emit('leftParen');
        parenDepth++;
      } else if (c === ')') {
        emit('rightParen');
        if (--parenDepth < 0) return fail('unexpected right paren');
      } else if (c.charCodeAt(0) < 0x80 && c >= ' ' && c !== '\x7f') {
        emit('char');
      } else {
        const cp = input.codePointAt(pos - 1)!;
        if (cp > 0xffff) pos++;
        return fail(`unrecognized character in action: ${goRuneName(String.fromCodePoint(cp))}`);
      }
    }
  };
  for (;;) {
    const x = input.indexOf('{{', pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit('text');
      emit('eof');
      return items;
    }
    if (x > start) {
      let trimmed = x;
      if (hasLeftTrim(x + 2)) while (trimmed > start && isSpace(input[trimmed - 1])) trimmed--;
      pos = trimmed;
      if (pos > start) emit('text');
      pos = x;
      ignore();
    }
    // The left delimiter, a trim marker, then a comment or an action.
    pos += 2;
    const trim = hasLeftTrim(pos);
    const after = trim ? 2 : 0;
    if (input.startsWith('/*', pos + after)) {
      pos += after;
      ignore();
      pos += 2;
      const end = input.indexOf('*/', pos);
      if (end < 0) {
        fail('unclosed comment');
        return items;
      }
      pos = end + 2;
      const [delim, trimRight] = atRightDelim();
      if (!delim) {
        fail('comment ends before closing delimiter');
        return items;
      }
      if (trimRight) pos += 2;
      pos += 2;
      if (trimRight) skipLeadingSpace();
      ignore();
      continue;
    }
    emit('leftDelim');
    pos += after;
    ignore();
    parenDepth = 0;
    if (!action()) return items;
  }
}

// The tree. Each node keeps its offset in the text, for Go's error positions.

export type Arg =
  | { type: 'field'; pos: number; ident: string[] }
  | { type: 'variable'; pos: number; ident: string[] }
  | { type: 'chain'; pos: number; node: Arg; field: string[] }
  | { type: 'identifier'; pos: number; ident: string }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; value: boolean }
  | NumberNode
  | { type: 'string'; pos: number; quoted: string; text: string }
  | PipeNode;

export interface NumberNode {
  type: 'number';
  pos: number;
  text: string;
  isInt: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int: bigint;
  float: number;
}

export interface CommandNode { type: 'command'; pos: number; args: Arg[] }
export interface PipeNode { type: 'pipe'; pos: number; line: number; isAssign: boolean; decl: Array<Extract<Arg, { type: 'variable' }>>; cmds: CommandNode[] }
export interface ListNode { type: 'list'; pos: number; nodes: Node[] }

export interface ControlNode { type: 'if' | 'with' | 'range'; pos: number; line: number; pipe: PipeNode; list: ListNode; elseList?: ListNode }
export interface TemplateNode { type: 'template'; pos: number; line: number; name: string; pipe?: PipeNode }

export type Node =
  | ListNode
  | { type: 'text'; pos: number; text: string }
  | { type: 'action'; pos: number; line: number; pipe: PipeNode }
  | ControlNode
  | TemplateNode
  | { type: 'break' | 'continue'; pos: number; line: number };

type AnyNode = Node | Arg | CommandNode;

/** A node as Go's String() prints it: what the "at <...>" of an execution error shows. */
export function nodeString(n: AnyNode): string {
  switch (n.type) {
    case 'field': return `.${n.ident.join('.')}`;
    case 'variable': return n.ident.join('.');
    case 'chain': return `${n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)}.${n.field.join('.')}`;
    case 'identifier': return n.ident;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(n.value);
    case 'number': return n.text;
    case 'string': return n.quoted;
    case 'command': return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'pipe': {
      const decl = n.decl.length ? `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'list': return n.nodes.map(nodeString).join('');
    case 'text': return n.text;
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'if': case 'with': case 'range':
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ''}{{end}}`;
    case 'template': return `{{template ${goQuote(n.name)}${n.pipe ? ` ${nodeString(n.pipe)}` : ''}}}`;
    case 'break': case 'continue': return `{{${n.type}}}`;
    default: return '';
  }
}

/** The templates of one text: the main one ('') and those it defines. */
export type TreeSet = Map<string, ListNode>;

interface Marker { type: 'end' | 'else'; pos: number; line: number }

/** Parses a template; `hasFunction` says which names are functions (Go checks them here). */
export function parseTemplate(text: string, hasFunction: (name: string) => boolean, name = ''): TreeSet {
  const items = lex(text);
  let i = 0;
  let token: Item = items[0];
  let vars: string[] = ['$'];
  let rangeDepth = 0;
  let actionLine = 0;
  const trees: TreeSet = new Map();

  const error = (msg: string): never => {
    throw new TemplateSyntaxError(`template: ${name}:${token.line}: ${msg}`);
  };
  const next = (): Item => (token = items[Math.min(i++, items.length - 1)]);
  const backup = (): void => {
    i--;
  };
  const peek = (): Item => items[Math.min(i, items.length - 1)];
  const nextNonSpace = (): Item => {
    let t = next();
    while (t.typ === 'space') t = next();
    return t;
  };
  const peekNonSpace = (): Item => {
    const t = nextNonSpace();
    backup();
    return t;
  };
  const itemString = (t: Item): string => {
    if (t.typ === 'eof') return 'EOF';
    if (t.typ === 'error') return t.val;
    if (isKeyword(t.typ)) return `<${t.val}>`;
    if ([...t.val].length > 10) return `${quoteShort(t.val, 10)}...`;
    return goQuote(t.val);
  };
  const unexpected = (t: Item, context: string): never => {
    if (t.typ === 'error') {
      const extra = actionLine !== 0 && actionLine !== t.line ? ` in action started at ${name}:${actionLine}` : '';
      return error(`${itemString(t)}${extra}`);
    }
    return error(`unexpected ${itemString(t)} in ${context}`);
  };
  const expect = (typ: ItemType, context: string): Item => {
    const t = nextNonSpace();
    if (t.typ !== typ) unexpected(t, context);
    return t;
  };

  const newNumber = (t: Item): NumberNode => {
    const n: NumberNode = { type: 'number', pos: t.pos, text: t.val, isInt: false, isFloat: false, isComplex: false, int: 0n, float: 0 };
    if (t.typ === 'charConstant') {
      let r: string;
      try {
        r = goUnquote(t.val);
      } catch {
        return error('malformed character constant: ' + t.val);
      }
      const cp = r.codePointAt(0)!;
      return { ...n, isInt: true, isFloat: true, int: BigInt(cp), float: cp };
    }
    if (t.typ === 'complex') return error(`complex numbers are not supported: ${goQuote(t.val)}`);
    const text = t.val;
    const asInt = parseGoInt(text);
    if (asInt !== undefined) return { ...n, isInt: true, isFloat: true, int: asInt, float: Number(asInt) };
    const f = parseGoFloat(text);
    if (f !== undefined) {
      if (!/[.eEpP]/.test(text)) return error(`integer overflow: ${goQuote(text)}`);
      const integral = Number.isInteger(f) && Math.abs(f) < 2 ** 63;
      return { ...n, isFloat: true, float: f, isInt: integral, int: integral ? BigInt(f) : 0n };
    }
    return error(`illegal number syntax: ${goQuote(text)}`);
  };

  const useVar = (t: Item): Arg => {
    if (!vars.includes(t.val)) error(`undefined variable ${goQuote(t.val)}`);
    return { type: 'variable', pos: t.pos, ident: [t.val] };
  };

  const term = (): Arg | undefined => {
    const t = nextNonSpace();
    switch (t.typ) {
      case 'identifier':
        if (!hasFunction(t.val)) error(`function ${goQuote(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, ident: t.val };
      case 'dot': return { type: 'dot', pos: t.pos };
      case 'nil': return { type: 'nil', pos: t.pos };
      case 'variable': return useVar(t);
      case 'field': return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool': return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant': case 'complex': case 'number': return newNumber(t);
      case 'leftParen': return pipeline('parenthesized pipeline', 'rightParen');
      case 'string': case 'rawString': {
        let s: string;
        try {
          s = goUnquote(t.val);
        } catch {
          return error('invalid syntax');
        }
        return { type: 'string', pos: t.pos, quoted: t.val, text: s };
      }
      default:
        backup();
        return undefined;
    }
  };

  const operand = (): Arg | undefined => {
    const node = term();
    if (!node) return undefined;
    if (peek().typ !== 'field') return node;
    const fields: string[] = [];
    const pos = peek().pos;
    while (peek().typ === 'field') fields.push(next().val.slice(1));
    switch (node.type) {
      // Go's field and variable nodes take the position of the chain: its second field.
      case 'field': return { type: 'field', pos, ident: [...node.ident, ...fields] };
      case 'variable': return { type: 'variable', pos, ident: [...node.ident, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        return error(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return { type: 'chain', pos, node, field: fields };
    }
  };

  const command = (): CommandNode => {
    const cmd: CommandNode = { type: 'command', pos: peekNonSpace().pos, args: [] };
    for (;;) {
      peekNonSpace();
      const o = operand();
      if (o) cmd.args.push(o);
      const t = next();
      if (t.typ === 'space') continue;
      if (t.typ === 'rightDelim' || t.typ === 'rightParen') backup();
      else if (t.typ !== 'pipe') unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) error('empty command');
    return cmd;
  };

  function pipeline(context: string, end: ItemType): PipeNode {
    const first = peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    const declare = (): void => {
      const v = peekNonSpace();
      if (v.typ !== 'variable') return;
      nextNonSpace();
      const at = i;
      const after = peekNonSpace();
      if (after.typ === 'assign' || after.typ === 'declare') {
        pipe.isAssign = after.typ === 'assign';
        nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        vars.push(v.val);
      } else if (after.typ === 'char' && after.val === ',') {
        nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const n = peekNonSpace().typ;
          if (n === 'variable' || n === 'rightDelim' || n === 'rightParen') return declare();
          error('range can only initialize variables');
        }
        error(`too many declarations in ${context}`);
      } else {
        // An operand after all: back to the variable.
        i = at - 1;
      }
    };
    declare();
    for (;;) {
      const t = nextNonSpace();
      if (t.typ === end) {
        if (pipe.cmds.length === 0) error(`missing value for ${context}`);
        pipe.cmds.slice(1).forEach((c, k) => {
          if (['bool', 'dot', 'nil', 'number', 'string'].includes(c.args[0].type)) error(`non executable command in pipeline stage ${k + 2}`);
        });
        return pipe;
      }
      if (['bool', 'charConstant', 'complex', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string', 'variable', 'leftParen'].includes(t.typ)) {
        backup();
        pipe.cmds.push(command());
      } else {
        unexpected(t, context);
      }
    }
  }

  const itemList = (): [ListNode, Marker] => {
    const list: ListNode = { type: 'list', pos: peekNonSpace().pos, nodes: [] };
    while (peekNonSpace().typ !== 'eof') {
      const n = textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n as Marker];
      list.nodes.push(n as Node);
    }
    return error('unexpected EOF');
  };

  const parseControl = (context: 'if' | 'with' | 'range'): Node => {
    const saved = vars.length;
    const pipe = pipeline(context, 'rightDelim');
    if (context === 'range') rangeDepth++;
    const [list, first] = itemList();
    let nextNode = first;
    if (context === 'range') rangeDepth--;
    let elseList: ListNode | undefined;
    if (nextNode.type === 'else') {
      // {{else if ...}} and {{else with ...}} are {{else}}{{if ...}}...{{end}}{{end}}.
      if ((context === 'if' && peek().typ === 'if') || (context === 'with' && peek().typ === 'with')) {
        next();
        elseList = { type: 'list', pos: nextNode.pos, nodes: [parseControl(context)] };
      } else {
        [elseList, nextNode] = itemList();
        if (nextNode.type !== 'end') error(`expected end; found {{${nextNode.type}}}`);
      }
    }
    vars = vars.slice(0, saved);
    return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
  };

  const templateName = (t: Item, context: string): string => {
    if (t.typ !== 'string' && t.typ !== 'rawString') unexpected(t, context);
    try {
      return goUnquote(t.val);
    } catch {
      return error('invalid syntax');
    }
  };

  const addTree = (name: string, root: ListNode): void => {
    const old = trees.get(name);
    if (old && !isEmptyTree(old)) {
      if (!isEmptyTree(root)) error(`template: multiple definition of template ${goQuote(name)}`);
      return;
    }
    trees.set(name, root);
  };

  const action = (): Node | Marker => {
    const t = nextNonSpace();
    switch (t.typ) {
      case 'block': {
        const context = 'block clause';
        const nameTok = nextNonSpace();
        const block = templateName(nameTok, context);
        const pipe = pipeline(context, 'rightDelim');
        const saved = vars;
        vars = ['$'];
        const [root, end] = itemList();
        if (end.type !== 'end') error(`unexpected {{${end.type}}} in ${context}`);
        vars = saved;
        addTree(block, root);
        return { type: 'template', pos: nameTok.pos, line: nameTok.line, name: block, pipe };
      }
      case 'break': case 'continue': {
        const n = nextNonSpace();
        if (n.typ !== 'rightDelim') unexpected(n, `{{${t.typ}}}`);
        if (rangeDepth === 0) error(`{{${t.typ}}} outside {{range}}`);
        return { type: t.typ, pos: t.pos, line: t.line };
      }
      case 'else': {
        const p = peekNonSpace();
        if (p.typ === 'if' || p.typ === 'with') return { type: 'else', pos: p.pos, line: p.line };
        const d = expect('rightDelim', 'else');
        return { type: 'else', pos: d.pos, line: d.line };
      }
      case 'end': return { type: 'end', pos: expect('rightDelim', 'end').pos, line: t.line };
      case 'if': return parseControl('if');
      case 'range': return parseControl('range');
      case 'with': return parseControl('with');
      case 'template': {
        const context = 'template clause';
        const nameTok = nextNonSpace();
        const called = templateName(nameTok, context);
        let pipe: PipeNode | undefined;
        if (nextNonSpace().typ !== 'rightDelim') {
          backup();
          pipe = pipeline(context, 'rightDelim');
        }
        return { type: 'template', pos: nameTok.pos, line: nameTok.line, name: called, pipe };
      }
      default: {
        backup();
        const p = peek();
        return { type: 'action', pos: p.pos, line: p.line, pipe: pipeline('command', 'rightDelim') };
      }
    }
  };

  function textOrAction(): Node | Marker {
    const t = nextNonSpace();
    switch (t.typ) {
      case 'text': return { type: 'text', pos: t.pos, text: t.val };
      case 'leftDelim': {
        actionLine = t.line;
        try {
          return action();
        } finally {
          actionLine = 0;
        }
      }
      default: return unexpected(t, 'input');
    }
  }

  const root: ListNode = { type: 'list', pos: peek().pos, nodes: [] };
  while (peek().typ !== 'eof') {
    if (peek().typ === 'leftDelim') {
      const at = i;
      next();
      if (nextNonSpace().typ === 'define') {
        const context = 'define clause';
        const nameTok = nextNonSpace();
        if (nameTok.typ !== 'string' && nameTok.typ !== 'rawString') unexpected(nameTok, context);
        const defined = templateName(nameTok, context);
        expect('rightDelim', context);
        const saved = vars;
        vars = ['$'];
        const [body, end] = itemList();
        if (end.type !== 'end') error(`unexpected {{${end.type}}} in ${context}`);
        vars = saved;
        addTree(defined, body);
        continue;
      }
      i = at;
    }
    const n = textOrAction();
    if (n.type === 'end' || n.type === 'else') error(`unexpected {{${n.type}}}`);
    root.nodes.push(n as Node);
  }
  addTree(name, root);
  return trees;
}

/** A tree with nothing but space: a definition that may be replaced. */
function isEmptyTree(n: ListNode): boolean {
  return n.nodes.every((x) => x.type === 'text' && x.text.trim() === '');
}

/** Go's strconv.ParseInt(text, 0, 64), as text/template reads a number; undefined if not an int64. */
function parseGoInt(text: string): bigint | undefined {
  try {
    return parseInt64(text);
  } catch (e) {
    if (e instanceof ParseIntError) return undefined;
    throw e;
  }
}

/** Go allows '_' only between digits, or after a base prefix. */
function underscoresOk(s: string): boolean {
  if (!s.includes('_')) return true;
  const body = /^0[xXoObB]/.test(s) ? `0${s.slice(2)}` : s;
  return !/(^_|__|_$)/.test(body.replace(/^0(?=_)/, '0')) && !/[^0-9a-fA-F]_|_[^0-9a-fA-F]/.test(body);
}

function parseGoFloat(text: string): number | undefined {
  if (!underscoresOk(text.replace(/^[+-]/, ''))) return undefined;
  const t = text.replace(/_/g, '');
  if (/^[+-]?0[xX]/.test(t)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(t);
    if (!m || (m[2] === '' && !m[3])) return undefined;
    const mant = parseInt(m[2] || '0', 16) + (m[3] ? parseInt(m[3], 16) / 16 ** m[3].length : 0);
    return (m[1] === '-' ? -1 : 1) * mant * 2 ** Number(m[4]);
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const f = Number(t);
  return Number.isFinite(f) ? f : undefined;
}
