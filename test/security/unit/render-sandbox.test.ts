/**
 * Issue 11, defence in depth: on Node, renders of untrusted heads run in a worker thread that
 * holds no credential and sees no environment variable, and whatever happens to that thread's
 * objects (here: prototypes polluted on purpose) cannot reach the process that holds tokens and
 * reads TLS options from objects.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRenderSandbox } from '../../../functions/node/render-sandbox.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { prototypeChanges, snapshotPrototypes } from '../prototype-state.ts';

const tree = new MemoryFileTree({
  'app/kustomization.yaml': 'resources: [cm.yaml]\nsecretGenerator:\n- name: s\n  envs: [s.env]\n',
  'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n',
  'app/s.env': 'ENC[ciphertext]',
});

describe('the render sandbox', { timeout: 90_000 }, () => {
  const sandbox = createRenderSandbox({
    workerUrl: new URL('./fixtures/polluting-render-worker.ts', import.meta.url),
  });
  afterAll(() => sandbox.close());

  it('keeps pollution of its own prototypes away from this process and its option objects', async () => {
    const before = snapshotPrototypes();
    const seen: string[] = [];
    const tlsOptions: { insecureSkipTlsVerify?: boolean } = {};
    const result = await sandbox(tree, 'app', {
      decryptor: {
        async decrypt(path, content) {
          seen.push(`${path}: ${new TextDecoder().decode(content)}`);
          return path.endsWith('.env')
            ? { plaintext: new TextEncoder().encode('password=p') }
            : undefined;
        },
      },
    });
    expect(prototypeChanges(before)).toEqual([]);
    expect(tlsOptions.insecureSkipTlsVerify).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The objects came back as this process's data: nothing inherited from the worker's realm.
    for (const object of result.objects) {
      expect((object as Record<string, unknown>).insecureSkipTlsVerify).toBeUndefined();
      expect((object.metadata as Record<string, unknown>).polluted).toBeUndefined();
    }
    expect(result.objects.map((o) => o.metadata.name)).toEqual(['c', expect.stringMatching(/^s-/)]);
    // Only ciphertext went to the parent's decryptor; the worker never held a key.
    expect(seen).toContain('app/s.env: ENC[ciphertext]');
    expect(result.sensitive).toEqual([`|Secret||${result.objects[1]?.metadata.name}`]);
  });
});
