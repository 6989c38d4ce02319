/**
 * GitHub App authentication inside workerd, without `nodejs_compat`: `@octokit/auth-app`
 * signs the App JWT with WebCrypto from a PKCS#8 key, exchanges it for an installation token,
 * and the repository is read with that token (the emulated GitHub checks both steps).
 */
import { describe, expect, it } from 'vitest';
import { githubHosts } from '../../functions/cloudflare/github-client.ts';
import { silentLogger } from '../../lib/ports/logger.ts';
import { StaticRepoRegistry } from '../../lib/ports/repo-registry.ts';
import { WORKERS_TEST } from './fixtures.ts';

async function privateKeyPem(): Promise<string> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const der = new Uint8Array(
    (await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer,
  );
  const base64 = btoa(String.fromCharCode(...der)).replace(/.{64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`;
}

describe('a GitHub App on Workers', () => {
  it('reads a repository as an installation, with a token minted from a WebCrypto-signed JWT', async () => {
    const gitHostFor = githubHosts({
      apiUrl: `https://${WORKERS_TEST.githubAppHost}`,
      auth: { kind: 'app', appId: WORKERS_TEST.githubAppId, privateKey: await privateKeyPem() },
      logger: silentLogger,
    });
    const registry = new StaticRepoRegistry([{ fullName: 'acme/deploy', installationId: 99 }]);
    const repo = registry.lookup('acme/deploy');
    if (!repo) throw new Error('acme/deploy is not registered');
    expect(await gitHostFor(repo).branchHead(repo.ref, 'main')).toBe('c'.repeat(40));
  });

  it('looks the installation up when the repository does not name it', async () => {
    const gitHostFor = githubHosts({
      apiUrl: `https://${WORKERS_TEST.githubAppHost}`,
      auth: { kind: 'app', appId: WORKERS_TEST.githubAppId, privateKey: await privateKeyPem() },
      logger: silentLogger,
    });
    const repo = new StaticRepoRegistry(['acme/deploy']).lookup('acme/deploy');
    if (!repo) throw new Error('acme/deploy is not registered');
    expect(await gitHostFor(repo).branchHead(repo.ref, 'main')).toBe('c'.repeat(40));
  });

  it('fails with a GitHubError when the App id is not the one the key belongs to', async () => {
    const gitHostFor = githubHosts({
      apiUrl: `https://${WORKERS_TEST.githubAppHost}`,
      auth: { kind: 'app', appId: '1', privateKey: await privateKeyPem() },
      logger: silentLogger,
    });
    const repo = new StaticRepoRegistry([{ fullName: 'acme/deploy', installationId: 99 }]).lookup(
      'acme/deploy',
    );
    if (!repo) throw new Error('acme/deploy is not registered');
    await expect(gitHostFor(repo).branchHead(repo.ref, 'main')).rejects.toMatchObject({
      name: 'GitHubError',
      message: expect.stringContaining("acme/deploy: cannot read branch 'main'"),
    });
  });
});
