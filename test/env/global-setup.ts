/**
 * Global setup of the `cluster` test project: one real control plane (etcd, kube-apiserver,
 * controller manager, scheduler, KWOK) shared by every file, handed to tests through
 * `inject('cluster')`, stopped afterwards. A piece that cannot start fails the run, naming it.
 */
import type { TestProject } from 'vitest/node';
import { type ControlPlane, startControlPlane, type TestCluster } from './control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: TestCluster;
  }
}

let controlPlane: ControlPlane | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  controlPlane = await startControlPlane({ workloads: true });
  project.provide('cluster', controlPlane.cluster);
  console.log(
    `[testenv] Kubernetes ${controlPlane.cluster.version} at ${controlPlane.cluster.server} ` +
      `ready in ${((Date.now() - started) / 1000).toFixed(1)} s (logs: ${controlPlane.cluster.dir})`,
  );
  return async () => {
    await controlPlane?.stop();
  };
}
