/**
 * GitHub App installation tokens through `@octokit/auth-app` against the test server: the
 * App's PKCS#1 key signs the JWT, the installation is looked up from the repository, and the
 * token minted is scoped to that one repository.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../../functions/node/settings.ts';
import { gitHostsFor } from '../../../functions/node.ts';
import { installationOctokit } from '../../../lib/github/app-auth.ts';
import { OctokitGitHost } from '../../../lib/github/octokit-git-host.ts';
import { MemoryLogger } from '../../../lib/ports/logger.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import { checkResponse, gitHubOpenApi } from '../../github-server/openapi-contract.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
let deploy: TestGitRepo;
let other: TestGitRepo;
let server: GitHubServer;
let head: string;
const errors: string[] = [];

/** Checks every JSON answer against GitHub's description. */
const checkingFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const response = await fetch(request);
  const text = await response.clone().text();
  const body =
    response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined;
  const path = new URL(request.url).pathname;
  errors.push(
    ...checkResponse(gitHubOpenApi(), request.method, path, response.status, body).errors,
  );
  return response;
};

beforeAll(async () => {
  deploy = TestGitRepo.create();
  other = TestGitRepo.create();
  head = deploy.commit({ 'plumbline.yaml': 'apps: []\n' });
  other.commit({ 'x.yaml': 'x\n' });
  server = await startGitHubServer({
    repos: { 'acme/deploy': deploy, 'acme/other': other },
    token: 'a-personal-token-nobody-uses',
    app: { appId: 4242, publicKeyPem: keys.publicKey, installationId: 77 },
  });
});

afterAll(async () => {
  await server?.close();
  deploy?.remove();
  other?.remove();
});

describe('GitHub App installation tokens', () => {
  it('reads the repository with a token minted from the PKCS#1 key, scoped to it', async () => {
    const octokit = installationOctokit({
      app: { appId: 4242, privateKey: keys.privateKey },
      repo: { owner: 'acme', repo: 'deploy' },
      baseUrl: server.url,
      fetch: checkingFetch,
    });
    const gitHost = new OctokitGitHost({ octokit });
    expect(await gitHost.branchHead({ owner: 'acme', repo: 'deploy' }, 'main')).toBe(head);
    expect(await gitHost.branchHead({ owner: 'acme', repo: 'deploy' }, 'main')).toBe(head);
    expect(server.count('GET', '/repos/acme/deploy/installation')).toBe(1);
    // One token, reused until it nears expiry.
    expect(server.count('POST', '/app/installations/77/access_tokens')).toBe(1);
    expect(errors).toEqual([]);
    // The token reaches no other repository of the installation.
    await expect(
      gitHost.branchHead({ owner: 'acme', repo: 'other' }, 'main'),
    ).rejects.toMatchObject({ name: 'GitHubError', status: 401 });
  });

  it('uses a configured installation id without looking it up', async () => {
    const before = server.count('GET', '/repos/acme/other/installation');
    const octokit = installationOctokit({
      app: { appId: 4242, privateKey: keys.privateKey },
      repo: { owner: 'acme', repo: 'other' },
      installationId: 77,
      baseUrl: server.url,
    });
    const gitHost = new OctokitGitHost({ octokit });
    expect(await gitHost.branchHead({ owner: 'acme', repo: 'other' }, 'main')).toBe(other.head());
    expect(server.count('GET', '/repos/acme/other/installation')).toBe(before);
  });

  it('fails clearly when the key is not the App’s', async () => {
    const stranger = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const octokit = installationOctokit({
      app: { appId: 4242, privateKey: stranger.privateKey },
      repo: { owner: 'acme', repo: 'deploy' },
      baseUrl: server.url,
    });
    const error = await new OctokitGitHost({ octokit })
      .branchHead({ owner: 'acme', repo: 'deploy' }, 'main')
      .catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ name: 'GitHubError', status: 401 });
    expect(String((error as Error).message)).toBe(
      'acme/deploy: the GitHub App 4242 is not installed on it (GitHub answered 401)',
    );
    expect(String((error as Error).message)).not.toContain('PRIVATE KEY');
  });

  it('serves each repository of the Node runtime with its own installation token', async () => {
    const settings = loadSettings({
      env: {
        PLUMBLINE_REPOSITORIES: 'acme/deploy,acme/other',
        PLUMBLINE_GITHUB_API_URL: server.url,
        PLUMBLINE_GITHUB_APP_ID: '4242',
        PLUMBLINE_GITHUB_APP_PRIVATE_KEY: keys.privateKey,
      },
      flags: {},
    });
    expect(settings.githubApp?.appId).toBe('4242');
    const registry = new StaticRepoRegistry(settings.repositories);
    const hostFor = gitHostsFor(settings, new MemoryLogger());
    const deployRepo = registry.lookup('acme/deploy');
    const otherRepo = registry.lookup('acme/other');
    if (!deployRepo || !otherRepo) throw new Error('not registered');
    expect(hostFor(deployRepo)).toBe(hostFor(deployRepo));
    expect(hostFor(deployRepo)).not.toBe(hostFor(otherRepo));
    const before = server.count('POST', '/app/installations/77/access_tokens');
    expect(await hostFor(deployRepo).branchHead(deployRepo.ref, 'main')).toBe(head);
    expect(await hostFor(otherRepo).branchHead(otherRepo.ref, 'main')).toBe(other.head());
    expect(server.count('POST', '/app/installations/77/access_tokens')).toBe(before + 2);
  });
});
