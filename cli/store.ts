// Just the store, for run and exec: the engine facade (cli/util.ts's engine) would load every
// image module, and would bring them into run and exec's bundle (cli/fast.ts).
import { resolveOptions } from '../lib/options';
import { Store } from '../lib/store';
import { StorePaths } from '../lib/store/paths';
import type { GlobalArgs } from './types';

export function storeFor(argv: GlobalArgs): Store {
  const o = resolveOptions({ root: argv.root, runroot: argv.runroot, logLevel: argv.logLevel, storageDriver: argv.storageDriver });
  return new Store(StorePaths.forDriver(o.root, o.runroot, o.storageDriver));
}
