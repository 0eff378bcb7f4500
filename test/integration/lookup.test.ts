// How a container the user names is found, in dockerd's order (GetContainer): a full id, then
// a name, then a unique id prefix; an ambiguous prefix is docker's error. names/ (names.ts) is
// the authority on names, as dockerd's name registry is: an entry is checked against the
// record it points at, and a container whose entry is gone or stale (a hand edit: gocker's
// create, rename and rm never leave one) is found by its id alone. A store from before names/
// finds names in the records. Against the library and the CLI, with created containers
// (nothing runs).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Container, Gocker, GockerError, NoSuchContainerError } from '../../lib/index';
import { gocker, gockerAsync, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-lookup-');
const g = new Gocker({ root: roots.root, runroot: roots.runroot });
const cli = (args: string[]) => gocker([...roots.args, ...args]);
const names = path.join(roots.root, 'names');
const create = (name?: string): Promise<Container> => g.createContainer('busybox', ['true'], { network: 'none', ...(name === undefined ? {} : { name }) });
const nameOf = (ref: string): string => g.container(ref).name;

before(() => importBusybox(roots.args));

after(() => {
  try {
    removeAllContainers(roots.root, roots.args);
  } finally {
    roots.remove();
  }
});

test('a full id is found before a name (a container named with another\'s id), a name before an id prefix', async () => {
  const a = await create('lk-a');
  const byId = await create(a.id);
  const byPrefix = await create(a.id.slice(0, 12));
  try {
    // dockerd: the id first. It was the name first, and the container named so came back.
    assert.equal(nameOf(a.id), 'lk-a');
    assert.equal(g.inspectContainer(a.id).Id, a.id);
    assert.equal(cli(['inspect', '-f', '{{.Name}}', a.id]).stdout, '/lk-a\n');
    // A name that is also a prefix of an id: the name's container.
    assert.equal(g.container(a.id.slice(0, 12)).id, byPrefix.id);
    assert.equal(cli(['inspect', '-f', '{{.Id}}', a.id.slice(0, 12)]).stdout, `${byPrefix.id}\n`);
    // A shorter prefix no name has: the id's container, through the prefix.
    assert.equal(nameOf(a.id.slice(0, 11)), 'lk-a');
    // '/name' as docker takes it.
    assert.equal(g.container('/lk-a').id, a.id);
    assert.equal(g.container(byId.id).id, byId.id);
  } finally {
    for (const c of [a, byId, byPrefix]) await c.remove({ force: true });
  }
});

test('an id prefix two containers share is docker\'s error; a longer one finds its container', async () => {
  // Among 17 ids two share their first hex digit.
  const made: Container[] = [];
  try {
    let shared: string | undefined;
    while (shared === undefined) {
      made.push(await create());
      const firsts = made.map((c) => c.id[0]);
      shared = firsts.find((f, i) => firsts.indexOf(f) !== i);
    }
    const two = made.filter((c) => c.id.startsWith(shared!));
    assert.throws(() => g.container(shared!), (e: unknown) => e instanceof GockerError && !(e instanceof NoSuchContainerError) && e.message === `multiple IDs found with provided prefix: ${shared}`);
    const r = cli(['exec', shared, 'true']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `Error response from daemon: multiple IDs found with provided prefix: ${shared}\n`);
    let n = 1;
    while (two[0].id.slice(0, n) === two[1].id.slice(0, n)) n++;
    assert.equal(g.container(two[0].id.slice(0, n)).id, two[0].id);
    assert.equal(g.container(two[1].id.slice(0, n)).id, two[1].id);
  } finally {
    for (const c of made) await c.remove({ force: true });
  }
});

test('a stale or lost names/ entry names no one: that container is found by its id, never the one a stale entry points at', async () => {
  const x = await create('lk-x');
  const y = await create('lk-y');
  try {
    const entry = path.join(names, 'lk-x');
    const none = (ref: string): void => {
      assert.throws(() => g.container(ref), (e: unknown) => e instanceof NoSuchContainerError && e.message === `No such container: ${ref}`);
      const r = cli(['inspect', '-f', '{{.Id}}', ref]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `Error: No such object: ${ref}\n`);
    };
    // Pointing at another container, whose record has another name: that one is not lk-x.
    fs.writeFileSync(entry, y.id);
    none('lk-x');
    // At a container that is gone, or at nothing that is an id.
    fs.writeFileSync(entry, 'f'.repeat(64));
    none('lk-x');
    fs.writeFileSync(entry, '../../x');
    none('lk-x');
    // Lost. dockerd's registry is the authority on names, and a container whose name is not
    // in it is found by its id alone: so is this one (its records were read for the name
    // before, which cost every prefix lookup and "No such container" a read of them all).
    fs.rmSync(entry);
    none('lk-x');
    assert.equal(g.container(x.id).name, 'lk-x');
    assert.equal(nameOf(x.id.slice(0, 12)), 'lk-x');
    assert.equal(cli(['inspect', '-f', '{{.Name}}', x.id]).stdout, '/lk-x\n');
    // Its entry back: found by its name again.
    fs.writeFileSync(entry, x.id);
    assert.equal(g.container('lk-x').id, x.id);
    // An entry left for a name no container has any more: none.
    fs.writeFileSync(path.join(names, 'lk-gone'), y.id);
    assert.throws(() => g.container('lk-gone'), (e: unknown) => e instanceof NoSuchContainerError && e.message === 'No such container: lk-gone');
    const r = cli(['rm', 'lk-gone']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'Error response from daemon: No such container: lk-gone\n');
    fs.rmSync(path.join(names, 'lk-gone'));
    // Not a name at all: no file outside names/ is read as an entry.
    assert.throws(() => g.container('../containers'), NoSuchContainerError);
  } finally {
    for (const c of [x, y]) await c.remove({ force: true });
  }
});

test('a hex name with its entry is found before the id prefix it also is; without its entry it is the prefix, as in dockerd', async () => {
  const a = await create('lk-p');
  const prefix = a.id.slice(0, 6);
  const b = await create(prefix);
  try {
    assert.equal(g.container(prefix).id, b.id);
    assert.equal(cli(['inspect', '-f', '{{.Name}}', prefix]).stdout, `/${prefix}\n`);
    // gocker never loses an entry; one lost by hand is no name, and the ref is an id prefix.
    fs.rmSync(path.join(names, prefix));
    assert.equal(g.container(prefix).id, a.id);
    assert.equal(cli(['inspect', '-f', '{{.Name}}', prefix]).stdout, '/lk-p\n');
    assert.equal(g.container(b.id).name, prefix);
    // A shorter prefix no name has: the id's container, as ever.
    assert.equal(nameOf(a.id.slice(0, 5)), 'lk-p');
  } finally {
    for (const c of [a, b]) await c.remove({ force: true }).catch(() => undefined);
  }
});

test('rm frees its name under the lock a claim takes a stale entry over with: an entry claimed meanwhile is never unlinked', async () => {
  const { acquireLock } = await import('../../lib/store/atomic');
  const { StorePaths } = await import('../../lib/store/paths');
  const a = await create('lk-rel');
  const b = await create('lk-rel-b');
  const entry = path.join(names, 'lk-rel');
  // Held as a claim of lk-rel holds it once a's directory is gone and its entry stale.
  const release = await acquireLock(new StorePaths(roots.root, roots.runroot).lock('names'));
  let held = true;
  try {
    const rm = gockerAsync([...roots.args, 'rm', 'lk-rel']);
    const dir = path.join(roots.root, 'containers', a.id);
    for (let i = 0; i < 200 && fs.existsSync(dir); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!fs.existsSync(dir), 'rm removed the container');
    await new Promise((r) => setTimeout(r, 300));
    // The release waits: it unlinked whatever the entry then was (an unlocked read, then an
    // unlink), a new claimer's entry too.
    assert.equal(fs.readFileSync(entry, 'utf8'), a.id);
    // The claim's takeover, as claim() does it: the stale entry replaced by the claimer's.
    fs.rmSync(entry);
    fs.writeFileSync(entry, b.id);
    release();
    held = false;
    const r = await rm;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(entry, 'utf8'), b.id, 'the claimer\'s entry stays');
  } finally {
    if (held) release();
    fs.rmSync(entry, { force: true });
    for (const c of [a, b]) await c.remove({ force: true }).catch(() => undefined);
  }
});

