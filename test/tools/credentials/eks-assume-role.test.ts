/**
 * EKS bindings with a `roleArn`, against a real STS (moto): the runtime's identity assumes the
 * role, and the token the API server receives is presigned with the role's temporary
 * credentials, so STS names the role when EKS checks it.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesTarget } from '../../../lib/config/target-binding.ts';
import { createClusterAccess } from '../../../lib/credentials/cluster-access.ts';
import { assumeRole, roleCredentialsSource } from '../../../lib/credentials/sts.ts';
import { CredentialsError } from '../../../lib/errors.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { type Moto, startMoto } from '../../env/moto.ts';

const ROLE = 'arn:aws:iam::123456789012:role/plumbline-deployer';
const runtime = { accessKeyId: 'AKIARUNTIMEEXAMPLE', secretAccessKey: 'runtime-secret-key' };

const binding: KubernetesTarget = {
  kind: 'kubernetes',
  name: 'prod',
  server: 'https://k8s.example.com',
  credentials: { kind: 'eks', cluster: 'production', region: 'us-east-1', roleArn: ROLE },
  repositories: ['acme/a'],
  namespaces: ['web'],
  clusterResources: false,
  allowLinkLocal: false,
};

/** The presigned STS URL inside an EKS bearer token. */
function presignedUrl(authorization: string | null): URL {
  const token = authorization?.replace(/^Bearer /, '') ?? '';
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
}

/**
 * Whose credentials signed the presigned URL, as STS (moto) sees them: moto picks the service
 * and the caller from an Authorization header (it does not check signatures), so the URL's
 * own credential scope is sent as one.
 */
async function callerOf(url: URL, moto: Moto): Promise<string> {
  const server = new URL(moto.endpoint);
  const text = await new Promise<string>((resolve, reject) => {
    const request = httpRequest(
      {
        host: server.hostname,
        port: server.port,
        path: `${url.pathname}${url.search}`,
        headers: {
          host: url.host,
          'x-k8s-aws-id': 'production',
          'x-amz-security-token': url.searchParams.get('X-Amz-Security-Token') ?? '',
          authorization: `AWS4-HMAC-SHA256 Credential=${url.searchParams.get('X-Amz-Credential')}, SignedHeaders=host, Signature=${url.searchParams.get('X-Amz-Signature')}`,
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve(body));
      },
    );
    request.on('error', reject);
    request.end();
  });
  return /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1] ?? text;
}

describe('EKS bindings that assume a role (moto STS)', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('presigns the token with the role’s temporary credentials, which STS names as the role', async () => {
    const seen: Headers[] = [];
    const access = createClusterAccess({
      secrets: new MemorySecretStore({}),
      transport: () =>
        (async (_input: RequestInfo | URL, init?: RequestInit) => {
          seen.push(new Headers(init?.headers));
          return Response.json({ versions: ['v1'] });
        }) as typeof fetch,
      aws: async () => runtime,
      stsEndpoint: moto.endpoint,
    });
    const client = await access.clientFor(binding);
    await client.get({ group: '', kind: 'ConfigMap', namespace: 'web', name: 'x' }).catch(() => {
      // Discovery answers are minimal here: only the token sent matters.
    });
    const url = presignedUrl(seen[0]?.get('authorization') ?? null);
    expect(url.host).toBe('sts.us-east-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Credential')).not.toContain(runtime.accessKeyId);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBeTruthy();
    expect(await callerOf(url, moto)).toMatch(
      /^arn:aws:sts::123456789012:assumed-role\/plumbline-deployer\/plumbline-prod$/,
    );
  });

  it('returns temporary credentials that expire, and refuses what is not a role ARN', async () => {
    const role = await assumeRole({
      roleArn: ROLE,
      sessionName: 'plumbline-test',
      region: 'us-east-1',
      credentials: runtime,
      endpoint: moto.endpoint,
      durationSeconds: 900,
    });
    expect(role.credentials.sessionToken).toBeTruthy();
    expect(role.credentials.accessKeyId).not.toBe(runtime.accessKeyId);
    expect(role.expiresAt).toBeGreaterThan(Date.now());
    const refused = assumeRole({
      roleArn: 'arn:aws:iam::123456789012:user/alice',
      sessionName: 'x',
      region: 'us-east-1',
      credentials: runtime,
      endpoint: moto.endpoint,
    });
    await expect(refused).rejects.toBeInstanceOf(CredentialsError);
    await expect(refused).rejects.toThrow(
      'sts:AssumeRole of arn:aws:iam::123456789012:user/alice: not an IAM role ARN',
    );
  });

  it('lets concurrent callers share one AssumeRole, and asks again after one failed', async () => {
    const requests: string[] = [];
    let stsUp = false;
    const counting = (async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(String(init?.body));
      // The first attempt finds STS down; the next reaches moto.
      return fetch(stsUp ? input : 'http://127.0.0.1:9/', init);
    }) as typeof fetch;
    const role = roleCredentialsSource({
      roleArn: ROLE,
      sessionName: 'plumbline-prod',
      region: 'us-east-1',
      credentials: async () => runtime,
      endpoint: moto.endpoint,
      fetch: counting,
    });
    const failed = await Promise.allSettled([role(), role(), role()]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const reason = (failed[0] as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(CredentialsError);
    expect(reason.message).toBe(`sts:AssumeRole of ${ROLE}: STS did not answer`);
    expect(JSON.stringify(reason)).not.toContain(runtime.secretAccessKey);
    expect(requests).toHaveLength(1);
    stsUp = true;
    const answers = await Promise.all(Array.from({ length: 6 }, () => role()));
    expect(requests).toHaveLength(2);
    expect(requests[1]).toContain('Action=AssumeRole');
    expect(new Set(answers.map((answer) => answer.credentials.accessKeyId)).size).toBe(1);
    expect(answers[0]?.credentials.accessKeyId).not.toBe(runtime.accessKeyId);
    expect((await role()).credentials.sessionToken).toBe(answers[0]?.credentials.sessionToken);
    expect(requests).toHaveLength(2);
  });

  it('says STS did not answer, naming the role and never a credential', async () => {
    const error = await assumeRole({
      roleArn: ROLE,
      sessionName: 'x',
      region: 'us-east-1',
      credentials: runtime,
      endpoint: 'http://127.0.0.1:9/',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toBe(`sts:AssumeRole of ${ROLE}: STS did not answer`);
    expect(JSON.stringify(error)).not.toContain(runtime.secretAccessKey);
  });
});
