/**
 * Where the test environment's components live: the versions in `versions.env`, built by
 * `install.sh` into the user's cache directory. `binary()` fails loudly, naming the missing
 * component and the command that installs it; a test never silently skips.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The component versions from `versions.env`. */
export const versions: Readonly<Record<string, string>> = Object.fromEntries(
  readFileSync(join(here, 'versions.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq), line.slice(eq + 1).trim()];
    }),
);

/** The directory install.sh builds into (same rule as the script). */
export function testEnvRoot(): string {
  const cache =
    process.env.PLUMBLINE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'plumbline');
  return join(cache, 'testenv');
}

/** Which component directory holds each binary, and the version it is keyed by. */
const components: Record<string, { prefix: string; version: string }> = {
  'kube-apiserver': { prefix: 'kubernetes', version: 'KUBERNETES_VERSION' },
  'kube-controller-manager': { prefix: 'kubernetes', version: 'KUBERNETES_VERSION' },
  'kube-scheduler': { prefix: 'kubernetes', version: 'KUBERNETES_VERSION' },
  kubectl: { prefix: 'kubernetes', version: 'KUBERNETES_VERSION' },
  etcd: { prefix: 'etcd', version: 'ETCD_VERSION' },
  kwok: { prefix: 'kwok', version: 'KWOK_VERSION' },
  sops: { prefix: 'sops', version: 'SOPS_VERSION' },
  kustomize: { prefix: 'kustomize', version: 'KUSTOMIZE_VERSION' },
  helm: { prefix: 'helm', version: 'HELM_VERSION' },
  registry: { prefix: 'registry', version: 'REGISTRY_VERSION' },
  moto_server: { prefix: 'moto', version: 'MOTO_VERSION' },
  // The oldest Node.js the npm package supports, not the project's own Node.
  node: { prefix: 'node', version: 'NODE_MINIMUM_VERSION' },
};

/** The names of the test environment's binaries. */
export type ComponentBinary = keyof typeof components;

/** Absolute path of a built component binary; throws naming what is missing and how to fix it. */
export function binary(name: ComponentBinary): string {
  const component = components[name];
  if (!component) throw new Error(`test environment: unknown component ${name}`);
  const version = versions[component.version];
  const root = testEnvRoot();
  const stem = `${component.prefix}-${version}`;
  const dirs = existsSync(root)
    ? readdirSync(root).filter((d) => d === stem || d.startsWith(`${stem}-`))
    : [];
  for (const dir of dirs.sort().reverse()) {
    const path = join(root, dir, 'bin', name);
    if (existsSync(join(root, dir, '.complete')) && existsSync(path)) return path;
  }
  throw new Error(
    `test environment: ${name} (${component.prefix} ${version}) is not built in ${root}. ` +
      `Run 'bash test/env/install.sh' (npm test does it first) and look at its output.`,
  );
}
