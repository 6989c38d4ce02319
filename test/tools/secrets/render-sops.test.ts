/**
 * Rendering with the SOPS decryptor: a kustomize tree holding a sops-encrypted Secret manifest
 * and secretGenerators over an encrypted .env file and an encrypted opaque file renders the
 * same objects as the real kustomize over the files `sops --decrypt` prints, and every object
 * carrying decrypted data is marked sensitive.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { refKey, refOf } from '../../../lib/core/object.ts';
import { DecryptError } from '../../../lib/errors.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { binary } from '../../env/paths.ts';
import { createSopsWorld, type SopsWorld } from './sops-cli.ts';

let world: SopsWorld;
let encrypted: Record<string, string>;
let decrypted: Record<string, string>;

const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
  - secret.sops.yaml
  - deployment.yaml
secretGenerator:
  - name: app-env
    envs:
      - app.sops.env
  - name: tls
    files:
      - tls.key=tls.sops.key
`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - secretRef: {name: app-env}
`;

const secret = `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  password: correct horse battery staple
  port: "5432"
`;

beforeAll(async () => {
  world = await createSopsWorld();
  const kms = ['--kms', world.keyA, '--encryption-context', 'app:shop,repo:acme/infra'];
  const sources: Record<string, [string, string[]]> = {
    'secret.sops.yaml': [secret, [...kms, '--encrypted-regex', '^(data|stringData)$']],
    'app.sops.env': ['DB_PASSWORD=hunter2\nAPI_KEY=k-123\n', kms],
    'tls.sops.key': ['-----BEGIN KEY-----\nopaque\n', ['--age', world.age[0]?.recipient ?? '']],
  };
  encrypted = {
    'apps/shop/kustomization.yaml': kustomization,
    'apps/shop/deployment.yaml': deployment,
  };
  decrypted = { ...encrypted };
  for (const [name, [plain, args]] of Object.entries(sources)) {
    const file = await world.encrypt(name, plain, args);
    encrypted[`apps/shop/${name}`] = file;
    decrypted[`apps/shop/${name}`] = await world.decrypt(name, file);
  }
});

afterAll(async () => {
  await world?.close();
});

function kustomizeBuild(files: Record<string, string | Uint8Array>): unknown[] {
  const root = mkdtempSync(join(tmpdir(), 'plumbline-render-sops-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const run = spawnSync(binary('kustomize'), ['build', join(root, 'apps/shop')], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`kustomize build failed: ${run.stderr}`);
    return parseAllDocuments(run.stdout).map((d) => d.toJS());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('rendering SOPS-encrypted files', () => {
  it('renders what kustomize renders from the decrypted files, marking decrypted objects sensitive', async () => {
    const decryptor = createSopsDecryptor({
      kms: world.kms,
      ageIdentities: [world.age[0]?.identity ?? ''],
    });
    const result = await renderApp(new MemoryFileTree(encrypted), 'apps/shop', { decryptor });
    expect(result.objects).toEqual(kustomizeBuild(decrypted));

    const byName = Object.fromEntries(result.objects.map((o) => [o.metadata.name, o]));
    expect(byName.db?.stringData).toEqual({
      password: 'correct horse battery staple',
      port: '5432',
    });
    const env = result.objects.find((o) => o.metadata.name?.startsWith('app-env-'));
    expect(env?.data).toEqual({ API_KEY: btoa('k-123'), DB_PASSWORD: btoa('hunter2') });
    const tls = result.objects.find((o) => o.metadata.name?.startsWith('tls-'));
    expect(tls?.data).toEqual({ 'tls.key': btoa('-----BEGIN KEY-----\nopaque\n') });

    const key = (name: string) => {
      const object = result.objects.find((o) => o.metadata.name === name);
      if (!object) throw new Error(`no object ${name}`);
      return refKey(refOf(object));
    };
    expect(result.sensitive).toEqual(
      [key('db'), key(env?.metadata.name ?? ''), key(tls?.metadata.name ?? '')].sort(),
    );
    expect(result.sensitive).not.toContain(key('web'));
    expect(result.files).toContain('apps/shop/app.sops.env');
  });

  it('builds a secretGenerator over an encrypted binary file (every byte) as kustomize over sops -d does', async () => {
    const { readFileSync } = await import('node:fs');
    const der = Uint8Array.from({ length: 300 }, (_, i) => (i * 101 + 7) % 256);
    const dir = mkdtempSync(join(world.dir, 'der-'));
    writeFileSync(join(dir, 'key.der'), der);
    await world.run([
      '--encrypt',
      '--age',
      world.age[0]?.recipient ?? '',
      '--output',
      join(dir, 'key.sops.der'),
      join(dir, 'key.der'),
    ]);
    await world.run(['--decrypt', '--output', join(dir, 'plain.der'), join(dir, 'key.sops.der')]);
    const kustomization =
      'secretGenerator:\n  - name: keys\n    files:\n      - key.der=key.sops.der\n';
    const tree = {
      'apps/shop/kustomization.yaml': kustomization,
      'apps/shop/key.sops.der': new Uint8Array(readFileSync(join(dir, 'key.sops.der'))),
    };
    const plain = {
      ...tree,
      'apps/shop/key.sops.der': new Uint8Array(readFileSync(join(dir, 'plain.der'))),
    };
    const decryptor = createSopsDecryptor({ ageIdentities: [world.age[0]?.identity ?? ''] });
    const result = await renderApp(new MemoryFileTree(tree), 'apps/shop', { decryptor });
    // The Secret holds the same bytes as kustomize's over the `sops -d` output. (How kustomize
    // wraps long base64 values, and so the name hash, is the secretGenerator's business.)
    const [expected] = kustomizeBuild(plain) as { data: Record<string, string> }[];
    const data = (result.objects[0] as { data?: Record<string, string> }).data ?? {};
    const want = Buffer.from((expected?.data['key.der'] ?? '').replace(/\n/g, ''), 'base64');
    expect(want.equals(Buffer.from(der))).toBe(true);
    expect(Buffer.from(data['key.der'] ?? '', 'base64').equals(want)).toBe(true);
  });

  it('fails the render with a DecryptError when a file cannot be decrypted', async () => {
    const decryptor = createSopsDecryptor({ ageIdentities: [world.age[0]?.identity ?? ''] });
    const error = await renderApp(new MemoryFileTree(encrypted), 'apps/shop', { decryptor }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DecryptError);
    expect((error as DecryptError).file).toBe('apps/shop/secret.sops.yaml');
    expect((error as DecryptError).message).toContain('AWS KMS is not configured');
  });
});
