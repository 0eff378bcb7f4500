// A network set-up that fails after the container was created (its namespaces made, its
// monitor waiting for "go"): run fails at once with a one-line error and exit 125, with -d and
// --rm too (whose monitor's exit command removes the container, and must not wait for the
// CLI's lock), and leaves nothing: no container, cgroup, mount, veth or rule. The failure is a
// real one: an interface of this test's own (a veth pair) has the network's bridge name (its
// bridge gone, as after a reboot), which gocker refuses to take over.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
import { leftovers } from '../helpers/network';
import { cgroupDirs } from '../helpers/containerd';

const roots = tempRoots('gocker-netsf-');
const g = (args: string[], timeout?: number): CliResult => gocker([...roots.args, ...args], timeout ? { timeout } : {});
const ok = (args: string[]): string => {
  const r = g(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
// The veth pairs this file made (by one end's name): removed whatever happens.
const taken = new Set<string>();

before(async () => {
  await importBusybox(roots.args);
});

after(() => {
  for (const d of taken) execFileSync('ip', ['link', 'del', d], { stdio: 'ignore' });
  removeAllContainers(roots.root, roots.args);
  g(['network', 'prune', '--force']);
  roots.remove();
});

/** What the store still has of containers: records, run directories, cgroups named after them. */
function containersLeft(): string[] {
  const left: string[] = [];
  for (const dir of [path.join(roots.root, 'containers'), path.join(roots.runroot, 'containers')]) {
    if (fs.existsSync(dir)) left.push(...fs.readdirSync(dir).map((f) => path.join(dir, f)));
  }
  return left;
}

/** The addresses the network's IPAM holds, read from its file. */
function leases(netId: string): Record<string, string> {
  const file = path.join(roots.root, 'networks', netId, 'ipam.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { addresses: Record<string, string> }).addresses : {};
}

function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(dir));
}

test('run (-d, --rm, both, and neither) whose network set-up fails after the create: exit 125, one line, nothing left, no hang', () => {
  ok(['network', 'create', 'nsf-net']);
  const br = ok(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', 'nsf-net']).trim();
  const netId = ok(['network', 'inspect', '-f', '{{.Id}}', 'nsf-net']).trim();
  // As after a reboot that took its bridge away, another interface has the bridge's name now.
  execFileSync('ip', ['link', 'del', br]);
  execFileSync('ip', ['link', 'add', br, 'type', 'veth', 'peer', 'name', `nsf${process.pid}`.slice(0, 15)]);
  taken.add(br);
  const expected = `gocker: cannot use interface ${br} for network nsf-net: it exists and is not this network's bridge\n`;
  for (const flags of [['-d', '--rm'], ['-d'], ['--rm'], []]) {
    const name = `nsf-${flags.join('').replace(/-/g, '') || 'fg'}`;
    const started = Date.now();
    // The container's id, written once its record is (before the network's set-up).
    const cidfile = path.join(roots.root, '..', `${name}.cid`);
    const r = g(['run', ...flags, '--cidfile', cidfile, '--name', name, '-p', '127.0.0.1::80', '--network', 'nsf-net', 'busybox', 'sleep', '600'], 30_000);
    assert.equal(r.signal, null, `run ${flags.join(' ')} hung (${Date.now() - started} ms): ${r.stderr}`);
    assert.equal(r.status, 125, `run ${flags.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, expected, `run ${flags.join(' ')}`);
    assert.equal(r.stdout, '');
    // Nothing left: no container (by name or in the store), cgroup, mount, link or rule.
    assert.equal(g(['inspect', name]).status, 1, `${name} is left`);
    assert.equal(ok(['ps', '-aq']), '');
    assert.deepEqual(containersLeft(), []);
    assert.deepEqual(mountsUnder(roots.root), []);
    assert.deepEqual(mountsUnder(roots.runroot), []);
    const id = fs.readFileSync(cidfile, 'utf8').trim();
    assert.match(id, /^[0-9a-f]{64}$/, 'the container was created before the set-up failed');
    assert.deepEqual(cgroupDirs(`gocker/${id}`).filter((d) => fs.existsSync(d)), [], 'its cgroup is left');
    assert.deepEqual(leftovers([], [id]), []);
    // Its address is the network's again.
    assert.deepEqual(leases(netId), {});
  }
  execFileSync('ip', ['link', 'del', br]);
  taken.delete(br);
  // The network works once the interface is gone, and its addresses were all given back.
  const ran = ok(['run', '-d', '--rm', '--network', 'nsf-net', 'busybox', 'sleep', '600']).trim();
  ok(['rm', '-f', ran]);
  ok(['network', 'rm', 'nsf-net']);
  assert.deepEqual(leftovers([br]), []);
});
