import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlPlane } from '../../env/control-plane.ts';
import { binary } from '../../env/paths.ts';

const installScript = join(import.meta.dirname, '../../env/install.sh');
const scratch = mkdtempSync(join(tmpdir(), 'plumbline-harness-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A PATH with a fake `go` (or none) in front of the basic system tools. */
function pathWithFakeGo(goScript: string | undefined): string {
  const dir = mkdtempSync(join(scratch, 'bin-'));
  if (goScript) {
    writeFileSync(join(dir, 'go'), `#!/bin/sh\n${goScript}\n`);
    chmodSync(join(dir, 'go'), 0o755);
  }
  for (const tool of ['bash', 'sed', 'sort', 'head', 'dirname', 'date', 'cat', 'mkdir']) {
    const path = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    execFileSync('ln', ['-sf', path, join(dir, tool)]);
  }
  return dir;
}

describe('test/env/install.sh', () => {
  it('says Go is missing and what to do, and exits non-zero', () => {
    const result = spawnSync('bash', [installScript], {
      env: { PATH: pathWithFakeGo(undefined), HOME: scratch },
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Go is not installed\. Install Go 1\.26 or later/);
  });

  it('says Go is too old, naming both versions', () => {
    const result = spawnSync('bash', [installScript], {
      env: { PATH: pathWithFakeGo('echo go1.21.5'), HOME: scratch },
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Go 1\.21\.5 is too old: .* need Go 1\.26 or later/);
  });

  it('refuses an unknown component by name', () => {
    const result = spawnSync('bash', [installScript, 'minikube'], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("unknown component 'minikube'");
  });
});

describe('the control-plane harness', () => {
  it('names a component that is not built and the command that builds it', () => {
    const previous = process.env.PLUMBLINE_CACHE_DIR;
    process.env.PLUMBLINE_CACHE_DIR = join(scratch, 'empty-cache');
    try {
      expect(() => binary('kube-apiserver')).toThrow(
        /kube-apiserver \(kubernetes v1\.36\.\d+\) is not built in .*empty-cache\/testenv\. Run 'bash test\/env\/install\.sh'/,
      );
    } finally {
      if (previous === undefined) delete process.env.PLUMBLINE_CACHE_DIR;
      else process.env.PLUMBLINE_CACHE_DIR = previous;
    }
  });

  it('reports a port that is already taken, naming the component and keeping its log', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const error = await startControlPlane({ ports: { etcdClient: port } }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(
        new RegExp(`etcd failed to start: port ${port} is already taken`),
      );
      expect((error as Error).message).toMatch(/all logs kept in \/.*plumbline-cluster-/);
    } finally {
      blocker.close();
    }
  });

  it('reports a component that crashes at start with the tail of its log', async () => {
    const error = await startControlPlane({
      extraArgs: { apiserver: ['--no-such-flag'] },
    }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /kube-apiserver failed to start: it exited with code \d+/,
    );
    expect((error as Error).message).toContain('unknown flag: --no-such-flag');
  });

  it('starts etcd and kube-apiserver, answers as admin, and stops everything', async () => {
    const plane = await startControlPlane();
    try {
      const response = await plane.request('/api/v1/namespaces/default');
      expect(response.status).toBe(200);
      expect(plane.cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await plane.stop();
    }
    await expect(fetch(plane.cluster.server)).rejects.toThrow();
  });
});

mkdirSync(scratch, { recursive: true });
