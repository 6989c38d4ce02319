import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { chartSourceFetch, isInternalAddress } from '../../../functions/node/chart-fetch.ts';
import { RenderError } from '../../../lib/errors.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

const noHelm = {
  renderer: {
    async template(): Promise<string> {
      throw new Error('helm must not run for a refused chart source');
    },
  },
};

async function refused(repo: string, extra = {}): Promise<RenderError> {
  const error = await renderApp(
    new MemoryFileTree({
      'app/kustomization.yaml': `helmCharts:\n- name: web\n  repo: ${repo}\n  version: 1.0.0\n`,
    }),
    'app',
    { helm: { ...noHelm, lock: 'record', ...extra } },
  ).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe('chart sources a repository cannot point Plumbline at', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data', 'is a link-local or metadata address'],
    ['https://[fe80::1]/charts', 'is a link-local or metadata address'],
    ['https://metadata.google.internal/charts', 'is a link-local or metadata address'],
    ['https://10.0.0.8/charts', 'is a private or loopback address'],
    ['https://127.0.0.1:8443/charts', 'is a private or loopback address'],
    ['https://localhost/charts', 'is a private or loopback address'],
    ['oci://192.168.1.2/charts', 'is a private or loopback address'],
    ['http://charts.example.com', 'plain http is refused'],
    ['https://user:secret@charts.example.com', 'repo carries credentials in its URL'],
  ])('refuses %s', async (repo, message) => {
    const error = await refused(repo);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('secret@');
    expect(error.file).toBe('app/kustomization.yaml');
  });

  it('classifies internal addresses, IPv4-mapped ones included', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ]) {
      expect(isInternalAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '172.32.0.1', '2606:4700::1111']) {
      expect(isInternalAddress(a), a).toBe(false);
    }
  });

  it("refuses a name that resolves to loopback on Node's chart fetch, unless the operator allowed it", async () => {
    const server = createServer((_, response) => response.end('index'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      // Whatever name the render core lets through, the address it resolves to is checked.
      const error = await chartSourceFetch([])(`http://localhost:${port}/`).catch(
        (e: unknown) => e,
      );
      expect(String((error as Error & { cause?: Error }).cause?.message)).toMatch(
        /localhost resolves to the internal address (127\.0\.0\.1|::1)/,
      );
      const allowed = await chartSourceFetch(['localhost'])(`http://localhost:${port}/`);
      expect(await allowed.text()).toBe('index');
    } finally {
      server.close();
    }
  });
});
