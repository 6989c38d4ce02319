/**
 * The embedded default: what `plumbline serve` (and `npm start`) runs when nothing is
 * configured. It watches one local Git repository, by default a demo repository it creates
 * in its data directory from `examples/` on first start, and deploys its `files` app to this
 * machine (a `local` host target whose only directory is under the data directory), with
 * self-heal on, a poll every 2 seconds and a sweep every 5: within a minute a new user sees a
 * commit deployed, a hand edit reported as drift and put back, and `git revert` roll back.
 * With `--kube`, the demo also deploys a small Kubernetes app to the cluster of the user's
 * kubeconfig, once that cluster answers.
 *
 * Nothing here is trusted more than any other configuration: the demo's `plumbline.yaml` is
 * what Plumbline writes into a repository it creates, and the bindings are the runtime
 * settings' (the layer under a settings file, the environment and flags).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageOf } from '../../lib/errors.ts';
import { runGit } from './git-cli.ts';

/** The demo repository's name in the settings, logs and history. */
export const DEMO_REPO = 'local/demo';
/** The local host binding of the embedded default. */
export const LOCAL_TARGET = 'this-machine';
/** The Kubernetes binding `--kube` adds. */
export const KUBE_TARGET = 'kubeconfig';
/** The namespace of the demo's Kubernetes app. */
export const KUBE_NAMESPACE = 'plumbline-demo';

/** What the embedded default is asked for. */
export interface EmbeddedOptions {
  /** Plumbline's data directory (`functions/node/data-dir.ts`). */
  dataDir: string;
  /** Where the demo repository lives (default `<dataDir>/demo`). */
  demoDir?: string;
  /** Watch this repository (a path or a Git URL) instead of the demo. */
  repo?: string;
  /** `examples/` of this checkout (default: found beside this file). */
  examplesDir?: string;
  /** Also deploy to this kubeconfig cluster (its server, checked to answer, and context). */
  kube?: { server: string; context: string };
}

/** The embedded default's settings and what to tell the user. */
export interface EmbeddedDefault {
  /** Raw runtime settings, validated like any settings file. */
  settings: Record<string, unknown>;
  /** The repository watched. */
  repo: { name: string; location: string };
  /** Where `files` apps of that repository may deploy. */
  liveDir: string;
  /** The demo, when the demo repository is the one watched. */
  demo?: { dir: string; page: string; created: boolean };
  /** Why the demo could not be set up (the server runs anyway, with nothing to watch). */
  problem?: string;
}

/** The `examples/` directory shipped with Plumbline. */
export function examplesDirectory(): string {
  return fileURLToPath(new URL('../../examples/', import.meta.url));
}

/** Seconds between polls of the watched repository and between sweeps. */
const POLL_SECONDS = 2;
const SWEEP_SECONDS = 5;

/**
 * Sets up the embedded default: creates the demo repository on first start (or adds the
 * Kubernetes app to it when `--kube` is new), and returns the settings to run with. Never
 * throws for a demo that cannot be created: `problem` says why, and the settings then watch
 * nothing.
 */
export async function embeddedDefault(options: EmbeddedOptions): Promise<EmbeddedDefault> {
  const dataDir = resolve(options.dataDir);
  const liveDir = join(dataDir, 'live');
  const targets: Record<string, unknown>[] = [];
  const name = options.repo === undefined ? DEMO_REPO : undefined;
  const bind = (repoName: string) => {
    targets.push({ kind: 'local', name: LOCAL_TARGET, repositories: [repoName], paths: [liveDir] });
    if (options.kube) {
      targets.push({
        kind: 'kubernetes',
        name: KUBE_TARGET,
        server: options.kube.server,
        credentials: { kubeconfig: { context: options.kube.context } },
        repositories: [repoName],
        namespaces: [KUBE_NAMESPACE],
      });
    }
  };
  const timers = { sweepIntervalSeconds: SWEEP_SECONDS };
  if (options.repo !== undefined) {
    const location = /^[./~]/.test(options.repo) ? resolve(options.repo) : options.repo;
    const entry = { url: location, pollIntervalSeconds: POLL_SECONDS };
    const { suggestedRepoName, parseGitRemote } = await import('../../lib/config/git-remote.ts');
    let repoName = 'local/repository';
    try {
      repoName = suggestedRepoName(parseGitRemote(location)) ?? repoName;
    } catch {
      // The settings validation names the problem with the location.
    }
    bind(repoName);
    return {
      settings: { ...timers, repositories: [{ fullName: repoName, ...entry }], targets },
      repo: { name: repoName, location },
      liveDir,
    };
  }
  const demoDir = resolve(options.demoDir ?? join(dataDir, 'demo'));
  const page = join(liveDir, 'site', 'html', 'index.html');
  const repo = { name: name ?? DEMO_REPO, location: demoDir };
  let created = false;
  try {
    mkdirSync(liveDir, { recursive: true, mode: 0o755 });
    created = await ensureDemo(demoDir, liveDir, options);
  } catch (error) {
    return {
      settings: { ...timers },
      repo,
      liveDir,
      problem: `the demo repository ${demoDir} cannot be set up: ${messageOf(error)}`,
    };
  }
  bind(repo.name);
  return {
    settings: {
      ...timers,
      repositories: [
        { fullName: repo.name, url: demoDir, trustedBranch: 'main', pollIntervalSeconds: 2 },
      ],
      targets,
    },
    repo,
    liveDir,
    demo: { dir: demoDir, page, created },
  };
}

