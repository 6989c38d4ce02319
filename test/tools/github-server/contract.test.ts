import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzip, readTar } from '../../../lib/github/tar-archive.ts';
import { TestGitRepo } from '../../github-server/git-repo.ts';
import {
  checkResponse,
  findOperation,
  gitHubOpenApi,
  type OpenApiDocument,
  validate,
} from '../../github-server/openapi-contract.ts';
import { type GitHubServer, startGitHubServer } from '../../github-server/server.ts';

let git: TestGitRepo;
let server: GitHubServer;
let doc: OpenApiDocument;
let first: string;
let second: string;
let feature: string;

beforeAll(async () => {
  doc = gitHubOpenApi();
  git = TestGitRepo.create();
  first = git.commit(
    {
      'plumbline.yaml': 'targets: []\n',
      'apps/web/deployment.yaml': 'kind: Deployment\nmetadata:\n  name: web\n',
      'apps/web/service.yaml': 'kind: Service\n',
      'base/config.yaml': 'a: 1\n',
      'link.yaml': { symlink: 'base/config.yaml' },
    },
    'first',
  );
  second = git.commit(
    {
      'apps/web/deployment.yaml': 'kind: Deployment\nmetadata:\n  name: web\n  labels: {}\n',
      'apps/web/service.yaml': null,
      'base/config.yaml': null,
      'base/renamed.yaml': 'a: 1\n',
      'apps/api/deployment.yaml': 'kind: Deployment\n',
    },
    'second',
  );
  feature = git.commit({ 'apps/web/feature.yaml': 'x: 1\n' }, 'feature', 'feature');
  server = await startGitHubServer({ repos: { 'acme/deploy': git } });
});

afterAll(async () => {
  await server?.close();
  git?.remove();
});

/** GETs `path`, checks the answer against the description, and returns the body. */
async function getChecked(path: string, expectedStatus = 200): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
  expect(response.status).toBe(expectedStatus);
  const body = response.headers.get('content-type')?.includes('json')
    ? await response.json()
    : undefined;
  const check = checkResponse(
    doc,
    'GET',
    new URL(path, server.url).pathname,
    response.status,
    body,
  );
  expect(check.errors).toEqual([]);
  expect(check.operationId).not.toBe('');
  return body as Record<string, unknown>;
}

