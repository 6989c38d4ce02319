/**
 * `roleCredentialsSource` with a counting fetch: how many AssumeRole requests concurrent
 * callers, expiry and failures cause. The same sharing is checked against moto's STS in
 * `test/tools/credentials/eks-assume-role.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { roleCredentialsSource, roleRefreshAheadMs } from '../../../lib/credentials/sts.ts';
import { CredentialsError } from '../../../lib/errors.ts';

const ROLE = 'arn:aws:iam::123456789012:role/plumbline-deployer';
const runtime = { accessKeyId: 'AKIARUNTIMEEXAMPLE', secretAccessKey: 'runtime-secret-key' };
const start = Date.parse('2026-03-04T05:00:00Z');
const HOUR = 3_600_000;

/** An STS answer with the n-th credentials, expiring at `expiresAt`. */
function granted(n: number, expiresAt: number): Response {
  return new Response(
    `<AssumeRoleResponse><AssumeRoleResult><Credentials>
<AccessKeyId>ASIAROLE${n}</AccessKeyId><SecretAccessKey>role-secret-${n}</SecretAccessKey>
<SessionToken>role-session-${n}</SessionToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration>
</Credentials></AssumeRoleResult></AssumeRoleResponse>`,
    { status: 200, headers: { 'content-type': 'text/xml' } },
  );
}

/** A fetch that counts AssumeRole requests and answers each with `answer(n)` once released. */
function countingSts(answer: (n: number) => Response | Promise<Response>) {
  let arrived = () => {};
  const sts = {
    requests: 0,
    /** Resolves when the first request has arrived. */
    firstRequest: new Promise<void>((resolve) => {
      arrived = resolve;
    }),
    bodies: [] as string[],
    release: () => {},
    fetch: (async (_input: RequestInfo | URL, init?: RequestInit) => {
      sts.requests += 1;
      sts.bodies.push(String(init?.body));
      const n = sts.requests;
      arrived();
      await gate;
      return answer(n);
    }) as typeof fetch,
  };
  let gate = new Promise<void>((resolve) => {
    sts.release = resolve;
  });
  return {
    sts,
    /** Answers at once from now on. */
    open() {
      sts.release();
      gate = Promise.resolve();
    },
  };
}

function source(fetcher: typeof fetch, clock: { now: number }) {
  return roleCredentialsSource({
    roleArn: ROLE,
    sessionName: 'plumbline-prod',
    region: 'us-east-1',
    credentials: async () => runtime,
    endpoint: 'https://sts.example.test/',
    fetch: fetcher,
    now: () => clock.now,
  });
}

describe('roleCredentialsSource', () => {
  it('lets concurrent callers share one AssumeRole, and reuses its credentials', async () => {
    const clock = { now: start };
    const { sts, open } = countingSts((n) => granted(n, start + HOUR));
    const role = source(sts.fetch, clock);
    const waiting = Array.from({ length: 8 }, () => role());
    // Every caller has reached the source before STS answers the first request.
    await sts.firstRequest;
    open();
    const answers = await Promise.all(waiting);
    expect(sts.requests).toBe(1);
    expect(new Set(answers.map((answer) => answer.credentials.accessKeyId))).toEqual(
      new Set(['ASIAROLE1']),
    );
    expect(answers[0]?.expiresAt).toBe(start + HOUR);
    clock.now = start + HOUR - roleRefreshAheadMs - 1;
    expect((await role()).credentials.accessKeyId).toBe('ASIAROLE1');
    expect(sts.requests).toBe(1);
    expect(sts.bodies[0]).toContain('Action=AssumeRole');
    expect(sts.bodies[0]).toContain('RoleSessionName=plumbline-prod');
  });

  it('refreshes ahead of expiry, once for all callers, and then reuses the new credentials', async () => {
    const clock = { now: start };
    const { sts, open } = countingSts((n) => granted(n, start + n * HOUR));
    open();
    const role = source(sts.fetch, clock);
    expect((await role()).credentials.accessKeyId).toBe('ASIAROLE1');
    clock.now = start + HOUR - roleRefreshAheadMs;
    const refreshed = await Promise.all([role(), role(), role()]);
    expect(refreshed.map((answer) => answer.credentials.accessKeyId)).toEqual([
      'ASIAROLE2',
      'ASIAROLE2',
      'ASIAROLE2',
    ]);
    expect(sts.requests).toBe(2);
    clock.now = start + 2 * HOUR - roleRefreshAheadMs - 1;
    expect((await role()).expiresAt).toBe(start + 2 * HOUR);
    expect(sts.requests).toBe(2);
  });

  it('does not keep a failed AssumeRole: its callers get the error, the next caller asks again', async () => {
    const clock = { now: start };
    const { sts, open } = countingSts((n) =>
      n === 1
        ? new Response(
            '<ErrorResponse><Error><Code>Throttling</Code><Message>role-secret-0 runtime-secret-key</Message></Error></ErrorResponse>',
            { status: 400 },
          )
        : granted(n, start + HOUR),
    );
    const role = source(sts.fetch, clock);
    const failing = [role(), role()];
    open();
    for (const attempt of failing) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CredentialsError);
      expect((error as Error).message).toBe(`sts:AssumeRole of ${ROLE}: refused (400 Throttling)`);
      const shown = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as CredentialsError).hint)}`;
      expect(shown).not.toContain(runtime.secretAccessKey);
      expect(shown).not.toContain('role-secret-0');
    }
    expect(sts.requests).toBe(1);
    expect((await role()).credentials.accessKeyId).toBe('ASIAROLE2');
    expect((await role()).credentials.accessKeyId).toBe('ASIAROLE2');
    expect(sts.requests).toBe(2);
  });

  it('asks again after STS answered without credentials, never showing what it did answer', async () => {
    const clock = { now: start };
    const { sts, open } = countingSts((n) =>
      n === 1
        ? new Response(
            '<AssumeRoleResponse><Credentials><AccessKeyId>ASIAHALF</AccessKeyId><SecretAccessKey>half-secret</SecretAccessKey></Credentials></AssumeRoleResponse>',
          )
        : granted(n, start + HOUR),
    );
    open();
    const role = source(sts.fetch, clock);
    const error = await role().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toBe(
      `sts:AssumeRole of ${ROLE}: STS answered without credentials`,
    );
    expect(JSON.stringify(error)).not.toContain('half-secret');
    expect((error as Error).message).not.toContain('half-secret');
    expect((await role()).credentials.sessionToken).toBe('role-session-2');
    expect(sts.requests).toBe(2);
  });
});
