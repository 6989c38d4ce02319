/**
 * Where credentials and keys may be used, below the flows: a cluster client is made from the
 * binding alone (its server, its secrets, its Access token, an EKS token for its cluster and
 * no other) and fenced to its namespaces; a repository's SOPS files open only with that
 * repository's keys (finding 1, per-repository secrets).
 */
import { describe, expect, it } from 'vitest';
import type { KubernetesTarget } from '../../../lib/config/target-binding.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { createClusterAccess } from '../../../lib/credentials/cluster-access.ts';
import { eksToken } from '../../../lib/credentials/eks-token.ts';
import { guardNamespaces } from '../../../lib/credentials/namespace-guard.ts';
import { repoDecryptors } from '../../../lib/credentials/repo-decryptors.ts';
import { CredentialsError, DecryptError, KubeError } from '../../../lib/errors.ts';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import { planApp } from '../../../lib/plan/plan.ts';
import { StaticRepoRegistry } from '../../../lib/ports/repo-registry.ts';
import { MemorySecretStore } from '../../../lib/ports/secret-store.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';
import { baseFiles, flowSetup, REPO } from '../../unit/flows/fixtures.ts';
import { ageIdentities, fixture, fixtureBytes } from '../../unit/secrets/fixtures.ts';

function binding(extra: Partial<KubernetesTarget> = {}): KubernetesTarget {
  return {
    kind: 'kubernetes',
    name: 'dev',
    server: 'https://k8s.example.com',
    credentials: { kind: 'token', secret: 'dev-token' },
    repositories: ['acme/a'],
    namespaces: ['web'],
    clusterResources: false,
    allowLinkLocal: false,
    ...extra,
  };
}

const object = (kind: string, name: string, namespace?: string, apiVersion = 'v1'): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
});

/** A fetch recording each request's URL and headers, answering discovery and objects. */
function recordingFetch() {
  const seen: { url: string; headers: Headers }[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(input), headers: new Headers(init?.headers) });
    const path = new URL(String(input)).pathname;
    if (path === '/api') return Response.json({ versions: ['v1'] });
    if (path === '/apis') return Response.json({ groups: [] });
    if (path === '/api/v1') {
      return Response.json({
        resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['get'] }],
      });
    }
    return Response.json({ kind: 'Status', code: 404 }, { status: 404 });
  }) as typeof fetch;
  return { seen, fetcher };
}

