// Go's text/template execution over the tree lib/format/parse.ts makes: pipelines,
// variables, if/with/range (else, else if, break, continue), define/template/block, field
// and method access, function calls with Go's argument checks, and Go's execution errors
// (`template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"`).
import { printValue as fmtValue } from './fmt';
import { BUILTINS, CallError, type ArgType, type FuncDef } from './funcs';
import { goQuote, nodeString, parseTemplate, type Arg, type CommandNode, type ControlNode, type ListNode, type Node, type NumberNode, type PipeNode, type TemplateNode, type TreeSet } from './parse';
import { GoFloat, goTypeOf, kindOf, sortedKeys, truth, typeName, type Method } from './values';

/** An execution error; `output` is what the template wrote before it. */
export class TemplateExecError extends Error {
  output = '';
}

/** What a missing map key gives: Go's missingkey option (default: no value). */
export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecOptions {
  missingKey?: MissingKey;
  /** functions in place of the template's own, as docker's table headers use */
  funcs?: Record<string, FuncDef>;
}

/** No value from an earlier command of the pipeline. */
const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

/** Go's limit on nested {{template}} calls. */
const MAX_DEPTH = 100000;

type AnyNode = Node | Arg | CommandNode;

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** A parsed template, ready to run on data any number of times. */
export class Template {
  readonly trees: TreeSet;

  /** Parses `text`; a syntax error throws TemplateSyntaxError with Go's message. */
  constructor(readonly text: string, readonly funcs: Record<string, FuncDef> = {}, readonly name = '') {
    this.trees = parseTemplate(text, (n) => own(funcs, n) || own(BUILTINS, n), name);
  }

  /** Runs the template on data: its output, or a TemplateExecError. */
  execute(data: unknown, opts: ExecOptions = {}): string {
    const shared: Shared = { out: '', last: undefined };
    const tree = this.trees.get(this.name);
    const dot = data === null ? undefined : data;
    const state = new State(this, this.name, opts.funcs ?? this.funcs, opts.missingKey ?? 'default', shared, 0);
    try {
      if (!tree) state.errorf(`${goQuote(this.name)} is an incomplete or empty template`);
      state.vars.push({ name: '$', value: dot });
      state.walk(dot, tree!);
    } catch (e) {
      let err = e;
      if (e instanceof RangeError && shared.last) {
        // JavaScript's stack ends before Go's depth limit does: the same error.
        try {
          shared.last.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
        } catch (x) {
          err = x;
        }
      }
      if (err instanceof TemplateExecError) err.output = shared.out;
      throw err;
    }
    return shared.out;
  }
}

interface Shared {
  out: string;
  /** the state that last moved to a node: where a stack overflow is reported */
  last: State | undefined;
}

/** Line and byte column of an offset, as Go's ErrorContext counts them. */
function location(text: string, pos: number): [number, number] {
  const before = text.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  const line = 1 + (before.match(/\n/g)?.length ?? 0);
  return [line, Buffer.byteLength(before.slice(nl + 1))];
}

const goArgType = (t: ArgType): string => (t === 'any' ? 'interface {}' : t === 'value' ? 'reflect.Value' : t);

class State {
  vars: Array<{ name: string; value: unknown }> = [];
  node: AnyNode | undefined;

  constructor(
    readonly tmpl: Template,
    readonly name: string,
    readonly funcs: Record<string, FuncDef>,
    readonly missingKey: MissingKey,
    readonly shared: Shared,
    readonly depth: number,
  ) {}

  at(n: AnyNode): void {
    this.node = n;
    this.shared.last = this;
  }

  errorf(msg: string): never {
    if (!this.node) throw new TemplateExecError(`template: ${this.name}: ${msg}`);
    const [line, col] = location(this.tmpl.text, this.node.pos);
    throw new TemplateExecError(`template: ${this.tmpl.name}:${line}:${col}: executing ${goQuote(this.name)} at <${nodeString(this.node)}>: ${msg}`);
  }

