// docker's --format for lists (docker/cli's formatter.Context): 'table' is the command's
// own columns, 'table TEMPLATE' a header row made from the column names and then a row
// for each item, aligned by Go's tabwriter; 'json' is one JSON object a line; anything
// else is a template run for each item. A command supplies its items as contexts (structs
// whose fields docker names: .ID, .Names, ...) and its header names.
import { GockerError } from '../errors';
import { Template, TemplateExecError } from './exec';
import { DOCKER_FUNCS, HEADER_FUNCS } from './funcs';
import { TemplateSyntaxError } from './parse';
import { tabwrite } from './tabwriter';
import { method } from './values';

/** A list's columns as docker names them: field -> header ('ID' -> 'CONTAINER ID'). */
export type Header = Record<string, string>;

export const isTableFormat = (format: string): boolean => format.startsWith('table');

/** The template a --format value stands for (docker's Format.templateString). */
export function templateText(format: string): string {
  if (format === 'table') return '';
  if (format === 'json') return '{{json .}}';
  const body = isTableFormat(format) ? format.slice('table'.length) : format;
  // Spaces trimmed, other white space kept; the two characters \t and \n are a tab and a newline.
  return body.replace(/^ +| +$/g, '').replace(/\\([tn])/g, (_, c: string) => (c === 't' ? '\t' : '\n'));
}

/** A --format value given more than once: docker takes the last. */
export function lastFlag(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Parses a format's template; a syntax error becomes docker's "template parsing error". */
export function compileFormat(format: string): Template {
  return compile(templateText(format), 'template parsing error: ');
}

export function compile(text: string, prefix: string, exitCode = 1, name = ''): Template {
  try {
    return new Template(text, DOCKER_FUNCS, name);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) throw new GockerError(`${prefix}${e.message}`, { exitCode, code: 'ETEMPLATE' });
    throw e;
  }
}

/** The header row's data: the column names, and .Label "a.b" as docker names that column ("b"). */
function headerData(header: Header): object {
  return {
    ...header,
    Label: method(['string'], (name: string) => (name.split('.').pop() ?? '').replace(/[-_]/g, ' ')),
  };
}

/**
 * docker's Context.Write: each item through the template, a line each; a table gets its
 * header row and tabwriter's alignment. An item the template fails on is an error, and
 * nothing is written.
 */
export function formatList(format: string, header: Header, items: Iterable<object>, tmpl = compileFormat(format)): string {
  let rows = '';
  for (const item of items) {
    try {
      rows += tmpl.execute(item);
    } catch (e) {
      if (e instanceof TemplateExecError) throw new GockerError(`template parsing error: ${e.message}`, { exitCode: 1, code: 'ETEMPLATE' });
      throw e;
    }
    rows += '\n';
  }
  if (!isTableFormat(format)) return rows;
  // The same template on the column names, with functions that leave them be; an error
  // there ends the header where it happened, as docker ignores it.
  let head: string;
  try {
    head = tmpl.execute(headerData(header), { funcs: { ...DOCKER_FUNCS, ...HEADER_FUNCS } });
  } catch (e) {
    if (!(e instanceof TemplateExecError)) throw e;
    head = e.output;
  }
  return tabwrite(`${head}\n${rows}`, { minwidth: 10, padding: 3 });
}
