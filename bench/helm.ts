/**
 * `npm run bench:helm`: an app made of a chart of about 50 objects from an HTTP chart
 * repository plus three overlays, rendered by `plumbline render` and by `kustomize build
 * --enable-helm` (the test environment's binaries, the same helm for both) in the same run,
 * outputs compared byte for byte:
 *   - cold: no chart on the machine yet (Plumbline: empty chart cache; kustomize: no pulled
 *     chart under the chart home), so each tool downloads the chart;
 *   - cached: the chart already there (Plumbline: its cache by digest; kustomize: the chart it
 *     pulled into the chart home last time).
 * Prints figures; it asserts nothing about time.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatChartLock } from '../lib/render/helm-lock.ts';
import { startChartRepository } from '../test/env/chart-servers.ts';
import { binary } from '../test/env/paths.ts';

const cli = fileURLToPath(new URL('../functions/cli.ts', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 5);
const components = 16; // a Deployment, a Service and a ConfigMap each, plus 2 shared objects

/** A chart rendering 3 objects per component and 2 shared ones. */
function benchChart(): Record<string, string> {
  const names = Array.from({ length: components }, (_, i) => `svc${i}`);
  return {
    'Chart.yaml': 'apiVersion: v2\nname: fleet\nversion: 2.3.4\nappVersion: "2.3"\n',
    'values.yaml': `image: nginx:1.25\nreplicas: 1\ncomponents:\n${names.map((n) => `- name: ${n}\n  port: 8080`).join('\n')}\n`,
    'templates/_helpers.tpl': `{{- define "fleet.labels" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .c.name }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}
`,
    'templates/shared.yaml': `apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ .Release.Name }}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list]
`,
    'templates/components.yaml': `{{- range .Values.components }}
{{- $ctx := dict "root" $ "c" . }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}-config
  labels:
    {{- include "fleet.labels" $ctx | nindent 4 }}
data:
  PORT: {{ .port | quote }}
  MODE: {{ $.Values.mode | default "prod" | quote }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  labels:
    {{- include "fleet.labels" $ctx | nindent 4 }}
spec:
  selector:
    app.kubernetes.io/component: {{ .name }}
  ports:
  - port: 80
    targetPort: {{ .port }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  labels:
    {{- include "fleet.labels" $ctx | nindent 4 }}
spec:
  replicas: {{ $.Values.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/component: {{ .name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/component: {{ .name }}
    spec:
      serviceAccountName: {{ $.Release.Name }}
      containers:
      - name: app
        image: {{ $.Values.image }}
        envFrom:
        - configMapRef:
            name: {{ .name }}-config
{{- end }}
`,
  };
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function check(m: Measurement, what: string): void {
  if (m.status !== 0) throw new Error(`${what} failed (${m.status}): ${m.stderr}`);
}

/** What one run cost: wall time and CPU time (user + system, helm children included). */
interface Measurement {
  wallMs: number;
  cpuMs: number;
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command under GNU time for its CPU time: on a shared, loaded machine wall time is
 * mostly waiting for a core, while CPU time is the work each tool did.
 */
function measure(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Measurement> {
  const report = join(
    tmpdir(),
    `plumbline-bench-helm-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', report, command, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const last = readFileSync(report, 'utf8').trim().split('\n').at(-1) ?? '0 0';
      const [user, sys] = last.split(' ').map(Number);
      rmSync(report, { force: true });
      resolve({
        wallMs,
        cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000,
        status: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

const repo = await startChartRepository();
const work = mkdtempSync(join(tmpdir(), 'plumbline-bench-helm-'));
try {
  const digest = repo.publish(benchChart());
  const overlays = ['dev', 'staging', 'prod'];
  const tree: Record<string, string> = {
    'plumbline.lock.yaml': formatChartLock([
      { repo: repo.url, name: 'fleet', version: '2.3.4', digest },
    ]),
  };
  for (const [i, env] of overlays.entries()) {
    tree[`apps/fleet/${env}/kustomization.yaml`] = `namespace: fleet-${env}
namePrefix: ${env}-
commonLabels:
  env: ${env}
images:
- name: nginx
  newTag: "1.2${i + 5}"
helmCharts:
- name: fleet
  repo: ${repo.url}
  version: 2.3.4
  releaseName: fleet
  valuesInline:
    replicas: ${i + 1}
    mode: ${env}
patches:
- target: {kind: Deployment}
  patch: |
    - op: add
      path: /spec/template/metadata/annotations
      value: {tier: ${env}}
`;
  }
  const source = join(work, 'source');
  write(source, tree);
  const apps = overlays.map((env) => `apps/fleet/${env}`);

  const helm = binary('helm');
  const kustomize = binary('kustomize');
  // Node's compile cache, as an installed (precompiled) CLI behaves: see bench/render.ts.
  const compileCache = join(work, '.node-compile-cache');
  const env = (cache: string, home: string) => ({
    NODE_COMPILE_CACHE: compileCache,
    PLUMBLINE_HELM: helm,
    PLUMBLINE_HELM_PLAIN_HTTP_HOSTS: '127.0.0.1',
    PLUMBLINE_CHART_CACHE_DIR: cache,
    HOME: home,
  });

  const plainLabel = 'plumbline, the same objects as plain manifests';
  const results = new Map<string, Measurement[]>();
  const record = (what: string, m: Measurement) =>
    results.set(what, [...(results.get(what) ?? []), m]);
  let identical = true;
  let objects = 0;
  for (let run = 0; run < runs; run++) {
    // A fresh copy per run: kustomize pulls charts into the tree, Plumbline into its cache.
    const root = join(work, `run-${run}`);
    cpSync(source, root, { recursive: true });
    const cache = join(work, `cache-${run}`);
    const home = join(work, `home-${run}`);
    mkdirSync(home, { recursive: true });
    const plumbline = () =>
      measure(
        process.execPath,
        [cli, 'render', '--root', root, ...apps.map((a) => join(root, a))],
        root,
        env(cache, home),
      );
    const kustomizeAll = async (): Promise<Measurement> => {
      const out: Measurement[] = [];
      for (const app of apps) {
        const m = await measure(
          kustomize,
          ['build', '--enable-helm', '--helm-command', helm, join(root, app)],
          root,
          { HOME: home },
        );
        check(m, `kustomize build ${app}`);
        out.push(m);
      }
      return {
        wallMs: out.reduce((sum, m) => sum + m.wallMs, 0),
        cpuMs: out.reduce((sum, m) => sum + m.cpuMs, 0),
        status: 0,
        stdout: out.map((m) => m.stdout).join('---\n'),
        stderr: '',
      };
    };
    const pCold = await plumbline();
    check(pCold, 'plumbline render (cold)');
    const pWarm = await plumbline();
    check(pWarm, 'plumbline render (cached)');
    const kCold = await kustomizeAll();
    const kWarm = await kustomizeAll();
    // The floor: Plumbline rendering the very same objects committed as plain manifests.
    const plain = join(work, `plain-${run}`);
    write(
      plain,
      Object.fromEntries(kWarm.stdout.split(/^---$/m).map((doc, i) => [`objects/${i}.yaml`, doc])),
    );
    const pPlain = await measure(
      process.execPath,
      [cli, 'render', '--root', plain, join(plain, 'objects')],
      plain,
      env(cache, home),
    );
    check(pPlain, 'plumbline render (plain manifests)');
    record('plumbline cold', pCold);
    record('plumbline cached', pWarm);
    record('kustomize cold', kCold);
    record('kustomize cached', kWarm);
    record(plainLabel, pPlain);
    identical &&= pCold.stdout === kCold.stdout && pWarm.stdout === kWarm.stdout;
    objects = kWarm.stdout.split(/^---$/m).length;
  }
  console.log(
    `helm benchmark: ${overlays.length} overlays of one chart (${objects / overlays.length} objects each, ${objects} in all), ${runs} runs, medians`,
  );
  console.log(`  ${''.padEnd(46)}   wall     CPU (user+sys, helm included)`);
  for (const [what, ms] of results) {
    const wall = (median(ms.map((m) => m.wallMs)) / 1000).toFixed(2);
    const cpu = (median(ms.map((m) => m.cpuMs)) / 1000).toFixed(2);
    console.log(`  ${what.padEnd(46)} ${wall} s   ${cpu} s`);
  }
  console.log(`  outputs identical to kustomize build --enable-helm: ${identical ? 'yes' : 'NO'}`);
  console.log(
    `  chart downloads served: ${repo.requests.filter((p) => p.endsWith('.tgz')).length}`,
  );
} finally {
  await repo.stop();
  rmSync(work, { recursive: true, force: true });
}