  // Variables: a stack; a control structure pops what it pushed.

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        // Variables an action declares persist to the end of the enclosing control; a
        // declaration prints nothing.
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.print(node, v);
        return;
      }
      case 'break': throw BREAK;
      case 'continue': throw CONTINUE;
      case 'if': case 'with': this.walkIfOrWith(node.type, dot, node.pipe, node.list, node.elseList); return;
      case 'list': for (const n of node.nodes) this.walk(dot, n); return;
      case 'range': this.walkRange(dot, node); return;
      case 'template': this.walkTemplate(dot, node); return;
      case 'text': this.shared.out += node.text; return;
      default: this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private print(node: AnyNode, v: unknown): void {
    this.at(node);
    if (typeof v === 'string') this.shared.out += v;
    else if (v === undefined) this.shared.out += '<no value>';
    else if (typeof v === 'function') this.errorf(`can't print ${nodeString(node)} of type ${typeName(v)}`);
    else this.shared.out += fmtValue(v);
  }

  private walkIfOrWith(type: 'if' | 'with', dot: unknown, pipe: PipeNode, list: ListNode, elseList?: ListNode): void {
    const mark = this.vars.length;
    try {
      const v = this.evalPipeline(dot, pipe);
      if (truth(v)) this.walk(type === 'with' ? v : dot, list);
      else if (elseList) this.walk(dot, elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, r: ControlNode): void {
    this.at(r);
    const outer = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const one = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0].ident[0], decl.length > 1 ? index : elem);
          else this.vars[this.vars.length - 1].value = elem;
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1].ident[0], elem);
          else this.vars[this.vars.length - 2].value = index;
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = mark;
        }
      };
      try {
        switch (kindOf(val)) {
          case 'slice': {
            const a = val as unknown[];
            if (a.length === 0) break;
            for (let i = 0; i < a.length; i++) one(i, a[i] ?? null);
            return;
          }
          case 'int': {
            if (decl.length > 1) this.errorf(`can't use ${fmtValue(val)} to iterate over more than one variable`);
            const n = Number(val);
            if (n <= 0) break;
            for (let i = 0; i < n; i++) one(i, i);
            return;
          }
          case 'map': {
            const m = val as Record<string, unknown>;
            const keys = sortedKeys(m).filter((k) => m[k] !== undefined && typeof m[k] !== 'function');
            if (keys.length === 0) break;
            for (const k of keys) one(k, m[k]);
            return;
          }
          case 'invalid': case 'nil':
            break;
          default:
            this.errorf(`range can't iterate over ${fmtValue(val)}`);
        }
      } catch (e) {
        if (e === BREAK) return;
        throw e;
      }
      if (r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.vars.length = outer;
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const tree = this.tmpl.trees.get(t.name);
    if (!tree) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    // The pipeline's variables persist here; the called template sees none of them.
    const d = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const sub = new State(this.tmpl, t.name, this.funcs, this.missingKey, this.shared, this.depth + 1);
    sub.vars.push({ name: '$', value: d });
    sub.walk(d, tree!);
  }

  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A nil from a map is an empty interface: Go digs into it and finds no value.
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0], value);
      else this.vars.push({ name: v.ident[0], value });
    }
    return value;
  }

  private notAFunction(args: Arg[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field': return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain': return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier': return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        // A parenthesized pipeline takes no arguments.
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable': return this.evalVariableNode(dot, first, cmd.args, final);
      default:
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': return this.errorf('nil is not a command');
      case 'number': return this.idealConstant(first);
      case 'string': return first.text;
      default: return this.errorf(`can't evaluate command ${goQuote(nodeString(first))}`);
    }
  }

  /** A number where any type will do: an int, or a float64 if it is written as one. */
  private idealConstant(n: NumberNode): unknown {
    this.at(n);
    const hexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    if (n.isFloat && !hexInt && !n.text.startsWith("'") && /[.eEpP]/.test(n.text)) return Number.isInteger(n.float) ? new GoFloat(n.float) : n.float;
    if (n.isInt) return Number.isSafeInteger(Number(n.int)) ? Number(n.int) : n.int;
    return this.errorf(`${n.text} overflows int`);
  }

  private evalFieldNode(dot: unknown, field: Extract<Arg, { type: 'field' }>, args: Arg[], final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: Extract<Arg, { type: 'chain' }>, args: Arg[], final: Final): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const v = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, v, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: Extract<Arg, { type: 'variable' }>, args: Arg[], final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: AnyNode, ident: string[], args: Arg[], final: Final): unknown {
    let r = receiver;
    let fromMap = false;
    for (let i = 0; i < ident.length - 1; i++) [r, fromMap] = this.evalField(dot, ident[i], node, [], MISSING, r, fromMap);
    // Only the last of the chain gets the arguments, if it is a method.
    return this.evalField(dot, ident[ident.length - 1], node, args, final, r, fromMap)[0];
  }

  /** One field of a struct, key of a map or method call; and whether the value came out of a map. */
  private evalField(dot: unknown, name: string, node: AnyNode, args: Arg[], final: Final, receiver: unknown, fromMap: boolean): [unknown, boolean] {
    if (receiver === undefined) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${goQuote(name)}`);
      return [undefined, false];
    }
    // A value out of a map[string]interface{} is, to Go, of type interface {}.
    const typ = fromMap ? 'interface {}' : typeName(receiver);
    if (receiver === null) this.errorf(`nil pointer evaluating ${typ}.${name}`);
    const kind = kindOf(receiver);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (kind === 'struct' || kind === 'map') {
      const obj = receiver as Record<string, unknown>;
      const t = goTypeOf(obj);
      let key: string | undefined = name;
      if (kind === 'struct' && t?.fields) {
        if (own(t.fields, name)) key = t.fields[name];
        else if (Object.values(t.fields).includes(name)) key = undefined;
      }
      // Read once: a context's field can be a getter that does the work (ps's .Size walks the
      // container's writable layer), and each read of it would do it again.
      const v = key !== undefined && own(obj, key) ? obj[key] : undefined;
      const has = v !== undefined;
      if (typeof v === 'function') return [this.evalCall(dot, methodDef(v as Method), false, node, name, args, final), false];
      if (kind === 'struct') {
        if (!has) this.errorf(`can't evaluate field ${name} in type ${typ}`);
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return [v, false];
      }
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      if (has) return [v, true];
      if (this.missingKey === 'error') this.errorf(`map has no entry for key ${goQuote(name)}`);
      if (this.missingKey === 'zero') return [t && 'zero' in t ? t.zero : null, true];
      return [undefined, true];
    }
    return this.errorf(`can't evaluate field ${name} in type ${typ}`);
  }

  private evalFunction(dot: unknown, node: Extract<Arg, { type: 'identifier' }>, cmd: AnyNode, args: Arg[], final: Final): unknown {
    this.at(node);
    const name = node.ident;
    if (own(this.funcs, name)) return this.evalCall(dot, this.funcs[name], false, cmd, name, args, final);
    if (own(BUILTINS, name)) return this.evalCall(dot, BUILTINS[name], true, cmd, name, args, final);
    return this.errorf(`${goQuote(name)} is not a defined function`);
  }

  /** Calls fn with the command's arguments (args[0] is the function's own node) and the piped value. */
  private evalCall(dot: unknown, fn: FuncDef, isBuiltin: boolean, node: AnyNode, name: string, args: Arg[], final: Final): unknown {
    const rest = args.slice(1);
    const numIn = rest.length + (final !== MISSING ? 1 : 0);
    let numFixed = rest.length;
    if (fn.variadic) {
      numFixed = fn.in.length;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${fn.in.length} got ${rest.length}`);
    } else if (numIn !== fn.in.length) {
      this.errorf(`wrong number of args for ${name}: want ${fn.in.length} got ${numIn}`);
    }
    if (isBuiltin && (name === 'and' || name === 'or')) {
      // They stop at the first argument that decides, unevaluated the rest.
      let v: unknown;
      for (const a of rest) {
        v = this.evalArg(dot, 'value', a);
        if (truth(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv: unknown[] = [];
    if (isBuiltin && name === 'call') argv.push(rest[0] ? nodeString(rest[0]) : '');
    let i = 0;
    for (; i < numFixed && i < rest.length; i++) argv.push(this.evalArg(dot, fn.in[i], rest[i]));
    if (fn.variadic) for (; i < rest.length; i++) argv.push(this.evalArg(dot, fn.variadic, rest[i]));
    if (final !== MISSING) {
      const t = fn.variadic ? (numIn - 1 < numFixed ? fn.in[numIn - 1] : fn.variadic) : fn.in[fn.in.length - 1];
      argv.push(this.validateType(final, t));
    }
    try {
      return (fn.fn as (...a: unknown[]) => unknown)(...argv);
    } catch (e) {
      if (e instanceof TemplateExecError || e === BREAK || e === CONTINUE || e instanceof RangeError) throw e;
      this.at(node);
      return this.errorf(`error calling ${name}: ${e instanceof CallError || e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** An argument of a function of Go type typ (undefined: any value, unchecked). */
  private evalArg(dot: unknown, typ: ArgType | undefined, n: Arg): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot': return this.validateType(dot, typ);
      case 'nil':
        if (typ === undefined || typ === 'any' || typ === 'value') return null;
        return this.errorf(`cannot assign nil to ${goArgType(typ)}`);
      case 'field': return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable': return this.validateType(this.evalVariableNode(dot, n, [], MISSING), typ);
      case 'pipe': return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier': return this.validateType(this.evalFunction(dot, n, n, [], MISSING), typ);
      case 'chain': return this.validateType(this.evalChainNode(dot, n, [], MISSING), typ);
      default:
    }
    switch (typ) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'int':
        if (n.type === 'number' && n.isInt) return Number(n.int);
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'string':
        if (n.type === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      default:
        // An empty interface (or reflect.Value): the constant as it is.
        this.at(n);
        switch (n.type) {
          case 'bool': return n.value;
          case 'number': return this.idealConstant(n);
          case 'string': return n.text;
          default: return this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
        }
    }
  }

  private validateType(v: unknown, typ: ArgType | undefined): unknown {
    if (typ === undefined || typ === 'value') return v;
    if (v === undefined) {
      if (typ === 'any') return null;
      return this.errorf(`invalid value; expected ${goArgType(typ)}`);
    }
    if (typ === 'any') return v;
    const k = kindOf(v);
    if (k !== typ) this.errorf(`wrong type for value; expected ${typ}; got ${v === null ? 'interface {}' : typeName(v)}`);
    return typ === 'int' ? Number(v) : v;
  }
}

function methodDef(m: Method): FuncDef {
  return { in: m.params ?? Array<ArgType>(m.length).fill('any'), fn: m };
}
