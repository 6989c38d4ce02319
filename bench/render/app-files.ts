/**
 * The files of the render benchmark's apps, as text: shared bases, one overlay per app
 * (namespace, prefix, labels, images, replicas, strategic merge and JSON patches, ConfigMap and
 * Secret generators, extra resources), and large single apps for the memory figures.
 * Deterministic and free of Node APIs, so the workerd harness renders the very same files.
 */

/** Repository-relative path to file text. */
export type Files = Record<string, string>;

/** The files of shared base `b`. */
export function baseFiles(b: number): Files {
  const name = `svc${b}`;
  return {
    [`bases/${name}/kustomization.yaml`]: `resources:\n- workload.yaml\n- rbac.yaml\n- policy.yaml\nconfigMapGenerator:\n- name: ${name}-config\n  literals:\n  - LOG_LEVEL=info\n  - BASE=${b}\n`,
    [`bases/${name}/workload.yaml`]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      serviceAccountName: ${name}
      containers:
      - name: app
        image: registry.example.com/${name}:1.0.0
        ports:
        - containerPort: 8080
        envFrom:
        - configMapRef: {name: ${name}-config}
        env:
        - name: MODE
          value: base
        resources:
          requests: {cpu: 100m, memory: 128Mi}
      - name: proxy
        image: envoyproxy/envoy:v1.30.0
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ${name}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}
  minReplicas: 2
  maxReplicas: 10
`,
    [`bases/${name}/rbac.yaml`]: `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ${name}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${name}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${name}}
subjects:
- kind: ServiceAccount
  name: ${name}
`,
    [`bases/${name}/policy.yaml`]: `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${name}
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: ${name}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}
spec:
  podSelector:
    matchLabels: {app: ${name}}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: ${name}}
`,
  };
}

/** The directory of app `i`. */
export function appDir(i: number): string {
  return `apps/app-${String(i).padStart(3, '0')}`;
}

/** The overlay of app `i` over base `i % bases`. */
export function appFiles(i: number, bases: number): Files {
  const b = i % bases;
  const base = `svc${b}`;
  const dir = appDir(i);
  return {
    [`${dir}/kustomization.yaml`]: `resources:
- ../../bases/${base}
- extra.yaml
namespace: team-${i % 17}
namePrefix: a${i}-
commonLabels:
  app.kubernetes.io/part-of: app-${i}
labels:
- pairs: {cost-center: cc-${i % 5}}
commonAnnotations:
  owner: team-${i % 17}
images:
- name: registry.example.com/${base}
  newTag: "1.${i}.0"
replicas:
- name: ${base}
  count: ${1 + (i % 5)}
patches:
- path: resources.yaml
- target: {kind: Service}
  patch: |-
    - op: add
      path: /spec/ports/-
      value: {name: metrics, port: 9090, targetPort: 9090}
configMapGenerator:
- name: ${base}-config
  behavior: merge
  literals:
  - APP=${i}
  envs: [app.env]
secretGenerator:
- name: credentials
  literals:
  - token=t-${i}
`,
    [`${dir}/resources.yaml`]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${base}
spec:
  template:
    spec:
      containers:
      - name: app
        env:
        - name: MODE
          value: app-${i}
        - name: TOKEN
          valueFrom:
            secretKeyRef: {name: credentials, key: token}
`,
    [`${dir}/app.env`]: `FEATURE_X=${i % 2 === 0}\nREGION=eu-${i % 3}\n`,
    [`${dir}/extra.yaml`]: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  schedule: "0 ${i % 24} * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: cleanup
            image: registry.example.com/${base}:1.0.0
            envFrom:
            - configMapRef: {name: ${base}-config}
`,
  };
}

/**
 * One kustomization rendering every app: the whole repository as one `kustomize build`, so
 * both tools can do the same whole-repository work in one process.
 */
export function allAppsFiles(apps: number): Files {
  const resources = Array.from({ length: apps }, (_, i) => `- ../${appDir(i).slice(5)}`);
  return { 'apps/all/kustomization.yaml': `resources:\n${resources.join('\n')}\n` };
}

/** The directory of the single app of `objects` objects. */
export function bigAppDir(objects: number): string {
  return `apps/big-${objects}`;
}

/**
 * One app of exactly `objects` objects: ConfigMaps and Services from one file, a namespace and
 * labels set on all of them, and a ConfigMap and a Secret generated.
 */
export function bigAppFiles(objects: number): Files {
  const docs: string[] = [];
  for (let i = 0; docs.length < objects - 2; i++) {
    docs.push(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  labels: {index: "${i}"}\ndata:\n  key: value-${i}\n  other: "${'x'.repeat(40)}"\n`,
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${i}\nspec:\n  selector: {app: a${i}}\n  ports:\n  - port: 80\n`,
    );
  }
  const dir = bigAppDir(objects);
  return {
    [`${dir}/kustomization.yaml`]: `resources: [objects.yaml]\nnamespace: big\ncommonLabels: {app: big}\nconfigMapGenerator:\n- name: settings\n  literals: [a=1]\nsecretGenerator:\n- name: creds\n  literals: [b=2]\n`,
    [`${dir}/objects.yaml`]: docs.slice(0, objects - 2).join('---\n'),
  };
}
