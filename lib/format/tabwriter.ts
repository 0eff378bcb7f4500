// Go's text/tabwriter as docker's CLI uses it for tables (`tabwriter.NewWriter(out, 10, 1,
// 3, ' ', 0)`): tab-terminated cells are padded to their column's width (at least minwidth,
// plus padding), a line's last cell is not, and a line without tabs ends the block of lines
// whose columns line up. Widths are display widths, as docker's fork counts them (wide
// characters count two).

interface Cell {
  text: string;
  width: number;
}

let stringWidth: ((s: string) => number) | undefined;

/** Display width: ASCII is one column a character; anything else as string-width counts it. */
function width(s: string): number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  stringWidth ??= require('string-width') as (s: string) => number;
  return stringWidth(s);
}

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
}

/** Aligns text's tab-separated cells as Go's tabwriter does on Flush. */
export function tabwrite(text: string, opts: TabwriterOptions): string {
  let out = '';
  let lines: Cell[][] = [[]];
  let cell = '';

  const format = (line0: number, line1: number, widths: number[]): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      // A block of consecutive lines with a cell in this column: its width is theirs.
      writeLines(line0, t, widths);
      line0 = t;
      let w = opts.minwidth;
      for (; t < line1; t++) {
        const line = lines[t];
        if (column >= line.length - 1) break;
        w = Math.max(w, line[column].width + opts.padding);
      }
      format(line0, t, [...widths, w]);
      line0 = t;
    }
    writeLines(line0, line1, widths);
  };

  const writeLines = (line0: number, line1: number, widths: number[]): void => {
    for (let i = line0; i < line1; i++) {
      lines[i].forEach((c, j) => {
        out += c.text;
        if (j < widths.length) out += ' '.repeat(Math.max(widths[j] - c.width, 0));
      });
      // The last line is the one still open: no newline after it.
      if (i + 1 < lines.length) out += '\n';
    }
  };

  const flush = (): void => {
    format(0, lines.length, []);
    lines = [[]];
  };

  for (const ch of text.split(/([\t\v\n\f])/)) {
    if (ch === '\t' || ch === '\v' || ch === '\n' || ch === '\f') {
      const line = lines[lines.length - 1];
      line.push({ text: cell, width: width(cell) });
      cell = '';
      if (ch === '\n' || ch === '\f') {
        lines.push([]);
        // A line of one cell ends the block: what came before is aligned on its own.
        if (ch === '\f' || line.length === 1) flush();
      }
    } else {
      cell += ch;
    }
  }
  if (cell.length > 0) lines[lines.length - 1].push({ text: cell, width: width(cell) });
  flush();
  return out;
}
