import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing outside the process; `env` runs against the real test
// environment (kube-apiserver, etcd, KWOK, moto, sops, kustomize) started by its global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'env',
          include: [
            'test/env/**/*.test.ts',
            'test/integration/**/*.test.ts',
            'test/e2e/**/*.test.ts',
          ],
          globalSetup: ['test/env/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One cluster is shared; files that touch it run one at a time on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