describe('a cluster client is fenced to its binding', () => {
  it("refuses (403) objects outside the binding's namespaces, as RBAC would, touching nothing", async () => {
    const fake = createFakeKubeClient();
    const client = guardNamespaces(fake, binding());
    await client.apply(object('ConfigMap', 'ok', 'web'));
    await client.apply(object('Namespace', 'web'));
    for (const [outside, setting] of [
      [object('ConfigMap', 'steal', 'kube-system'), 'targets[dev].namespaces'],
      [object('Namespace', 'kube-system'), 'targets[dev].namespaces'],
      // Cluster-scoped: its metadata.namespace proves nothing.
      [
        object('CustomResourceDefinition', 'x.example.com', 'web', 'apiextensions.k8s.io/v1'),
        'targets[dev].clusterResources',
      ],
    ] as const) {
      const refused = client.apply(outside);
      await expect(refused).rejects.toBeInstanceOf(KubeError);
      await expect(refused).rejects.toMatchObject({ status: 403, reason: 'Forbidden' });
      await expect(refused).rejects.toThrow(`(runtime setting ${setting})`);
    }
    await expect(
      client.delete({ group: '', kind: 'ConfigMap', namespace: 'kube-system', name: 'x' }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      client.get({ group: '', kind: 'Secret', namespace: 'kube-system', name: 'x' }),
    ).rejects.toMatchObject({ status: 403 });
    expect(fake.calls).toEqual(['apply ConfigMap web/ok', 'apply Namespace web']);
    // Cluster-scoped objects pass only where the operator allows them.
    const wide = guardNamespaces(fake, binding({ clusterResources: true }));
    await wide.apply(
      object('CustomResourceDefinition', 'x.example.com', undefined, 'apiextensions.k8s.io/v1'),
    );
  });

  it('fails the plan of an app that puts an object outside its namespaces, dry-running nothing there', async () => {
    const fake = createFakeKubeClient();
    const planning = planApp(
      {
        app: 'web',
        namespace: 'web',
        objects: [object('ConfigMap', 'ok', 'web'), object('ConfigMap', 'steal', 'kube-system')],
        revision: 'a'.repeat(40),
        sensitive: new Set(),
      },
      guardNamespaces(fake, binding()),
    );
    await expect(planning).rejects.toMatchObject({ status: 403 });
    await expect(planning).rejects.toThrow(
      "ConfigMap kube-system/steal: forbidden: namespace 'kube-system' is not allowed on target 'dev' (runtime setting targets[dev].namespaces)",
    );
    expect(fake.calls.some((c) => c.includes('kube-system'))).toBe(false);
    expect(fake.objects.size).toBe(0);
  });
});

describe('an app that reaches outside its binding is refused whole', () => {
  it('deploys nothing at all when one object is outside the allowed namespaces', async () => {
    const { git, deps, kube } = flowSetup();
    git.commit(REPO, 'main', {
      ...baseFiles('blue'),
      'apps/web/steal.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: steal\n  namespace: kube-system\n',
      'apps/web/role.yaml':
        'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x.example.com\n',
    });
    const outcome = await deployApp(
      { kind: 'reconcile', repo: REPO, app: 'web', branch: 'main', deliveryId: 'd' },
      deps,
    );
    expect(outcome).toMatchObject({ status: 'failed', failure: { stage: 'config' } });
    const message = outcome.status === 'failed' ? (outcome.failure?.message ?? '') : '';
    expect(message).toContain(
      "app web: 2 object(s) outside what target 'prod' allows; nothing was applied",
    );
    expect(message).toContain(
      "ConfigMap kube-system/steal: namespace 'kube-system' is not allowed on target 'prod' (runtime setting targets[prod].namespaces)",
    );
    expect(message).toContain('(runtime setting targets[prod].clusterResources)');
    // Nothing written: not the allowed ConfigMap, not the lease, not the ApplySet parent.
    expect(kube.objects.size).toBe(0);
    expect(kube.calls.filter((c) => /^(apply|create|delete)/.test(c))).toEqual([]);
    expect(git.deployments.at(-1)?.statuses.at(-1)?.state).toBe('failure');
  });
});

describe('credentials come from the binding alone', () => {
  it('sends its bearer token and its Access headers to its server only', async () => {
    const { seen, fetcher } = recordingFetch();
    const access = createClusterAccess({
      secrets: new MemorySecretStore({ 'dev-token': 'dev-token-value', 'cf-dev': 'cf-value' }),
      transport: () => fetcher,
    });
    const withAccess = binding({ access: { clientId: 'dev.access', secret: 'cf-dev' } });
    const plain = binding({ name: 'plain', server: 'https://plain.example.com' });
    const ref = { group: '', kind: 'ConfigMap', namespace: 'web', name: 'x' };
    await (await access.clientFor(withAccess)).get(ref);
    await (await access.clientFor(plain)).get(ref);
    const servers = new Set(seen.map((r) => new URL(r.url).origin));
    expect(servers).toEqual(new Set(['https://k8s.example.com', 'https://plain.example.com']));
    for (const request of seen) {
      expect(request.headers.get('authorization')).toBe('Bearer dev-token-value');
      const toAccess = request.url.startsWith('https://k8s.example.com');
      expect(request.headers.get('cf-access-client-secret')).toBe(toAccess ? 'cf-value' : null);
    }
  });

  it('says which secret is missing, never a value, and refuses kubeconfig where there is none', async () => {
    const access = createClusterAccess({
      secrets: new MemorySecretStore({}),
      transport: () => fetch,
    });
    await expect(access.clientFor(binding())).rejects.toThrow(
      "target dev: the runtime holds no secret 'dev-token' (its bearer token)",
    );
    await expect(
      access.clientFor(binding({ credentials: { kind: 'kubeconfig', context: 'admin' } })),
    ).rejects.toBeInstanceOf(CredentialsError);
  });

  it('presigns an EKS token for the cluster its binding names, and no other', async () => {
    const { seen, fetcher } = recordingFetch();
    const now = () => Date.parse('2026-06-01T12:00:00Z');
    const aws = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-key' };
    const access = createClusterAccess({
      secrets: new MemorySecretStore({}),
      transport: () => fetcher,
      aws: async () => aws,
      now,
    });
    const eks = binding({
      credentials: { kind: 'eks', cluster: 'production', region: 'eu-west-1' },
    });
    await (await access.clientFor(eks)).get({
      group: '',
      kind: 'ConfigMap',
      namespace: 'web',
      name: 'x',
    });
    const sent = seen[0]?.headers.get('authorization');
    const expected = await eksToken({
      clusterName: 'production',
      region: 'eu-west-1',
      credentials: aws,
      now,
    });
    const other = await eksToken({
      clusterName: 'staging',
      region: 'eu-west-1',
      credentials: aws,
      now,
    });
    expect(sent).toBe(`Bearer ${expected.token}`);
    expect(sent).not.toBe(`Bearer ${other.token}`);
  });
});

describe("a repository's SOPS files open only with its own keys", () => {
  const registry = new StaticRepoRegistry([
    { fullName: 'acme/a', sops: { ageKeys: ['a-age'], kmsKeys: [] } },
    {
      fullName: 'acme/b',
      sops: { ageKeys: ['b-age'], kmsKeys: ['arn:aws:kms:eu-west-1:222222222222:key/*'] },
    },
    { fullName: 'acme/c' },
  ]);
  const repo = (name: string) => {
    const found = registry.lookup(name);
    if (!found) throw new Error(name);
    return found;
  };
  const secrets = new MemorySecretStore({
    'a-age': ageIdentities[0] as string,
    'b-age': ageIdentities[1] as string,
  });
  const file = fixtureBytes('secret-regex.sops.yaml');

  it('does not open a file copied from another repository, even after that repository opened it', async () => {
    const decryptorOf = repoDecryptors({ secrets });
    const a = await decryptorOf(repo('acme/a')).decrypt('secret.yaml', file);
    expect(new TextDecoder().decode(a?.plaintext)).toContain('correct horse battery staple');
    // Repository B copied A's file: its own key cannot open it, and A's opened data key is not
    // shared across repositories.
    const b = decryptorOf(repo('acme/b')).decrypt('secret.yaml', file);
    await expect(b).rejects.toBeInstanceOf(DecryptError);
    await expect(b).rejects.toThrow('cannot decrypt the data key');
    await expect(decryptorOf(repo('acme/c')).decrypt('secret.yaml', file)).rejects.toBeInstanceOf(
      DecryptError,
    );
  });

  it('refuses a KMS key the repository may not use, before asking KMS', async () => {
    const kmsFile = fixture('secret-regex.sops.yaml').replace(
      /\n {4}age:\n[\s\S]*?recipient: \S+\n/,
      '\n    kms:\n        - arn: arn:aws:kms:eu-west-1:111111111111:key/repository-a\n          created_at: "2026-01-01T00:00:00Z"\n          enc: AQICAHhkbXNfdGVzdA==\n          aws_profile: ""\n',
    );
    expect(kmsFile).toContain('repository-a');
    const decryptorOf = repoDecryptors({
      secrets,
      // An endpoint nothing listens on: a request to it would fail with another message.
      kms: {
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 'x' },
        endpoint: 'http://127.0.0.1:9',
      },
    });
    const refused = decryptorOf(repo('acme/b')).decrypt(
      'secret.yaml',
      new TextEncoder().encode(kmsFile),
    );
    await expect(refused).rejects.toThrow(
      'this repository may not use this KMS key (runtime setting repositories[].sops.kmsKeys)',
    );
    await expect(refused).rejects.not.toThrow('KMS Decrypt failed');
  });

  it('refuses a KMS envelope whose encryption context names another repository', async () => {
    const copied = fixture('secret-regex.sops.yaml').replace(
      /\n {4}age:\n[\s\S]*?recipient: \S+\n/,
      '\n    kms:\n        - arn: arn:aws:kms:eu-west-1:222222222222:key/shared\n          context:\n            repo: acme/a\n            app: web\n          created_at: "2026-01-01T00:00:00Z"\n          enc: AQICAHhkbXNfdGVzdA==\n          aws_profile: ""\n',
    );
    const decryptorOf = repoDecryptors({
      secrets,
      kms: {
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 'x' },
        endpoint: 'http://127.0.0.1:9',
      },
    });
    const refused = decryptorOf(repo('acme/b')).decrypt(
      'secret.yaml',
      new TextEncoder().encode(copied),
    );
    await expect(refused).rejects.toThrow(
      'the encryption context names repository acme/a, not acme/b: a file copied from another repository is not opened',
    );
    await expect(refused).rejects.not.toThrow('KMS Decrypt failed');
  });

  it('says which age key secret is missing, and leaves plain files alone', async () => {
    const decryptorOf = repoDecryptors({ secrets: new MemorySecretStore({}) });
    const plain = new TextEncoder().encode('apiVersion: v1\nkind: ConfigMap\n');
    expect(await decryptorOf(repo('acme/a')).decrypt('cm.yaml', plain)).toBeUndefined();
    await expect(decryptorOf(repo('acme/a')).decrypt('secret.yaml', file)).rejects.toThrow(
      "acme/a: the runtime holds no secret 'a-age'",
    );
  });
});
