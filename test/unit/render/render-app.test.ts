import { describe, expect, it } from 'vitest';
import type { FileDecryptor } from '../../../lib/core/decryptor.ts';
import { DecryptError, RenderError } from '../../../lib/errors.ts';
import { goJson } from '../../../lib/render/hash.ts';
import { renderApp, toYaml } from '../../../lib/render/index.ts';
import { maskObject } from '../../../lib/secrets/mask.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.0
        envFrom:
        - configMapRef: {name: cfg}
`;

async function renderError(
  files: Record<string, string>,
  app: string,
  limits = {},
): Promise<RenderError> {
  const error = await renderApp(new MemoryFileTree(files), app, { limits }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe('renderApp', () => {
  it('renders every manifest of a directory without a kustomization, multi-document and List kinds included', async () => {
    const tree = new MemoryFileTree({
      'app/a.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n',
      'app/list.yaml':
        'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: x}\n',
      'app/README.md': 'not a manifest',
    });
    const result = await renderApp(tree, 'app');
    expect(result.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/ns',
      'ConfigMap/a',
      'Secret/x',
      'Service/s',
    ]);
    expect(result.files).toEqual(['app/a.yaml', 'app/list.yaml']);
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('builds kustomizations found inside a plain directory, hashes and references included', async () => {
    const tree = new MemoryFileTree({
      'app/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n',
      'app/web/kustomization.yaml':
        'resources: [deploy.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n',
      'app/web/deploy.yaml': deployment,
    });
    const { objects } = await renderApp(tree, 'app');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/web',
      'ConfigMap/cfg-h29d89cmmt',
      'Deployment/web',
    ]);
    expect(JSON.stringify(objects[2])).toContain('cfg-h29d89cmmt');
  });

  it('records bases outside the app path in the dependency set', async () => {
    const tree = new MemoryFileTree({
      'base/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'base/deploy.yaml': deployment,
      'apps/web/kustomization.yaml': 'resources: [../../base]\nnamePrefix: p-\n',
    });
    const result = await renderApp(tree, 'apps/web');
    expect(result.files).toEqual([
      'apps/web/kustomization.yaml',
      'base/deploy.yaml',
      'base/kustomization.yaml',
    ]);
    expect(result.objects[0]?.metadata.name).toBe('p-web');
  });

  it('appends a content hash to generated ConfigMaps and rewrites references to it', async () => {
    const tree = new MemoryFileTree({
      'app/kustomization.yaml':
        'resources: [deploy.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n',
      'app/deploy.yaml': deployment,
    });
    const { objects } = await renderApp(tree, 'app');
    expect(objects[0]?.metadata.name).toBe('cfg-h29d89cmmt');
    expect(toYaml(objects)).toContain('name: cfg-h29d89cmmt\n');
    expect(JSON.stringify(objects[1])).toContain('"configMapRef":{"name":"cfg-h29d89cmmt"}');
  });

  it('gives the same digest for the same output and a different one when it changes', async () => {
    const files = {
      'app/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'app/deploy.yaml': deployment,
    };
    const a = await renderApp(new MemoryFileTree(files), 'app');
    const b = await renderApp(new MemoryFileTree(files), 'app');
    const c = await renderApp(
      new MemoryFileTree({
        ...files,
        'app/kustomization.yaml': 'resources: [deploy.yaml]\nnamespace: x\n',
      }),
      'app',
    );
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
  });

  it('keeps the digest: SHA-256 of Go JSON of the masked output, though hashed object by object', async () => {
    const { objects, digest } = await renderApp(
      new MemoryFileTree({
        'app/kustomization.yaml':
          'resources: [deploy.yaml]\nsecretGenerator:\n- name: s\n  literals: ["k=<&>"]\n',
        'app/deploy.yaml': deployment,
      }),
      'app',
    );
    const whole = goJson({ encrypted: [], objects: objects.map((o) => maskObject(o)) });
    const expected = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(whole));
    expect(digest).toBe(`sha256:${Buffer.from(expected).toString('hex')}`);
  });

  it('prints objects separated by --- with sorted keys and unindented sequences', () => {
    const text = toYaml([
      { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a' }, data: { x: '1' } },
      { kind: 'List', apiVersion: 'v1', metadata: {}, items: [{ b: 1 }] },
    ]);
    expect(text).toBe(
      'apiVersion: v1\ndata:\n  x: "1"\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nitems:\n- b: 1\nkind: List\nmetadata: {}\n',
    );
  });

  it('marks objects built from decrypted files as sensitive and keeps the mark through generators', async () => {
    const decryptor: FileDecryptor = {
      async decrypt(path) {
        return path.endsWith('.enc.env')
          ? { plaintext: new TextEncoder().encode('PASSWORD=hunter2\n') }
          : undefined;
      },
    };
    const tree = new MemoryFileTree({
      'app/kustomization.yaml':
        'resources: [cm.yaml]\nsecretGenerator:\n- name: creds\n  envs: [secret.enc.env]\n',
      'app/secret.enc.env': 'ENC[...]',
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n',
    });
    const result = await renderApp(tree, 'app', { decryptor });
    const secret = result.objects.find((o) => o.kind === 'Secret');
    expect(secret?.data).toEqual({ PASSWORD: btoa('hunter2') });
    expect(result.sensitive).toEqual([`|Secret||${secret?.metadata.name}`]);
  });

  it('hashes the ciphertext of decrypted files into the digest, never their plaintext', async () => {
    const digestOf = async (ciphertext: string, password: string) => {
      const decryptor: FileDecryptor = {
        async decrypt(path) {
          return path.endsWith('db.enc.yaml')
            ? {
                plaintext: new TextEncoder().encode(
                  `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: ${password}}\n`,
                ),
              }
            : undefined;
        },
      };
      const tree = new MemoryFileTree({ 'app/db.enc.yaml': ciphertext });
      return (await renderApp(tree, 'app', { decryptor })).digest;
    };
    const base = await digestOf('ENC[one]', 'hunter2');
    // Same file in Git, another plaintext: the digest cannot tell, so it holds no hash of it.
    expect(await digestOf('ENC[one]', 'correct-horse')).toBe(base);
    // A re-encrypted (changed) secret changes the file in Git, and so the digest.
    expect(await digestOf('ENC[two]', 'hunter2')).not.toBe(base);
  });

  it('tracks sensitive resources and patch targets through renames, and decrypts before parsing', async () => {
    const seen: string[] = [];
    const decryptor: FileDecryptor = {
      async decrypt(path) {
        seen.push(path);
        if (path === 'app/secret.enc.yaml') {
          return {
            plaintext: new TextEncoder().encode(
              'apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n',
            ),
          };
        }
        if (path === 'app/patch.enc.yaml') {
          return {
            plaintext: new TextEncoder().encode(
              'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {token: abc}\n',
            ),
          };
        }
        return undefined;
      },
    };
    const tree = new MemoryFileTree({
      'app/kustomization.yaml':
        'resources: [secret.enc.yaml, cm.yaml]\nnamePrefix: p-\nnamespace: prod\npatches:\n- path: patch.enc.yaml\n',
      'app/secret.enc.yaml': 'sops: {}\n',
      'app/patch.enc.yaml': 'sops: {}\n',
      'app/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n',
    });
    const result = await renderApp(tree, 'app', { decryptor });
    expect(seen).toEqual([
      'app/kustomization.yaml',
      'app/secret.enc.yaml',
      'app/cm.yaml',
      'app/patch.enc.yaml',
    ]);
    expect(result.sensitive).toEqual(['|ConfigMap|prod|p-settings', '|Secret|prod|p-db']);
    expect(result.objects.find((o) => o.metadata.name === 'p-settings')?.data).toEqual({
      token: 'abc',
    });
  });

  it('lets decryption errors through unchanged', async () => {
    const decryptor: FileDecryptor = {
      async decrypt(path) {
        throw new DecryptError(`${path}: MAC mismatch`, { file: path });
      },
    };
    const tree = new MemoryFileTree({
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    });
    await expect(renderApp(tree, 'app', { decryptor })).rejects.toBeInstanceOf(DecryptError);
  });

  it('refuses unsupported fields, naming the file and the field', async () => {
    for (const field of ['helmChartInflationGenerator', 'generators', 'transformers', 'vars']) {
      const error = await renderError({ 'app/kustomization.yaml': `${field}: []\n` }, 'app');
      expect(error.message).toBe(
        `app/kustomization.yaml: field '${field}' is not supported by Plumbline`,
      );
      expect(error.file).toBe('app/kustomization.yaml');
    }
  });

  it('refuses unknown fields', async () => {
    const error = await renderError({ 'app/kustomization.yaml': 'resourcez: [a.yaml]\n' }, 'app');
    expect(error.message).toBe("app/kustomization.yaml: unknown field 'resourcez'");
  });

  it('refuses unknown fields inside entries, naming the entry', async () => {
    const error = await renderError(
      { 'app/kustomization.yaml': 'replicas:\n- name: web\n  replicas: 2\n' },
      'app',
    );
    expect(error.message).toBe("app/kustomization.yaml: replicas[0] has unknown field 'replicas'");
  });

  it('refuses go-getter style remote bases and remote components', async () => {
    for (const entry of ['git::https://example.com/repo.git//base', 'ssh://git@example.com/repo']) {
      const error = await renderError(
        { 'app/kustomization.yaml': `components: ['${entry}']\n` },
        'app',
      );
      expect(error.message).toContain('is a remote resource');
    }
  });

  it('refuses remote resources with a clear error', async () => {
    const error = await renderError(
      { 'app/kustomization.yaml': 'resources: [https://github.com/org/repo//base?ref=v1]\n' },
      'app',
    );
    expect(error.message).toContain('is a remote resource');
    expect(error.hint).toContain('Vendor');
  });

  it('refuses files outside the kustomization directory (RootOnly) and outside the repository', async () => {
    const outside = await renderError(
      {
        'app/kustomization.yaml': 'resources: [../shared/cm.yaml]\n',
        'shared/cm.yaml': 'kind: ConfigMap\n',
      },
      'app',
    );
    expect(outside.message).toContain("is outside the kustomization directory 'app'");
    const escaped = await renderError(
      { 'app/kustomization.yaml': 'resources: [../../etc/passwd]\n' },
      'app',
    );
    expect(escaped.message).toContain('leaves the repository root');
  });

  it('detects cycles between kustomizations', async () => {
    const error = await renderError(
      {
        'a/kustomization.yaml': 'resources: [../b]\n',
        'b/kustomization.yaml': 'resources: [../a]\n',
      },
      'a',
    );
    expect(error.message).toContain('cycle');
  });

  it('bounds YAML alias expansion, file size and object count', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'kind: ConfigMap',
    ].join('\n');
    const alias = await renderError({ 'app/bomb.yaml': bomb }, 'app');
    expect(alias.message).toContain('YAML aliases expand beyond the render limit');
    const big = await renderError(
      { 'app/cm.yaml': `kind: ConfigMap\n#${'x'.repeat(200)}\n` },
      'app',
      {
        maxFileBytes: 100,
      },
    );
    expect(big.message).toContain('more than the render limit of 100');
    const many = await renderError(
      {
        'app/cm.yaml':
          'kind: ConfigMap\nmetadata: {name: a}\n---\nkind: ConfigMap\nmetadata: {name: b}\n',
      },
      'app',
      { maxObjects: 1 },
    );
    expect(many.message).toContain('more than 1');
  });

  it('turns pathologically deep nesting into a render error', async () => {
    const deep = `kind: ConfigMap\ndata: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
    const error = await renderError({ 'app/deep.yaml': deep }, 'app');
    expect(error.message).toMatch(/^app\/deep\.yaml(:\d+)?: (invalid YAML|YAML nests too deeply)/);
    expect(error.file).toBe('app/deep.yaml');
  });

  it('bounds the bytes read by a whole render', async () => {
    const cm = (name: string) => `kind: ConfigMap\nmetadata: {name: ${name}}\n#${'x'.repeat(60)}\n`;
    const error = await renderError({ 'app/a.yaml': cm('a'), 'app/b.yaml': cm('b') }, 'app', {
      maxTotalBytes: 120,
    });
    expect(error.message).toBe('app/b.yaml: the render reads more than 120 bytes in all');
  });

  it('reports YAML syntax errors with the file and line', async () => {
    const error = await renderError(
      { 'app/cm.yaml': 'kind: ConfigMap\nmetadata:\n  name: [a\n' },
      'app',
    );
    expect(error.file).toBe('app/cm.yaml');
    expect(error.line).toBeGreaterThan(0);
    expect(error.message).toMatch(/^app\/cm.yaml:\d+: invalid YAML/);
  });

  it('never puts secret values in error messages', async () => {
    const error = await renderError(
      {
        'app/kustomization.yaml':
          'secretGenerator:\n- name: s\n  literals: [password=hunter2, password=hunter3]\n',
      },
      'app',
    );
    expect(error.message).toContain("repeats the key 'password'");
    expect(error.message).not.toContain('hunter');
  });
});