test('a rename cut short (a crash) holds no name for good: the name it claimed, or the one it was freeing, is taken again', async () => {
  const x = await create('lk-r1');
  const others: Container[] = [];
  try {
    // Cut short after its claim of lk-r2, before its record said so: the entry names x, whose
    // record says lk-r1. x's rename again, and anyone else's claim, take lk-r2 (both were
    // docker's Conflict, "already in use" by a container not named so).
    fs.writeFileSync(path.join(names, 'lk-r2'), x.id);
    others.push(await create('lk-r2'));
    fs.writeFileSync(path.join(names, 'lk-r3'), x.id);
    const r = cli(['rename', 'lk-r1', 'lk-r3']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(nameOf(x.id), 'lk-r3');
    // Cut short after its record, before the old name's release: lk-r1's entry still names x.
    fs.writeFileSync(path.join(names, 'lk-r1'), x.id);
    assert.throws(() => g.container('lk-r1'), NoSuchContainerError);
    others.push(await create('lk-r1'));
    assert.equal(nameOf('lk-r1'), 'lk-r1');
    assert.equal(g.container('lk-r1').id, others[1].id);
    // A name its container has is still its own.
    const again = cli(['create', '--network', 'none', '--name', 'lk-r3', 'busybox', 'true']);
    assert.equal(again.status, 125);
    assert.match(again.stderr, new RegExp(`^gocker: Conflict\\. The container name "/lk-r3" is already in use by container "${x.id}"`));
  } finally {
    for (const c of [x, ...others]) await c.remove({ force: true });
  }
  assert.deepEqual(fs.readdirSync(names).filter((n) => n.startsWith('lk-r')), []);
});

test('a ref longer than a file name can be: docker\'s "No such container", not the store\'s path', async () => {
  const a = await create('lk-long');
  try {
    for (const ref of ['a'.repeat(300), `lk-long${'x'.repeat(256)}`, `/${'b'.repeat(255)}`]) {
      assert.throws(() => g.container(ref), (e: unknown) => e instanceof NoSuchContainerError && e.message === `No such container: ${ref}`);
      const r = cli(['rm', ref]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `Error response from daemon: No such container: ${ref}\n`);
      assert.doesNotMatch(r.stderr, /ENAMETOOLONG|names/);
    }
    assert.equal(nameOf('lk-long'), 'lk-long');
  } finally {
    await a.remove({ force: true });
  }
});

test('a name longer than a file name can be is taken, as dockerd takes it: claimed once, found, renamed, freed', async () => {
  const long = `lk-${'n'.repeat(300)}`;
  const c = await create(long);
  try {
    assert.equal(nameOf(long), long);
    assert.equal(cli(['inspect', '-f', '{{.Name}}', long]).stdout, `/${long}\n`);
    const again = cli(['create', '--network', 'none', '--name', long, 'busybox', 'true']);
    assert.equal(again.status, 125);
    assert.match(again.stderr, /^gocker: Conflict\. The container name "\/lk-n+" is already in use by container "[0-9a-f]{64}"/);
    const renamed = `${long}2`;
    assert.equal(cli(['rename', long, renamed]).status, 0);
    assert.equal(nameOf(renamed), renamed);
    assert.throws(() => g.container(long), NoSuchContainerError);
    // The old name is free again.
    const d = await create(long);
    await d.remove({ force: true });
  } finally {
    await c.remove({ force: true });
  }
  assert.deepEqual(fs.readdirSync(names), [], 'their entries go with them');
});

test('a store from before names/: names found in the records, before an id prefix', async () => {
  const a = await create('lk-old');
  const b = await create(a.id.slice(0, 10));
  const moved = `${names}.away`;
  fs.renameSync(names, moved);
  try {
    assert.equal(g.container('lk-old').id, a.id);
    assert.equal(g.container(a.id.slice(0, 10)).id, b.id);
    assert.equal(g.container(a.id.slice(0, 9)).id, a.id);
    assert.equal(g.container(a.id).id, a.id);
    assert.throws(() => g.container('lk-none'), NoSuchContainerError);
  } finally {
    fs.renameSync(moved, names);
    for (const c of [a, b]) await c.remove({ force: true });
  }
});
