/**
 * A real Kubernetes control plane for tests, what envtest does minus the download: etcd and
 * kube-apiserver on free loopback ports with a generated PKI, an admin credential (client
 * certificate and bearer token) and a service-account issuer so TokenRequest works; on request
 * also kube-controller-manager, kube-scheduler and KWOK with a fake Node, so Deployments become
 * Available.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { binary, testEnvRoot, versions } from './paths.ts';
import { createPki } from './pki.ts';
import {
  type Component,
  diagnose,
  freePort,
  startComponent,
  TestEnvError,
  waitUntilReady,
} from './processes.ts';

/** What tests get: how to reach the cluster as admin. Serializable (vitest `provide`). */
export interface TestCluster {
  /** `https://127.0.0.1:PORT`. */
  server: string;
  caPem: string;
  admin: { certPem: string; keyPem: string; token: string };
  /** Path of an admin kubeconfig (client certificate, embedded). */
  kubeconfig: string;
  /** True when the controller manager, the scheduler and KWOK run (workloads become ready). */
  workloads: boolean;
  /** Kubernetes version of the binaries. */
  version: string;
  /** The directory holding PKI, data and logs of this run. */
  dir: string;
}

/** Options of `startControlPlane`. */
export interface ControlPlaneOptions {
  /** Also run kube-controller-manager, kube-scheduler and KWOK with one fake Node. */
  workloads?: boolean;
  /** Fixed ports instead of free ones (tests of the harness itself). */
  ports?: { etcdClient?: number; etcdPeer?: number; apiserver?: number };
  /** Extra flags per component (tests of the harness itself). */
  extraArgs?: { etcd?: string[]; apiserver?: string[] };
  /** Keep the directory after `stop()` (it is always kept when a start fails). */
  keep?: boolean;
}