describe('reading manifests as go-yaml reads them', () => {
  const read = async (data: string) => {
    const { objects } = await renderApp(
      new MemoryFileTree({
        'app/kustomization.yaml': 'resources: [o.yaml]\n',
        'app/o.yaml': `apiVersion: example.com/v1\nkind: E\nmetadata:\n  name: o\nspec:\n${data}`,
      }),
      'app',
    );
    return objects[0]?.spec as Record<string, unknown>;
  };

  it('reads numbers with underscores, prefixes and leading zeros as Go does', async () => {
    expect(
      await read('  a: 1_000\n  b: 0X1F\n  c: 0b101\n  d: 0o17\n  e: 0755\n  f: 1_0.5\n  g: _1\n'),
    ).toEqual({ a: 1000, b: 31, c: 5, d: 15, e: 493, f: 10.5, g: '_1' });
  });

  it('turns plain timestamps into the RFC 3339 text kustomize writes', async () => {
    expect(
      await read(
        '  a: 2001-12-14\n  b: 2001-12-14 21:59:43.10\n  c: 2001-12-14t21:59:43.10-05:00\n  d: 2001-02-30\n  e: "2001-12-14"\n  f: 2001-12-14T21:59:43.000+00:00\n',
      ),
    ).toEqual({
      a: '2001-12-14T00:00:00Z',
      b: '2001-12-14T21:59:43.1Z',
      c: '2001-12-14T21:59:43.1-05:00',
      d: '2001-02-30',
      e: '2001-12-14',
      f: '2001-12-14T21:59:43Z',
    });
  });

  it('refuses what kustomize refuses or would change: infinities, control characters, separators', async () => {
    for (const [data, message] of [
      ['  a: .inf\n', /app\/o\.yaml:6: \.inf is not a number JSON can carry/],
      ['  a: 9007199254740993\n', /the integer 9007199254740993 is beyond ±2\^53/],
      ['  a: "x\\x7Fy"\n', /holds U\+007F, a character kustomize's YAML round trip refuses/],
      [
        '  a: "x\\u2028y"\n',
        /holds U\+2028, a character kustomize's YAML round trip turns into a line break/,
      ],
      ['  a: x\u2028y\n', /app\/o\.yaml:6: holds U\+2028 unescaped/],
      ['  "<<": x\n', /a key named "<<" is read back as a YAML merge key/],
    ] as const) {
      await expect(read(data)).rejects.toThrow(message);
    }
  });
});