describe('GitHub test server contract', () => {
  it('serves a repository with its default branch as GitHub describes it', async () => {
    const body = await getChecked('/repos/acme/deploy');
    expect(body).toMatchObject({ full_name: 'acme/deploy', default_branch: 'main' });
    server.setDefaultBranch('acme/deploy', 'feature');
    expect((await getChecked('/repos/acme/deploy')).default_branch).toBe('feature');
    server.setDefaultBranch('acme/deploy', 'main');
    await getChecked('/repos/acme/nothing', 404);
  });

  it('serves a branch as GitHub describes it', async () => {
    const body = await getChecked('/repos/acme/deploy/branches/main');
    expect(body.name).toBe('main');
    expect((body.commit as { sha: string }).sha).toBe(second);
  });

  it('serves a commit with its changed files', async () => {
    const body = await getChecked(`/repos/acme/deploy/commits/${second}`);
    expect(body.sha).toBe(second);
    const files = body.files as { filename: string; status: string; previous_filename?: string }[];
    expect(files.map((f) => [f.filename, f.status, f.previous_filename])).toEqual([
      ['apps/api/deployment.yaml', 'added', undefined],
      ['apps/web/deployment.yaml', 'modified', undefined],
      ['apps/web/service.yaml', 'removed', undefined],
      ['base/renamed.yaml', 'renamed', 'base/config.yaml'],
    ]);
    expect(body.stats).toEqual({ additions: 2, deletions: 1, total: 3 });
    await getChecked('/repos/acme/deploy/commits/main');
    await getChecked(`/repos/acme/deploy/commits/${first}`);
  });

  it('compares two commits three-dot, with counts per file', async () => {
    const body = await getChecked(`/repos/acme/deploy/compare/${first}...${feature}`);
    expect(body).toMatchObject({ status: 'ahead', ahead_by: 2, behind_by: 0, total_commits: 2 });
    const files = body.files as {
      filename: string;
      additions: number;
      deletions: number;
      changes: number;
    }[];
    expect(files.find((f) => f.filename === 'apps/web/deployment.yaml')).toMatchObject({
      additions: 1,
      deletions: 0,
      changes: 1,
    });
    const reverse = await getChecked(`/repos/acme/deploy/compare/${feature}...${first}`);
    expect(reverse).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 2, files: [] });
  });

  it('serves recursive trees and blobs', async () => {
    const tree = await getChecked(`/repos/acme/deploy/git/trees/${first}?recursive=1`);
    const entries = tree.tree as { path: string; type: string; mode: string; sha: string }[];
    expect(entries.map((e) => `${e.type} ${e.path}`)).toEqual([
      'tree apps',
      'tree apps/web',
      'blob apps/web/deployment.yaml',
      'blob apps/web/service.yaml',
      'tree base',
      'blob base/config.yaml',
      'blob link.yaml',
      'blob plumbline.yaml',
    ]);
    expect(entries.find((e) => e.path === 'link.yaml')?.mode).toBe('120000');
    const flat = await getChecked(`/repos/acme/deploy/git/trees/${first}`);
    expect((flat.tree as unknown[]).length).toBe(4);
    const blobSha = entries.find((e) => e.path === 'base/config.yaml')?.sha as string;
    const blob = await getChecked(`/repos/acme/deploy/git/blobs/${blobSha}`);
    expect(Buffer.from(blob.content as string, 'base64').toString()).toBe('a: 1\n');
    expect(blob.size).toBe(5);
  });

  it('serves contents: a file, a directory, a symlink, and raw bytes on request', async () => {
    const file = await getChecked(`/repos/acme/deploy/contents/apps/web/service.yaml?ref=${first}`);
    expect(file).toMatchObject({ type: 'file', path: 'apps/web/service.yaml', encoding: 'base64' });
    expect(Buffer.from(file.content as string, 'base64').toString()).toBe('kind: Service\n');
    const dir = (await getChecked(
      `/repos/acme/deploy/contents/apps/web?ref=${first}`,
    )) as unknown as {
      name: string;
      type: string;
    }[];
    expect(dir.map((e) => `${e.type} ${e.name}`)).toEqual([
      'file deployment.yaml',
      'file service.yaml',
    ]);
    const link = await getChecked(`/repos/acme/deploy/contents/link.yaml?ref=${first}`);
    expect(link).toMatchObject({ type: 'symlink', target: 'base/config.yaml' });
    await getChecked(`/repos/acme/deploy/contents/missing.yaml?ref=${first}`, 404);
    const raw = await fetch(
      `${server.url}/repos/acme/deploy/contents/plumbline.yaml?ref=${first}`,
      {
        headers: { accept: 'application/vnd.github.raw+json' },
      },
    );
    expect(raw.status).toBe(200);
    expect(await raw.text()).toBe('targets: []\n');
  });

  it('redirects a tarball to an archive with the GitHub prefix', async () => {
    await getChecked(`/repos/acme/deploy/tarball/${second}`, 302);
    const redirect = await fetch(`${server.url}/repos/acme/deploy/tarball/main`, {
      redirect: 'manual',
    });
    const location = redirect.headers.get('location') as string;
    expect(location).toBe(`${server.url}/codeload/acme/deploy/legacy.tar.gz/${second}`);
    const archive = await fetch(location);
    const bytes = await gunzip(archive.body as ReadableStream<Uint8Array>, 1 << 20);
    const paths = readTar(bytes).map((e) => e.path);
    expect(paths).toContain(`acme-deploy-${second.slice(0, 7)}/apps/api/deployment.yaml`);
  });

  it('answers unknown repositories, branches and commits as GitHub does', async () => {
    await getChecked('/repos/acme/nope/branches/main', 404);
    await getChecked('/repos/acme/deploy/branches/nope', 404);
    await getChecked(`/repos/acme/deploy/compare/${first}...nope`, 404);
    await getChecked('/repos/acme/deploy/commits/nope', 422);
    await getChecked(`/repos/acme/deploy/git/blobs/${'0'.repeat(40)}`, 404);
  });

  it('lists at most 300 files in a comparison', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 305; i += 1)
      many[`bulk/file-${String(i).padStart(3, '0')}.yaml`] = `i: ${i}\n`;
    const bulk = git.commit(many, 'bulk', 'bulk');
    const body = await getChecked(`/repos/acme/deploy/compare/${second}...${bulk}`);
    expect((body.files as unknown[]).length).toBe(300);
  });

  it('records every request with method and path', () => {
    expect(server.count('GET', '/repos/acme/deploy/branches/main')).toBeGreaterThanOrEqual(1);
    expect(server.count('GET', /^\/codeload\//)).toBe(1);
    expect(server.requests.every((r) => r.method === 'GET')).toBe(true);
  });
});

