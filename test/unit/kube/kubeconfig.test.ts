import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKubeconfig } from '../../../functions/node/kubeconfig.ts';
import { CredentialsError } from '../../../lib/errors.ts';

const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function kubeconfig(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kubeconfig-')), 'config');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: prod',
      `  cluster: {server: "https://k8s.example:6443", certificate-authority-data: ${Buffer.from(ca).toString('base64')}, tls-server-name: api.internal}`,
      'users:',
      '- name: ci',
      '  user: {token: t0ken-value}',
      'contexts:',
      '- name: prod',
      '  context: {cluster: prod, user: ci, namespace: shop}',
      '- name: other',
      '  context: {cluster: prod, user: ci}',
      'current-context: other',
      '',
    ].join('\n'),
  );
  return path;
}

describe('loadKubeconfig', () => {
  it('turns a context into server, CA, namespace and a bearer header', async () => {
    const access = await loadKubeconfig({ path: kubeconfig(), context: 'prod' });
    expect(access).toMatchObject({
      context: 'prod',
      namespace: 'shop',
      server: 'https://k8s.example:6443',
      caPem: ca,
      tlsServerName: 'api.internal',
      headers: { authorization: 'Bearer t0ken-value' },
    });
  });

  it('uses the current context by default', async () => {
    const access = await loadKubeconfig({ path: kubeconfig() });
    expect(access.context).toBe('other');
    expect(access.namespace).toBeUndefined();
  });

  it('names the file and the known contexts for an unknown one, without the token', async () => {
    const path = kubeconfig();
    const error = await loadKubeconfig({ path, context: 'staging' }).catch((e) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toBe(`${path}: no context 'staging' (contexts: prod, other)`);
    expect(error.message).not.toContain('t0ken');
  });

  it('names an unreadable file', async () => {
    const error = await loadKubeconfig({ path: '/nonexistent/kubeconfig' }).catch((e) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toMatch(/^\/nonexistent\/kubeconfig: cannot read the kubeconfig/);
  });
});
