// How Go values look from JavaScript, for the template engine and its fmt. Data is plain
// JSON-like values: a string is a string, an integral number is an int and any other
// number a float64 (GoFloat marks a float64 whose value happens to be integral, as a
// template's `1.0`), an array is a []interface{}, and an object is a
// map[string]interface{} unless its GO_TYPE says it is a struct (docker's formatter
// contexts, inspect's typed view) or a typed map. `undefined` is Go's invalid value (a
// missing map entry: "<no value>"), `null` a nil interface.
import { byCodeUnit } from './order';

/** A float64 whose value may be integral: `1.0` in a template is a float64, `1` an int. */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** What a struct or a typed map is, to the engine. */
export interface GoType {
  kind: 'struct' | 'map';
  /** as Go's %T and error messages name it: '*formatter.ContainerContext' */
  name: string;
  /** struct: Go field names that differ from the object's keys (ID -> Id); those keys are then no field names */
  fields?: Record<string, string>;
  /** map: what a missing key gives `index` (the zero value of the element type) */
  zero?: unknown;
  /** struct: json marshals it as docker's formatter contexts do, a map of its fields (sorted keys) */
  jsonAsMap?: boolean;
}

/** An object's Go type, as a non-enumerable property (JSON.stringify and for-in skip symbols). */
export const GO_TYPE: unique symbol = Symbol('goType');

export function goTypeOf(v: object): GoType | undefined {
  return (v as { [GO_TYPE]?: GoType })[GO_TYPE];
}

/** Marks an object with its Go type; returns it. */
export function withGoType<T extends object>(v: T, t: GoType): T {
  Object.defineProperty(v, GO_TYPE, { value: t, enumerable: false });
  return v;
}

/** A method: a function value on a struct that takes arguments of these types. */
export type ParamType = 'any' | 'string' | 'int' | 'bool';
export interface Method { (...args: never[]): unknown; params?: ParamType[] }

export function method<F extends (...args: never[]) => unknown>(params: ParamType[], fn: F): F & Method {
  return Object.assign(fn, { params });
}

export type Kind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'struct' | 'func';

export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'undefined': return 'invalid';
    case 'boolean': return 'bool';
    case 'bigint': return 'int';
    case 'number': return Number.isInteger(v) ? 'int' : 'float';
    case 'string': return 'string';
    case 'function': return 'func';
    default:
  }
  if (v === null) return 'nil';
  if (v instanceof GoFloat) return 'float';
  if (Array.isArray(v)) return 'slice';
  return goTypeOf(v as object)?.kind === 'struct' ? 'struct' : 'map';
}

/** The number in an int or float value. */
export function num(v: unknown): number {
  return v instanceof GoFloat ? v.value : Number(v);
}

/** Go's name of a value's type, as %T and error messages print it. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid': case 'nil': return '<nil>';
    case 'bool': return 'bool';
    case 'int': return 'int';
    case 'float': return 'float64';
    case 'string': return 'string';
    case 'slice': return '[]interface {}';
    case 'func': return 'func()';
    default: return goTypeOf(v as object)?.name ?? 'map[string]interface {}';
  }
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false; structs true. */
export function truth(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid': case 'nil': return false;
    case 'bool': return v as boolean;
    case 'int': case 'float': return num(v) !== 0;
    case 'string': return (v as string).length > 0;
    case 'slice': return (v as unknown[]).length > 0;
    case 'map': return Object.keys(v as object).length > 0;
    default: return true;
  }
}

/** A map's keys in Go's order for printing and range (fmtsort: byte order for strings). */
export function sortedKeys(m: object): string[] {
  return Object.keys(m).sort(byCodeUnit);
}

/** A struct's field values in order: its own enumerable properties that are not methods. */
export function structFields(s: object): Array<[string, unknown]> {
  return Object.keys(s).map((k) => [k, (s as Record<string, unknown>)[k]] as [string, unknown]).filter(([, v]) => typeof v !== 'function');
}

/** UTF-8 bytes of a string: Go's len, index and slice count bytes. */
export function utf8(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}