describe('the contract check itself', () => {
  it('fails on a response of the wrong shape', async () => {
    const response = await fetch(`${server.url}/repos/acme/deploy/compare/${first}...${second}`);
    const body = (await response.json()) as Record<string, unknown>;
    const path = `/repos/acme/deploy/compare/${first}...${second}`;
    expect(checkResponse(doc, 'GET', path, 200, body).errors).toEqual([]);

    const files = body.files as Record<string, unknown>[];
    const broken = structuredClone(body);
    (broken.files as Record<string, unknown>[])[0] = { ...files[0], status: 'edited' };
    broken.ahead_by = '2';
    delete broken.merge_base_commit;
    (broken.base_commit as Record<string, unknown>).html_url = 'not a url';
    expect(checkResponse(doc, 'GET', path, 200, broken).errors).toEqual([
      "$: missing required property 'merge_base_commit'",
      "$.base_commit.html_url: 'not a url' is not a URI",
      '$.ahead_by: expected integer, got "2"',
      '$.files[0].status: "edited" is not one of ["added","removed","modified","renamed","copied","changed","unchanged"]',
    ]);
  });

  it('fails on an undocumented status or an unknown operation', () => {
    expect(checkResponse(doc, 'GET', '/repos/a/b/tarball/main', 200, undefined).errors).toEqual([
      'GET /repos/{owner}/{repo}/tarball/{ref}: status 200 is not documented (documented: 302)',
    ]);
    expect(checkResponse(doc, 'GET', '/no/such/endpoint/here/at/all', 200, {}).errors).toEqual([
      'no operation for GET /no/such/endpoint/here/at/all',
    ]);
  });

  it('checks nullability, enums and alternatives', () => {
    expect(validate({ type: 'string' }, null)).toEqual(['$: null where string is required']);
    expect(validate({ type: 'string', nullable: true }, null)).toEqual([]);
    expect(validate({ anyOf: [{ type: 'string' }, { type: 'integer' }] }, true)).toHaveLength(1);
    expect(
      validate({ type: 'object', additionalProperties: false, properties: {} }, { x: 1 }),
    ).toEqual(["$: property 'x' is not allowed"]);
  });

  it('resolves the most specific path template', () => {
    expect(findOperation(doc, 'GET', '/repos/a/b/git/trees/abc')?.template).toBe(
      '/repos/{owner}/{repo}/git/trees/{tree_sha}',
    );
    expect(findOperation(doc, 'GET', '/repos/a/b/compare/x...y')?.operation.operationId).toBe(
      'repos/compare-commits-with-basehead',
    );
  });
});