/** The demo's `plumbline.yaml`. */
function demoConfig(liveDir: string, kube: boolean): string {
  return `# Plumbline's demo, created by \`npm start\` from examples/ (see examples/README.md).
# The site is a files app: its files are written beside the live ones, swapped in, and put
# back by the sweep when edited by hand (selfHeal). Its target, ${LOCAL_TARGET}, is this
# machine, bound in Plumbline's runtime settings to ${liveDir} only.
apps:
  - name: site
    kind: files
    path: site
    target: ${LOCAL_TARGET}
    destination: ${join(liveDir, 'site')}
    adopt: true
    selfHeal: true
${kube ? kubeApp() : ''}`;
}

function kubeApp(): string {
  return `  # The same page as a ConfigMap on the cluster of your kubeconfig (npm start -- --kube).
  - name: page
    path: kube
    target: ${KUBE_TARGET}
    namespace: ${KUBE_NAMESPACE}
    selfHeal: true
`;
}

const KUBE_FILES: Record<string, string> = {
  'kube/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${KUBE_NAMESPACE}
resources:
  - namespace.yaml
configMapGenerator:
  - name: page
    files:
      - index.html
`,
  'kube/namespace.yaml': `apiVersion: v1
kind: Namespace
metadata:
  name: ${KUBE_NAMESPACE}
`,
};

const PAGE_V1 = `<!doctype html>
<title>Plumbline demo</title>
<h1>Hello from Plumbline</h1>
<p>This page was deployed from the first commit of the demo repository.</p>
`;

const PAGE_V2 = `<!doctype html>
<title>Plumbline demo</title>
<h1>Hello from Plumbline</h1>
<p>This page was deployed from the second commit. <code>git revert HEAD</code> brings back the first.</p>
`;

const README = `# Plumbline demo

Created by \`npm start\`. Plumbline polls this repository every 2 seconds and deploys
\`site/\` to its live directory (see plumbline.yaml); a sweep every 5 seconds puts back any
file edited there by hand. Try:

- edit \`site/html/index.html\`, commit, and watch the live copy change;
- edit the live copy by hand, and watch the sweep report the drift and heal it;
- \`git revert HEAD\`, and watch the previous page come back.
`;

/** Creates the demo repository (two commits, so `git revert HEAD` has something to undo). */
async function ensureDemo(
  dir: string,
  liveDir: string,
  options: EmbeddedOptions,
): Promise<boolean> {
  if (existsSync(join(dir, '.git'))) {
    if (options.kube && !existsSync(join(dir, 'kube'))) await addKubeApp(dir, liveDir);
    return false;
  }
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new Error(
      'it exists and is not a Git repository; remove it, or name another with --demo-dir',
    );
  }
  const examples = options.examplesDir ?? examplesDirectory();
  mkdirSync(dir, { recursive: true });
  cpSync(join(examples, 'nginx'), join(dir, 'site'), { recursive: true });
  writeFileSync(join(dir, 'site', 'html', 'index.html'), PAGE_V1);
  writeFileSync(join(dir, 'README.md'), README);
  writeFileSync(join(dir, 'plumbline.yaml'), demoConfig(liveDir, options.kube !== undefined));
  if (options.kube) {
    for (const [path, text] of Object.entries(KUBE_FILES)) {
      mkdirSync(join(dir, 'kube'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    writeFileSync(join(dir, 'kube', 'index.html'), PAGE_V1);
  }
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  await commitAll(dir, 'Plumbline demo: the site from examples/nginx');
  writeFileSync(join(dir, 'site', 'html', 'index.html'), PAGE_V2);
  if (options.kube) writeFileSync(join(dir, 'kube', 'index.html'), PAGE_V2);
  await commitAll(dir, 'Say which commit the page comes from');
  return true;
}

async function addKubeApp(dir: string, liveDir: string): Promise<void> {
  for (const [path, text] of Object.entries(KUBE_FILES)) {
    mkdirSync(join(dir, 'kube'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(join(dir, 'kube', 'index.html'), PAGE_V2);
  writeFileSync(join(dir, 'plumbline.yaml'), demoConfig(liveDir, true));
  await commitAll(dir, 'Plumbline demo: deploy the page to the kubeconfig cluster too');
}

async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, ['add', '--all']);
  await git(dir, ['commit', '--quiet', '--no-verify', '-m', message]);
}

async function git(dir: string, args: string[]): Promise<void> {
  const result = await runGit(args, {
    cwd: dir,
    config: { 'user.name': 'Plumbline demo', 'user.email': 'demo@plumbline.invalid' },
  });
  if (result.code !== 0) {
    throw new Error(`git ${args[0]}: ${result.stderr.trim().split('\n')[0] ?? ''}`);
  }
}

/** What `npm start` prints under the URL: how to see the whole loop. */
export function embeddedInstructions(url: string, setup: EmbeddedDefault): string {
  const lines = [`Plumbline is running: ${url}`, ''];
  if (setup.problem) {
    lines.push(`  ${setup.problem}`, '  The server keeps running; fix it and restart.', '');
    return `${lines.join('\n')}\n`;
  }
  if (setup.demo) {
    const { dir, page } = setup.demo;
    lines.push(
      `  Watching the demo repository ${dir} (deploys to ${setup.liveDir}).`,
      `  Change it by hand and watch it heal:  echo hacked >> ${page}`,
      `  Roll back the last commit:            git -C ${dir} revert --no-edit HEAD`,
      `  Deploy a change of your own:          edit ${join(dir, 'site')}, then git -C ${dir} commit -am "..."`,
    );
  } else {
    lines.push(
      `  Watching ${setup.repo.location} as ${setup.repo.name}; its files apps may deploy to ${setup.liveDir} (target ${LOCAL_TARGET}).`,
    );
  }
  lines.push(
    `  Open ${url} to see each deploy, drift healed and rollback as it happens (the status page).`,
    '  Stop with Ctrl-C.',
    '',
  );
  return `${lines.join('\n')}\n`;
}
