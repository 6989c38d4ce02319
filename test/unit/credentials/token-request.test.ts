import { describe, expect, it } from 'vitest';
import { tokenRequestCredentials } from '../../../lib/credentials/token-request.ts';
import { CredentialsError, KubeError } from '../../../lib/errors.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';

describe('tokenRequestCredentials', () => {
  it('reuses a minted token until it is close to expiry, then mints a new one', async () => {
    const bootstrap = createFakeKubeClient();
    let now = Date.now();
    const source = tokenRequestCredentials({
      bootstrap,
      namespace: 'ci',
      serviceAccount: 'deployer',
      now: () => now,
    });
    const first = await source.token();
    expect(await source.headers()).toEqual({ authorization: `Bearer ${first}` });
    now += 7 * 60_000;
    expect(await source.token()).toBe(first);
    now += 2 * 60_000;
    const second = await source.token();
    expect(second).not.toBe(first);
    expect(bootstrap.calls.filter((c) => c.startsWith('create token'))).toHaveLength(2);
  });

  it('shares one mint between concurrent callers', async () => {
    const bootstrap = createFakeKubeClient();
    const source = tokenRequestCredentials({
      bootstrap,
      namespace: 'ci',
      serviceAccount: 'deployer',
    });
    const tokens = await Promise.all([source.token(), source.token(), source.token()]);
    expect(new Set(tokens).size).toBe(1);
    expect(bootstrap.calls).toHaveLength(1);
  });

  it('explains a refused mint as a CredentialsError naming the ServiceAccount', async () => {
    const bootstrap = createFakeKubeClient();
    bootstrap.failWhen(
      () =>
        new KubeError(
          'ServiceAccount ci/deployer: create token failed (403 Forbidden)',
          403,
          'Forbidden',
        ),
    );
    const error = await tokenRequestCredentials({
      bootstrap,
      namespace: 'ci',
      serviceAccount: 'deployer',
    })
      .token()
      .catch((e) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toMatch(
      /^ServiceAccount ci\/deployer: could not mint a token: .*403 Forbidden/,
    );
    expect(error.hint).toContain('serviceaccounts/token');
  });
});
