import { defineConfig } from 'vitest/config';

// Four projects, by what a test needs besides the process. The hostile suite in
// `test/security/` is split the same way (`unit/`, `tools/`, `cluster/`).
// - unit: nothing.
// - tools: the real binaries and services of the test environment (kustomize, sops, moto),
//   each test file starting what it uses.
// - cluster: a real control plane (etcd, kube-apiserver, controller manager, scheduler, KWOK),
//   started once by the global setup and shared.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/security/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'tools',
          include: ['test/tools/**/*.test.ts', 'test/security/tools/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'cluster',
          include: [
            'test/cluster/**/*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/security/cluster/**/*.test.ts',
          ],
          globalSetup: ['test/env/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One cluster is shared; files that touch it run one at a time on 2 cores.
          fileParallelism: false,
        },
      },
      // workers: inside workerd through the Cloudflare Vitest plugin (its own config file, since
      // the plugin configures the whole project); a real kube-apiserver and the GitHub test server.
      'vitest.workers.config.ts',
    ],
  },
});
