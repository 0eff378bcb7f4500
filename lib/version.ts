import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './native';

let cached: string | undefined;

/** gocker's version (its package's), as `gocker version` and `gocker --version` print it. */
export function gockerVersion(): string {
  if (cached === undefined) {
    try {
      cached = (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
