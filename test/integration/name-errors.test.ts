// Errors that echo a name the user gave (a volume's, a container's, a network's, an image
// reference) write what is not printable in Go's escapes: docker's %q where dockerd quotes
// the name ("a\x1bb" includes invalid characters for a local volume name ...), the same
// escapes where it echoes it as it is. Before, an escape sequence or a NUL in a name reached
// the terminal raw. Against the CLI and the library, nothing made.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Gocker, GockerError } from '../../lib/index';
import { gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-nameerr-');
const g = (args: string[]) => gocker([...roots.args, ...args]);

before(() => importBusybox(roots.args));

after(() => {
  try {
    removeAllContainers(roots.root, roots.args);
  } finally {
    roots.remove();
  }
});

const VOLUME_RULE = 'includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path';
/** Any control character but the line's end: what must not reach a terminal. */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

test('the CLI: a name with an escape sequence or a control character is echoed escaped, in docker\'s words and exit codes', () => {
  const cases: Array<[string[], string, number]> = [
    [['volume', 'create', 'a\x1b[31mb'], `Error response from daemon: create a\\x1b[31mb: "a\\x1b[31mb" ${VOLUME_RULE}\n`, 1],
    [['run', '--network', 'none', '-v', 'a\x01b:/x', 'busybox', 'true'], `gocker: create a\\x01b: "a\\x01b" ${VOLUME_RULE}\n`, 125],
    [['run', '--network', 'none', '--mount', 'source=a\x1bb,target=/x', 'busybox', 'true'], `gocker: create a\\x1bb: "a\\x1bb" ${VOLUME_RULE}\n`, 125],
    [['create', '--network', 'none', '--name', 'a\x1b]0;x\x07b', 'busybox'], 'gocker: Invalid container name (a\\x1b]0;x\\ab), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n', 125],
    [['network', 'create', 'a\x1bb'], 'Error response from daemon: invalid network name "a\\x1bb": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n', 1],
    [['rm', 'a\x1bb'], 'Error response from daemon: No such container: a\\x1bb\n', 1],
    [['volume', 'rm', 'a\u202eb'], 'Error response from daemon: get a\\u202eb: no such volume\n', 1],
  ];
  for (const [args, stderr, status] of cases) {
    const r = g(args);
    assert.equal(r.stderr, stderr, JSON.stringify(args));
    assert.doesNotMatch(r.stderr, CONTROL, JSON.stringify(args));
    assert.equal(r.status, status, JSON.stringify(args));
  }
  assert.equal(g(['volume', 'ls', '-q']).stdout, '');
  assert.equal(g(['ps', '-a', '-q']).stdout, '');
});

test('the library: createVolume of a name with a NUL is docker\'s error with the name as %q writes it', async () => {
  const lib = new Gocker({ root: roots.root, runroot: roots.runroot });
  await assert.rejects(lib.createVolume('a\u0000b'), (e: unknown) =>
    e instanceof GockerError && e.message === `create a\\x00b: "a\\x00b" ${VOLUME_RULE}`);
  await assert.rejects(lib.createVolume('a\u0085b'), (e: unknown) =>
    e instanceof GockerError && e.message === `create a\\u0085b: "a\\u0085b" ${VOLUME_RULE}`);
  assert.deepEqual(lib.listVolumes(), []);
});
