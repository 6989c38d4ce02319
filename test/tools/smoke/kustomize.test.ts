import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { binary, versions } from '../../env/paths.ts';

describe('the kustomize of the test environment', () => {
  const root = mkdtempSync(join(tmpdir(), 'plumbline-kustomize-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function write(files: Record<string, string>): void {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
  }

  it('is the pinned tagged release', () => {
    const version = execFileSync(binary('kustomize'), ['version'], { encoding: 'utf8' });
    expect(version.trim()).toBe(versions.KUSTOMIZE_VERSION);
  });

  it('builds an overlay over a base with a generator and a prefix', () => {
    write({
      'base/kustomization.yaml': 'resources: [deployment.yaml]\n',
      'base/deployment.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web}',
        'spec:',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        '    spec:',
        '      containers:',
        '      - name: web',
        '        image: nginx',
        '        envFrom: [{configMapRef: {name: settings}}]',
        '',
      ].join('\n'),
      'overlay/kustomization.yaml': [
        'resources: [../base]',
        'namePrefix: prod-',
        'namespace: shop',
        'configMapGenerator:',
        '- name: settings',
        '  literals: [color=blue]',
        '',
      ].join('\n'),
    });
    const output = execFileSync(binary('kustomize'), ['build', join(root, 'overlay')], {
      encoding: 'utf8',
    });
    const objects = parseAllDocuments(output).map((doc) => doc.toJS());
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      expect.stringMatching(/^ConfigMap\/shop\/prod-settings-[a-z0-9]{10}$/),
      'Deployment/shop/prod-web',
    ]);
    const configMapName = objects[0].metadata.name;
    expect(objects[1].spec.template.spec.containers[0].envFrom[0].configMapRef.name).toBe(
      configMapName,
    );
  });
});
