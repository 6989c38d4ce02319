/**
 * The example repository (`examples/`) works as the README says: its plumbline.yaml parses,
 * both overlays render with the production Secret decrypted, the files apps load with the
 * compose .env decrypted to 0600, and the nginx configuration passes the real `nginx -t`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DirectoryFileTree } from '../../../functions/node/directory-tree.ts';
import { parseRepoConfig } from '../../../lib/config/parse-repo-config.ts';
import { loadDesiredFiles } from '../../../lib/hosts/desired-files.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { nginxBinary } from '../../env/nginx.ts';

const root = fileURLToPath(new URL('../../../examples/', import.meta.url));
const keys = readFileSync(
  fileURLToPath(new URL('../../fixtures/secrets/age-keys.txt', import.meta.url)),
  'utf8',
);
const decryptor = createSopsDecryptor({ ageIdentities: [keys] });
const tree = new DirectoryFileTree(root);
const config = parseRepoConfig(readFileSync(`${root}/plumbline.yaml`, 'utf8'));

describe('the example repository', () => {
  it('deploys the overlays to a cluster and nginx and compose to a host', () => {
    expect(config.apps.map((a) => `${a.name} ${a.kind} ${a.target}`)).toEqual([
      'shop-staging kubernetes production',
      'shop kubernetes production',
      'nginx files web-1',
      'shop-compose files web-1',
    ]);
  });

  it('renders both overlays, the production Secret decrypted', async () => {
    const staging = await renderApp(tree, 'overlays/staging', { decryptor });
    expect(staging.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      expect.stringMatching(/^ConfigMap\/shop-settings-[a-z0-9]{10}$/),
      'Deployment/shop',
      'Service/shop',
    ]);
    expect(staging.objects.find((o) => o.kind === 'ConfigMap')?.data).toEqual({
      LOG_LEVEL: 'debug',
    });
    const production = await renderApp(tree, 'overlays/production', { decryptor });
    const secret = production.objects.find((o) => o.kind === 'Secret');
    expect(secret?.stringData).toEqual({
      DATABASE_URL: 'postgres://shop:correct-horse-battery-staple@db.internal:5432/shop',
    });
    expect(production.sensitive.length).toBeGreaterThan(0);
    const deployment = production.objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { replicas: number };
    };
    expect(deployment.spec.replicas).toBe(3);
  });

  it('loads the files apps, the compose .env decrypted and written 0600', async () => {
    const compose = config.apps.find((a) => a.name === 'shop-compose');
    if (compose?.kind !== 'files') throw new Error('shop-compose is not a files app');
    const files = await loadDesiredFiles(tree, compose, decryptor);
    expect(files.files.map((f) => `${f.path} ${f.mode.toString(8)} ${f.sensitive}`)).toEqual([
      '.env 600 true',
      '.env.example 644 false',
      'docker-compose.yml 644 false',
    ]);
    expect(new TextDecoder().decode(files.files[0]?.content)).toContain(
      'POSTGRES_PASSWORD=correct-horse-battery-staple',
    );
  });

  it('passes the real nginx -t (as root: nginx tests its pid and log paths)', () => {
    if (process.getuid?.() !== 0)
      throw new Error('nginx -t of /etc/nginx-style paths needs root (CI runs as root)');
    const out = execFileSync(nginxBinary(), ['-t', '-c', `${root}nginx/nginx.conf`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toBe('');
  });
});
