/**
 * SOPS-encrypted values files for a chart: decrypted in memory, handed to helm through pipes,
 * the chart's output marked sensitive (so plans and `plumbline render` mask it), and the same
 * objects as kustomize renders from the decrypted files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { refKey, refOf } from '../../../lib/core/object.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { maskObject } from '../../../lib/secrets/mask.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';
import { sopsEncryptYaml } from '../../env/sops-cli.ts';
import { writeTree } from './harness.ts';
import { chartFiles } from './helm-charts.ts';
import { kustomizeHelmBuild, testHelmSupport } from './helm-harness.ts';

const password = 'canary-b8e1-helm-values-secret';

const chart = chartFiles('app/charts/db', {
  name: 'db',
  values: 'auth:\n  password: changeme\n  user: app\nreplicas: 1\n',
  templates: {
    'secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-auth
stringData:
  password: {{ .Values.auth.password | quote }}
  user: {{ .Values.auth.user | quote }}
`,
    'statefulset.yaml': `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  serviceName: {{ .Release.Name }}
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations:
        checksum/password: {{ .Values.auth.password | sha256sum | trunc 12 | quote }}
    spec:
      containers:
      - name: db
        image: postgres:16
`,
  },
});

describe('SOPS-encrypted values files', () => {
  let identity: string;
  let encrypted: string;
  const cache = mkdtempSync(join(tmpdir(), 'plumbline-chart-cache-'));
  beforeAll(async () => {
    identity = await generateX25519Identity();
    encrypted = sopsEncryptYaml(`auth:\n  password: ${password}\nreplicas: 2\n`, [
      '--age',
      await identityToRecipient(identity),
    ]);
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('renders what kustomize renders from the decrypted file, and marks every chart object sensitive', async () => {
    const kustomization = {
      'app/kustomization.yaml':
        'helmCharts:\n- name: db\n  releaseName: db\n  additionalValuesFiles: [secrets.sops.yaml]\n',
    };
    expect(encrypted).not.toContain(password);
    const result = await renderApp(
      new MemoryFileTree({ ...kustomization, ...chart, 'app/secrets.sops.yaml': encrypted }),
      'app',
      {
        helm: testHelmSupport(cache),
        decryptor: createSopsDecryptor({ ageIdentities: [identity] }),
      },
    );
    const root = writeTree({
      ...kustomization,
      ...chart,
      'app/secrets.sops.yaml': `auth:\n  password: ${password}\nreplicas: 2\n`,
    });
    try {
      const expected = await kustomizeHelmBuild(join(root, 'app'));
      if (!expected.ok) throw new Error(expected.error);
      expect(result.objects).toEqual(parseAllDocuments(expected.text).map((d) => d.toJS()));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect(result.sensitive.sort()).toEqual(result.objects.map((o) => refKey(refOf(o))).sort());
    const shown = JSON.stringify(result.objects.map((o) => maskObject(o, { sensitive: true })));
    expect(shown).not.toContain(password);
    expect(result.files).toContain('app/secrets.sops.yaml');
  });

  it('changes the render digest when the encrypted values change, without hashing plaintext', async () => {
    const render = (file: string) =>
      renderApp(
        new MemoryFileTree({
          'app/kustomization.yaml':
            'helmCharts:\n- name: db\n  releaseName: db\n  valuesFile: secrets.sops.yaml\n',
          ...chart,
          'app/secrets.sops.yaml': file,
        }),
        'app',
        {
          helm: testHelmSupport(cache),
          decryptor: createSopsDecryptor({ ageIdentities: [identity] }),
        },
      );
    const again = sopsEncryptYaml(`auth:\n  password: ${password}-rotated\nreplicas: 2\n`, [
      '--age',
      await identityToRecipient(identity),
    ]);
    const [a, b] = await Promise.all([render(encrypted), render(again)]);
    expect(a.digest).not.toBe(b.digest);
  });
});
