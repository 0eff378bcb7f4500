// A device node made outside /dev (linux.devices' /mnt/x, docker's --device /dev/null:/opt/z)
// goes into a directory the container shares with others when a volume's bind comes before
// it: another container writing there (here a process of the test's own, standing in for one:
// what the kernel sees is the same) may swap the new node for a symlink at any moment. Nothing
// done to the node after mknod may follow that symlink onto the host: a chmod through it made
// a host file (here one outside the bundle, as /etc/shadow would be) world-writable.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNTIME, removeCgroupParent } from '../helpers/containerd';
import { busyboxRootfs } from '../helpers/fixtures';

const CGROUP_PARENT = `gocker-sec-dev-${process.pid}`;
let base = '';
let root = '';

const runtime = (args: string[]) => spawnSync(RUNTIME, ['--root', root, ...args], { encoding: 'utf8', timeout: 60_000 });

before(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-sec-dev-'));
  root = path.join(base, 'state');
});

after(() => {
  if (root && fs.existsSync(root)) {
    for (const id of fs.readdirSync(root)) runtime(['delete', '--force', id]);
  }
  try {
    removeCgroupParent(CGROUP_PARENT);
  } finally {
    if (base) fs.rmSync(base, { recursive: true, force: true });
  }
});

test('a device node made in a shared directory is not chmodded through a symlink swapped in for it', async () => {
  const share = path.join(base, 'share');
  fs.mkdirSync(share);
  const target = path.join(base, 'host-secret');
  fs.writeFileSync(target, 'host secret\n');
  fs.chmodSync(target, 0o600);
  // A copy: the runtime makes what is missing in the root, and the fixture is shared.
  const rootfs = path.join(base, 'rootfs');
  fs.cpSync(await busyboxRootfs(), rootfs, { recursive: true, verbatimSymlinks: true });
  const caps = ['CAP_CHOWN'];
  const bundle = path.join(base, 'bundle');
  fs.mkdirSync(bundle);
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({
    ociVersion: '1.0.2',
    process: { user: { uid: 0, gid: 0 }, args: ['true'], env: ['PATH=/bin'], cwd: '/', capabilities: { bounding: caps, effective: caps, permitted: caps } },
    root: { path: rootfs },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
      // Before any cgroup mount: mounted before the devices are made (as containerd's CRI
      // sorts a pod's volumes, /data before /sys/fs/cgroup).
      { destination: '/mnt', type: 'bind', source: share, options: ['rbind', 'rw'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }],
      cgroupsPath: `/${CGROUP_PARENT}/c`,
      devices: [{ path: '/mnt/x', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }],
    },
  }));
  // The other writer of the shared directory: x comes and goes as a symlink to the host file.
  const racer = spawn(process.execPath, ['-e', `
    const fs = require('fs'); const d = process.argv[1], t = process.argv[2];
    for (;;) {
      try { fs.symlinkSync(t, d + '/t'); } catch {}
      try { fs.renameSync(d + '/t', d + '/x'); } catch {}
      try { fs.unlinkSync(d + '/x'); } catch {}
    }`, share, target], { stdio: 'ignore' });
  try {
    // Won within a few hundred to two thousand creates (seconds) before the fix; bounded in time,
    // not in tries, for a loaded machine.
    const end = Date.now() + 45_000;
    let made = 0;
    while (Date.now() < end && (fs.statSync(target).mode & 0o777) === 0o600) {
      const out = path.join(base, 'create.out');
      const fd = fs.openSync(out, 'w');
      // The container's stdio is the runtime's (as the shim's): a file, not a pipe spawnSync waits on.
      const r = spawnSync(RUNTIME, ['--root', root, 'create', '--bundle', bundle, 'c'], { stdio: ['ignore', fd, fd], timeout: 60_000 });
      fs.closeSync(fd);
      if (r.status === 0) made++;
      const d = runtime(['delete', '--force', 'c']);
      assert.ok(r.status !== 0 || d.status === 0, d.stderr);
    }
    assert.equal((fs.statSync(target).mode & 0o777).toString(8), '600', 'the host file was chmodded through the swapped-in symlink');
    assert.ok(made > 0, 'no create succeeded at all');
  } finally {
    racer.kill();
  }
});