/** A started control plane. */
export interface ControlPlane {
  cluster: TestCluster;
  /** Admin `fetch` against the API server (CA trusted, client certificate presented). */
  request(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

const ADMIN_TOKEN_BYTES = 24;

function kubeconfigYaml(server: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caPem)}`,
    'users:',
    '- name: admin',
    '  user:',
    `    client-certificate-data: ${b64(certPem)}`,
    `    client-key-data: ${b64(keyPem)}`,
    'contexts:',
    '- name: test',
    '  context: {cluster: test, user: admin}',
    'current-context: test',
    '',
  ].join('\n');
}

/** Starts a control plane; on any failure stops what was started and throws naming the piece. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const workloads = options.workloads ?? false;
  // Resolve every binary first: a missing one is reported before anything starts.
  const bin = {
    etcd: binary('etcd'),
    apiserver: binary('kube-apiserver'),
    ...(workloads
      ? {
          controllerManager: binary('kube-controller-manager'),
          scheduler: binary('kube-scheduler'),
          kwok: binary('kwok'),
        }
      : {}),
  };
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-cluster-'));
  const components: Component[] = [];
  let failed = false;
  const stopAll = async () => {
    for (const component of [...components].reverse()) await component.stop();
  };
  try {
    const pki = createPki(dir);
    const token = randomToken();
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`);

    const etcdClient = options.ports?.etcdClient ?? (await freePort());
    const etcdPeer = options.ports?.etcdPeer ?? (await freePort());
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    mkdirSync(join(dir, 'etcd'));
    const etcd = startComponent(
      'etcd',
      bin.etcd,
      [
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
        ...(options.extraArgs?.etcd ?? []),
      ],
      join(dir, 'etcd.log'),
    );
    components.push(etcd);
    await waitUntilReady(
      etcd,
      async () => {
        const response = await fetch(`${etcdUrl}/health`);
        return response.ok && (await response.text()).includes('"health":"true"');
      },
      { port: etcdClient },
    );

    const port = options.ports?.apiserver ?? (await freePort());
    const server = `https://127.0.0.1:${port}`;
    const apiserver = startComponent(
      'kube-apiserver',
      bin.apiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        '--endpoint-reconciler-type=none',
        `--secure-port=${port}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        `--service-account-issuer=${server}`,
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        // Without a controller manager nothing creates the `default` ServiceAccount.
        ...(workloads ? [] : ['--disable-admission-plugins=ServiceAccount']),
        ...(options.extraArgs?.apiserver ?? []),
      ],
      join(dir, 'kube-apiserver.log'),
    );
    components.push(apiserver);

    const dispatcher = new Agent({
      connect: { ca: pki.caPem, cert: pki.adminCertPem, key: pki.adminKeyPem },
    });
    const request = async (path: string, init: RequestInit = {}) =>
      (await undiciFetch(`${server}${path}`, {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher,
      })) as unknown as Response;
    await waitUntilReady(apiserver, async () => (await request('/readyz')).ok, {
      port,
      timeoutMs: 90_000,
    });

    const kubeconfig = join(dir, 'admin.kubeconfig');
    writeFileSync(
      kubeconfig,
      kubeconfigYaml(server, pki.caPem, pki.adminCertPem, pki.adminKeyPem),
      { mode: 0o600 },
    );

    if (workloads) {
      await startWorkloads(dir, kubeconfig, pki, bin, components, request);
    }

    const cluster: TestCluster = {
      server,
      caPem: pki.caPem,
      admin: { certPem: pki.adminCertPem, keyPem: pki.adminKeyPem, token },
      kubeconfig,
      workloads,
      version: versions.KUBERNETES_VERSION ?? 'unknown',
      dir,
    };
    return {
      cluster,
      request,
      async stop() {
        await stopAll();
        await dispatcher.close();
        if (!options.keep && !failed) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    failed = true;
    await stopAll();
    if (error instanceof TestEnvError) {
      throw new TestEnvError(`${error.message}\n(all logs kept in ${dir})`);
    }
    throw error;
  }
}

/** Controller manager, scheduler, KWOK and one fake Node; waits until the Node is Ready. */
async function startWorkloads(
  dir: string,
  kubeconfig: string,
  pki: ReturnType<typeof createPki>,
  bin: { controllerManager?: string; scheduler?: string; kwok?: string },
  components: Component[],
  request: (path: string, init?: RequestInit) => Promise<Response>,
): Promise<void> {
  if (!bin.controllerManager || !bin.scheduler || !bin.kwok) throw new Error('unreachable');
  // Both run as admin, serve on a free loopback port, and never compete for a lease.
  const controllerFlags = async (name: string) => [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${await freePort()}`,
    `--cert-dir=${join(dir, name)}`,
  ];
  const controllerManager = startComponent(
    'kube-controller-manager',
    bin.controllerManager,
    [
      ...(await controllerFlags('controller-manager')),
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=false',
      '--controllers=*,-nodeipam,-persistentvolume-binder,-attachdetach,-persistentvolume-expander,-cloud-node-lifecycle,-ttl',
    ],
    join(dir, 'kube-controller-manager.log'),
  );
  components.push(controllerManager);
  const scheduler = startComponent(
    'kube-scheduler',
    bin.scheduler,
    await controllerFlags('scheduler'),
    join(dir, 'kube-scheduler.log'),
  );
  components.push(scheduler);

  const stagesDir = join(binary('kwok'), '..', '..', 'stages');
  const stages = [
    'node-initialize.yaml',
    'node-heartbeat.yaml',
    'pod-ready.yaml',
    'pod-complete.yaml',
    'pod-delete.yaml',
  ]
    .map((file) => readFileSync(join(stagesDir, file), 'utf8').trim())
    .join('\n---\n');
  writeFileSync(join(dir, 'kwok-stages.yaml'), `${stages}\n`);
  const kwok = startComponent(
    'kwok',
    bin.kwok,
    [
      `--kubeconfig=${kubeconfig}`,
      `--config=${join(dir, 'kwok-stages.yaml')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=10.0.0.10',
      '--cidr=10.1.0.0/16',
      `--server-address=127.0.0.1:${await freePort()}`,
    ],
    join(dir, 'kwok.log'),
  );
  components.push(kwok);

  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'kwok-node-0',
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': 'kwok-node-0',
        'kubernetes.io/os': 'linux',
        type: 'kwok',
      },
    },
    spec: {},
  };
  const created = await request('/api/v1/nodes', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(node),
  });
  if (!created.ok && created.status !== 409) {
    throw new TestEnvError(
      `could not create the fake Node: ${created.status} ${await created.text()}`,
    );
  }
  // KWOK marks the Node Ready once it manages it; the scheduler needs that to place pods.
  const deadline = Date.now() + 60_000;
  for (;;) {
    for (const component of [controllerManager, scheduler, kwok]) {
      if (component.exited() !== undefined) throw new TestEnvError(diagnose(component));
    }
    const response = await request('/api/v1/nodes/kwok-node-0');
    const body = response.ok
      ? ((await response.json()) as {
          status?: { conditions?: { type: string; status: string }[] };
        })
      : {};
    if ((body.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) {
      return;
    }
    if (Date.now() > deadline) {
      throw new TestEnvError(`the fake Node never became Ready: ${diagnose(kwok)}`);
    }
    await sleep(250);
  }
}

function randomToken(): string {
  const bytes = new Uint8Array(ADMIN_TOKEN_BYTES);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('hex');
}

/** Where install.sh put the components (for messages). */
export function componentsRoot(): string {
  return testEnvRoot();
}
