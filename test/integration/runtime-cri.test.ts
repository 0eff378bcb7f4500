// gocker-runtime as a Kubernetes RuntimeClass: what kubelet does for a pod with
// `runtimeClassName: gocker`, done over the CRI against a real containerd's CRI plugin (Debian's
// containerd, this file's own: test/helpers/containerd with the plugin on and the handler
// `gocker` mapped to io.containerd.runc.v2 with BinaryName gocker-runtime). RunPodSandbox with
// that handler, CreateContainer and StartContainer in the pod, ExecSync, then the teardown
// kubelet does; everything removed even when a test fails.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CRI_NS, IMAGE, RUNTIME, cgroupDirs, startContainerd, type Containerd } from '../helpers/containerd';
import { criClient, type CriClient } from '../helpers/cri';

let c: Containerd;
let cri: CriClient;

const runtime = (args: string[]) => spawnSync(RUNTIME, ['--root', path.join(c.runcRoot, CRI_NS), ...args], { encoding: 'utf8' });
// The verbose "info" of a status answer (a map in the API, its entries as the descriptor has them).
const info = (res: { info: { key: string; value: string }[] }) => JSON.parse(res.info.find((e) => e.key === 'info')!.value);
const ppid = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);

before(async () => {
  c = await startContainerd('gocker-rt-cri-', { cri: true });
  cri = criClient(c.sock);
});

after(async () => {
  cri?.close();
  await c?.stop();
});

test('a pod with runtime handler gocker: sandbox and container run by gocker-runtime, ExecSync, stop and remove', async () => {
  const v = await cri.runtime('Version', { version: 'v1' });
  assert.equal(v.runtime_name, 'containerd');

  // As kubelet builds it for a hostNetwork pod (no CNI here); IPC shared in the pod, as always.
  const namespaceOptions = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
  const podConfig = {
    metadata: { name: 'h16b-pod', uid: 'h16b-pod-uid', namespace: 'default', attempt: 0 },
    linux: { cgroup_parent: c.cgroupParent, security_context: { namespace_options: namespaceOptions } },
  };
  let podId = '';
  let ctrId = '';
  try {
    podId = (await cri.runtime('RunPodSandbox', { config: podConfig, runtime_handler: 'gocker' })).pod_sandbox_id;
    const ps = await cri.runtime('PodSandboxStatus', { pod_sandbox_id: podId, verbose: true });
    assert.equal(ps.status.state, 'SANDBOX_READY');
    const psInfo = info(ps) as { pid: number; runtimeHandler: string };
    assert.equal(psInfo.runtimeHandler, 'gocker');
    // gocker-runtime has the sandbox in its state, with the pid the CRI reports, the shim's child.
    const sst = JSON.parse(runtime(['state', podId]).stdout) as { pid: number; status: string };
    assert.deepEqual([sst.pid, sst.status], [psInfo.pid, 'running']);
    assert.match(fs.readFileSync(`/proc/${ppid(sst.pid)}/cmdline`, 'utf8'), /containerd-shim-runc-v2/);

    ctrId = (await cri.runtime('CreateContainer', {
      pod_sandbox_id: podId,
      config: {
        metadata: { name: 'app', attempt: 0 },
        image: { image: IMAGE },
        command: ['sleep', '1000'],
        linux: { security_context: { namespace_options: namespaceOptions } },
      },
      sandbox_config: podConfig,
    })).container_id;
    await cri.runtime('StartContainer', { container_id: ctrId });
    const cs = await cri.runtime('ContainerStatus', { container_id: ctrId, verbose: true });
    assert.equal(cs.status.state, 'CONTAINER_RUNNING');
    const pid = (info(cs) as { pid: number }).pid;
    const st = JSON.parse(runtime(['state', ctrId]).stdout) as { pid: number; status: string };
    assert.deepEqual([st.pid, st.status], [pid, 'running']);
    assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'), 'sleep\n');
    // The pod's IPC namespace joined by path; the node's network; a mount namespace of its own.
    const ns = (p: number | string, n: string) => fs.readlinkSync(`/proc/${p}/ns/${n}`);
    assert.equal(ns(pid, 'ipc'), ns(sst.pid, 'ipc'));
    assert.notEqual(ns(pid, 'ipc'), ns('self', 'ipc'));
    assert.equal(ns(pid, 'net'), ns('self', 'net'));
    assert.notEqual(ns(pid, 'mnt'), ns(sst.pid, 'mnt'));
    // In the cgroup kubelet's cgroup parent gives it.
    assert.ok(cgroupDirs(path.join(c.ns, ctrId)).some((d) => fs.existsSync(path.join(d, 'cgroup.procs')) && fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid))));

    const ex = await cri.runtime('ExecSync', { container_id: ctrId, cmd: ['sh', '-c', 'echo out; echo err >&2; cat /proc/1/comm; exit 3'], timeout: 30 });
    assert.equal(ex.exit_code, 3);
    assert.equal(Buffer.from(ex.stdout).toString(), 'out\nsleep\n');
    assert.equal(Buffer.from(ex.stderr).toString(), 'err\n');

    // kubelet's teardown: stop (sleep as pid 1 ignores SIGTERM, so the SIGKILL after the grace), remove.
    await cri.runtime('StopContainer', { container_id: ctrId, timeout: 1 });
    const stopped = await cri.runtime('ContainerStatus', { container_id: ctrId });
    assert.equal(stopped.status.state, 'CONTAINER_EXITED');
    assert.equal(stopped.status.exit_code, 137);
    await cri.runtime('RemoveContainer', { container_id: ctrId });
    assert.equal(runtime(['state', ctrId]).stderr, 'container does not exist\n');
    ctrId = '';
    await cri.runtime('StopPodSandbox', { pod_sandbox_id: podId });
    await cri.runtime('RemovePodSandbox', { pod_sandbox_id: podId });
    assert.equal(runtime(['state', podId]).stderr, 'container does not exist\n');
    podId = '';
    assert.deepEqual(cgroupDirs(c.ns).flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [])), []);
  } finally {
    if (ctrId) await cri.runtime('RemoveContainer', { container_id: ctrId }).catch(() => undefined);
    if (podId) {
      await cri.runtime('StopPodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
      await cri.runtime('RemovePodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
    }
  }
});

test('the handler picks the runtime: a pod without it runs with the node\'s default (runc), not gocker-runtime', async () => {
  const podConfig = {
    metadata: { name: 'h16b-default-pod', uid: 'h16b-default-pod-uid', namespace: 'default', attempt: 0 },
    linux: { cgroup_parent: c.cgroupParent, security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  let podId = '';
  try {
    podId = (await cri.runtime('RunPodSandbox', { config: podConfig })).pod_sandbox_id;
    const ps = await cri.runtime('PodSandboxStatus', { pod_sandbox_id: podId, verbose: true });
    const psInfo = info(ps) as { pid: number; runtimeHandler: string; runtimeOptions: { binary_name?: string } };
    assert.equal(psInfo.runtimeHandler, '');
    assert.equal(runtime(['state', podId]).stderr, 'container does not exist\n');
    const rs = spawnSync('runc', ['--root', path.join(c.base, 'runc-default', CRI_NS), 'state', podId], { encoding: 'utf8' });
    assert.equal(rs.status, 0, rs.stderr);
    assert.equal((JSON.parse(rs.stdout) as { pid: number }).pid, psInfo.pid);
  } finally {
    if (podId) {
      await cri.runtime('StopPodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
      await cri.runtime('RemovePodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
    }
  }
});
