/** Hand-written conformance cases: every supported field, combinations, and shared failures. */
import type { ConformanceCase } from './harness.ts';

/** A Deployment that refers to a ConfigMap, a Secret, a ServiceAccount and a PVC. */
export const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      serviceAccountName: runner
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: prod
        - name: KEY
          valueFrom:
            configMapKeyRef:
              name: cfg
              key: a
        envFrom:
        - secretRef:
            name: creds
        volumeMounts:
        - name: data
          mountPath: /data
      - name: sidecar
        image: busybox
        args: ["sleep", "1000"]
      volumes:
      - name: data
        persistentVolumeClaim:
          claimName: data
      - name: config
        configMap:
          name: cfg
`;

export const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 80
`;

export const rbac = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: runner
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
subjects:
- kind: ServiceAccount
  name: runner
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: global
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- kind: ServiceAccount
  name: default
  namespace: default
- kind: ServiceAccount
  name: runner
  namespace: default
`;

export const pvc = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
`;

export const cronjob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: tick
            image: busybox:1.36
            envFrom:
            - configMapRef:
                name: cfg
`;

export const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object}
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec:
  items:
  - name: a
    size: 1
  - name: b
    size: 2
`;

export const misc = `apiVersion: v1
kind: Namespace
metadata:
  name: tools
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  tls:
  - secretName: tls
  rules:
  - host: a.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port: {number: 80}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 1
  maxReplicas: 3
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: web
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: hook
webhooks:
- name: hook.example.com
  clientConfig:
    service:
      name: web
      namespace: default
  admissionReviewVersions: [v1]
  sideEffects: None
`;

const base = {
  'base/kustomization.yaml':
    'resources:\n- deployment.yaml\n- service.yaml\n- rbac.yaml\n- pvc.yaml\n',
  'base/deployment.yaml': deployment,
  'base/service.yaml': service,
  'base/rbac.yaml': rbac,
  'base/pvc.yaml': pvc,
};

function app(kustomization: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...base, 'app/kustomization.yaml': kustomization, ...extra };
}

/** The hand-written cases. */
export const cases: ConformanceCase[] = [
  {
    name: 'plain resources file',
    files: { 'app/kustomization.yaml': 'resources: [d.yaml]\n', 'app/d.yaml': deployment },
  },
  {
    name: 'multi-document file',
    files: {
      'app/kustomization.yaml': 'resources: [all.yaml]\n',
      'app/all.yaml': `${deployment}---\n${service}---\n${pvc}`,
    },
  },
  {
    name: 'List kind expanded',
    files: {
      'app/kustomization.yaml': 'resources: [list.yaml]\n',
      'app/list.yaml':
        'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data: {x: "1"}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n  spec: {ports: [{port: 1}]}\n',
    },
  },
  { name: 'base directory', files: app('resources: [../base]\n') },
  { name: 'bases field', files: app('bases: [../base]\n') },
  {
    name: 'legacy order of many kinds',
    files: app('resources: [../base, misc.yaml, cron.yaml, crd.yaml]\n', {
      'app/misc.yaml': misc,
      'app/cron.yaml': cronjob,
      'app/crd.yaml': crd,
    }),
  },
  {
    name: 'fifo order',
    files: app('resources: [misc.yaml, ../base]\nsortOptions:\n  order: fifo\n', {
      'app/misc.yaml': misc,
    }),
  },
  {
    name: 'legacy order with custom options',
    files: app(
      'resources: [../base]\nsortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst: [Service, PersistentVolumeClaim]\n    orderLast: [ServiceAccount]\n',
    ),
  },
  {
    name: 'namespace',
    files: app('resources: [../base, misc.yaml]\nnamespace: prod\n', { 'app/misc.yaml': misc }),
  },
  {
    name: 'name prefix with references',
    files: app('resources: [../base, misc.yaml, cron.yaml]\nnamePrefix: pre-\n', {
      'app/misc.yaml': misc,
      'app/cron.yaml': cronjob,
    }),
  },
  {
    name: 'name suffix with references',
    files: app('resources: [../base, misc.yaml]\nnameSuffix: -v2\n', { 'app/misc.yaml': misc }),
  },
  {
    name: 'prefix, suffix and namespace together',
    files: app(
      'resources: [../base, misc.yaml]\nnamePrefix: a-\nnameSuffix: -z\nnamespace: ns1\n',
      { 'app/misc.yaml': misc },
    ),
  },
  {
    name: 'prefixes stacked over two levels',
    files: {
      ...app('resources: [../mid]\nnamePrefix: outer-\n'),
      'mid/kustomization.yaml': 'resources: [../base]\nnamePrefix: inner-\nnamespace: mid\n',
    },
  },
  {
    name: 'commonLabels on selectors and templates',
    files: app(
      'resources: [../base, misc.yaml, cron.yaml]\ncommonLabels:\n  team: blue\n  tier: web\n',
      { 'app/misc.yaml': misc, 'app/cron.yaml': cronjob },
    ),
  },
  {
    name: 'labels without selectors',
    files: app('resources: [../base]\nlabels:\n- pairs:\n    team: blue\n'),
  },
  {
    name: 'labels with includeSelectors',
    files: app(
      'resources: [../base]\nlabels:\n- pairs:\n    team: blue\n  includeSelectors: true\n',
    ),
  },
  {
    name: 'labels with includeTemplates',
    files: app(
      'resources: [../base, cron.yaml]\nlabels:\n- pairs:\n    team: blue\n  includeTemplates: true\n',
      { 'app/cron.yaml': cronjob },
    ),
  },
  {
    name: 'labels with custom fields',
    files: app(
      'resources: [../base]\nlabels:\n- pairs:\n    owner: me\n  fields:\n  - path: spec/template/metadata/labels\n    kind: Deployment\n    create: true\n',
    ),
  },
  {
    name: 'commonAnnotations',
    files: app(
      'resources: [../base, cron.yaml]\ncommonAnnotations:\n  note: "hello"\n  number: "42"\n',
      { 'app/cron.yaml': cronjob },
    ),
  },
  {
    name: 'images newTag',
    files: app('resources: [../base]\nimages:\n- name: nginx\n  newTag: "1.27"\n'),
  },
  {
    name: 'images newName and digest',
    files: app(
      'resources: [../base, cron.yaml]\nimages:\n- name: busybox\n  newName: registry.example.com/busybox\n  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n',
      { 'app/cron.yaml': cronjob },
    ),
  },
  {
    name: 'images on a custom resource',
    files: app('resources: [w.yaml]\nimages:\n- name: nginx\n  newName: my/nginx\n  newTag: v1\n', {
      'app/w.yaml':
        'apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  pod:\n    containers:\n    - name: x\n      image: nginx:1\n',
    }),
  },
  { name: 'replicas', files: app('resources: [../base]\nreplicas:\n- name: web\n  count: 5\n') },
  {
    name: 'replicas after a prefix',
    files: {
      ...app('resources: [../mid]\nreplicas:\n- name: web\n  count: 2\n'),
      'mid/kustomization.yaml': 'resources: [../base]\nnamePrefix: m-\n',
    },
  },
  {
    name: 'configMapGenerator literals',
    files: app(
      'resources: [../base]\nconfigMapGenerator:\n- name: cfg\n  literals:\n  - a=1\n  - b="quoted"\n  - c=with=equals\n',
    ),
  },
  {
    name: 'configMapGenerator files and envs',
    files: app(
      'resources: [../base]\nconfigMapGenerator:\n- name: cfg\n  files: [config.json, renamed=extra.txt]\n  envs: [vars.env]\n',
      {
        'app/config.json': '{"a": 1}\n',
        'app/extra.txt': 'line1\nline2\n',
        'app/vars.env': '# comment\nA=1\n  B = 2\nEMPTY=\nC\n',
      },
    ),
  },
  {
    name: 'secretGenerator with type',
    files: app(
      'resources: [../base]\nsecretGenerator:\n- name: creds\n  literals: [user=admin, pass=s3cr3t]\n- name: tls\n  type: kubernetes.io/tls\n  files: [tls.crt, tls.key]\n',
      { 'app/tls.crt': 'CERT\n', 'app/tls.key': 'KEY\n' },
    ),
  },
  {
    name: 'generatorOptions',
    files: app(
      'resources: [../base]\ngeneratorOptions:\n  labels: {gen: "yes"}\n  annotations: {a: b}\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n  options:\n    labels: {local: x}\n',
    ),
  },
  {
    name: 'generator without hash',
    files: app(
      'resources: [../base]\ngeneratorOptions:\n  disableNameSuffixHash: true\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\nsecretGenerator:\n- name: creds\n  literals: [a=1]\n  options:\n    disableNameSuffixHash: false\n',
    ),
  },
  {
    name: 'immutable generator',
    files: app(
      'resources: [../base]\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n  options:\n    immutable: true\n',
    ),
  },
  {
    name: 'generator with namespace',
    files: app('configMapGenerator:\n- name: cfg\n  namespace: other\n  literals: [a=1]\n'),
  },
  {
    name: 'generator hash with prefix and namespace',
    files: app(
      'resources: [../base, cron.yaml]\nnamePrefix: p-\nnamespace: nn\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\nsecretGenerator:\n- name: creds\n  literals: [a=1]\n',
      { 'app/cron.yaml': cronjob },
    ),
  },
  {
    name: 'generator merge behavior over a base',
    files: {
      ...app(
        'resources: [../gen]\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [b=2, a=override]\n',
      ),
      'gen/kustomization.yaml':
        'resources: [../base]\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n',
    },
  },
  {
    name: 'generator replace behavior over a base',
    files: {
      ...app(
        'resources: [../gen]\nconfigMapGenerator:\n- name: cfg\n  behavior: replace\n  literals: [z=26]\n',
      ),
      'gen/kustomization.yaml':
        'resources: [../base]\nnamePrefix: g-\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n',
    },
  },
  {
    name: 'binary data in a generated ConfigMap',
    files: app('configMapGenerator:\n- name: bin\n  files: [blob.bin]\n', {
      'app/blob.bin': '\u00ff\u00fe',
    }),
  },
  {
    name: 'SMP patch from a file',
    files: app('resources: [../base]\npatches:\n- path: patch.yaml\n', {
      'app/patch.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:2\n        env:\n        - name: NEW\n          value: "1"\n',
    }),
  },
  {
    name: 'SMP inline patch adds a container and a volume',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: extra\n            image: redis\n          volumes:\n          - name: cache\n            emptyDir: {}\n',
    ),
  },
  {
    name: 'SMP $patch delete on a list element',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: sidecar\n            $patch: delete\n',
    ),
  },
  {
    name: 'SMP $patch replace on a map',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      selector:\n        $patch: replace\n        matchLabels:\n          only: this\n',
    ),
  },
  {
    name: 'SMP $patch replace on a list',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - $patch: replace\n          - name: only\n            image: alpine\n',
    ),
  },
  {
    name: 'SMP null deletes a field',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n      labels:\n        app: null\n    spec:\n      replicas: null\n',
    ),
  },
  {
    name: 'SMP $patch delete removes the resource',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: Service\n    metadata:\n      name: web\n    $patch: delete\n',
    ),
  },
  {
    name: 'SMP merge keys: ports, env, volumeMounts',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            ports:\n            - containerPort: 8080\n              name: alt\n            env:\n            - name: MODE\n              value: dev\n            volumeMounts:\n            - mountPath: /data\n              readOnly: true\n- patch: |-\n    apiVersion: v1\n    kind: Service\n    metadata:\n      name: web\n    spec:\n      ports:\n      - port: 443\n        name: https\n      - port: 80\n        targetPort: 8080\n',
    ),
  },
  {
    name: 'SMP on a custom resource replaces lists',
    files: app(
      'resources: [crd.yaml]\npatches:\n- patch: |-\n    apiVersion: example.com/v1\n    kind: Widget\n    metadata:\n      name: w1\n    spec:\n      items:\n      - name: c\n        size: 3\n',
      { 'app/crd.yaml': crd },
    ),
  },
  {
    name: 'SMP targeted by label selector',
    files: app(
      'resources: [../base]\npatches:\n- target:\n    labelSelector: app=web\n  patch: |-\n    apiVersion: v1\n    kind: Any\n    metadata:\n      name: any\n      annotations:\n        patched: "true"\n',
    ),
  },
  {
    name: 'SMP targeted by kind regex',
    files: app(
      'resources: [../base, misc.yaml]\npatches:\n- target:\n    kind: (Service|Ingress)\n  patch: |-\n    kind: Service\n    metadata:\n      name: x\n      labels:\n        exposed: "yes"\n',
      { 'app/misc.yaml': misc },
    ),
  },
  {
    name: 'patchesStrategicMerge file and inline',
    files: app(
      'resources: [../base]\npatchesStrategicMerge:\n- p1.yaml\n- |-\n  apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n  spec:\n    type: NodePort\n',
      {
        'app/p1.yaml':
          'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 7\n',
      },
    ),
  },
  {
    name: 'JSON 6902 inline YAML ops',
    files: app(
      'resources: [../base]\npatches:\n- target:\n    kind: Deployment\n    name: web\n  patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 4\n    - op: add\n      path: /spec/template/spec/containers/0/args\n      value: ["--verbose"]\n    - op: remove\n      path: /spec/template/spec/containers/1\n    - op: add\n      path: /metadata/annotations\n      value: {a: b}\n',
    ),
  },
  {
    name: 'JSON 6902 from a JSON file',
    files: app(
      'resources: [../base]\npatches:\n- target:\n    version: v1\n    kind: Service\n    name: web\n  path: ops.json\n',
      {
        'app/ops.json':
          '[{"op": "add", "path": "/spec/ports/-", "value": {"name": "x", "port": 9}}, {"op": "copy", "from": "/spec/ports/0/name", "path": "/metadata/labels"}]',
      },
    ),
  },
  {
    name: 'JSON 6902 move and test',
    files: app(
      'resources: [../base]\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    [{"op": "test", "path": "/spec/replicas", "value": 1},\n     {"op": "move", "from": "/metadata/labels", "path": "/metadata/annotations"}]\n',
    ),
  },
  {
    name: 'patchesJson6902 field',
    files: app(
      'resources: [../base]\npatchesJson6902:\n- target:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: web\n  path: ops.yaml\n',
      { 'app/ops.yaml': '- op: add\n  path: /spec/template/spec/hostNetwork\n  value: true\n' },
    ),
  },
  {
    name: 'JSON patch with target namespace and annotation selector',
    files: app(
      'resources: [a.yaml]\npatches:\n- target:\n    namespace: team-.*\n    annotationSelector: patch-me\n  patch: |-\n    - op: add\n      path: /data/patched\n      value: "yes"\n',
      {
        'app/a.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team-a, annotations: {patch-me: "1"}}\ndata: {x: "1"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: team-b}\ndata: {x: "1"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: other, annotations: {patch-me: "1"}}\ndata: {x: "1"}\n',
      },
    ),
  },
  {
    name: 'patch allowNameChange',
    files: app(
      'resources: [../base]\npatches:\n- options:\n    allowNameChange: true\n  patch: |-\n    apiVersion: v1\n    kind: Service\n    metadata:\n      name: web\n    ---\n    apiVersion: v1\n    kind: Service\n    metadata:\n      name: web-renamed\n'.replace(
        '    ---\n    apiVersion: v1\n    kind: Service\n    metadata:\n      name: web\n',
        '',
      ),
    ),
  },
  {
    name: 'replacements from a ConfigMap into a Deployment',
    files: app(
      'resources: [../base, values.yaml]\nreplacements:\n- source:\n    kind: ConfigMap\n    name: values\n    fieldPath: data.image\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=web].image\n- source:\n    kind: ConfigMap\n    name: values\n    fieldPath: data.replicas\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths: [spec.replicas]\n',
      {
        'app/values.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\n  annotations:\n    config.kubernetes.io/local-config: "true"\ndata:\n  image: nginx:9\n  replicas: "6"\n',
      },
    ),
  },
  {
    name: 'replacements with delimiter and create',
    files: app(
      'resources: [../base]\nreplacements:\n- source:\n    kind: Service\n    name: web\n    fieldPath: metadata.name\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - metadata.annotations.svc\n    - spec.template.spec.containers.[name=web].image\n    options:\n      delimiter: ":"\n      index: 1\n      create: true\n',
    ),
  },
  {
    name: 'replacements from a file with reject',
    files: app('resources: [../base]\nreplacements:\n- path: repl.yaml\n', {
      'app/repl.yaml':
        'source:\n  kind: ServiceAccount\n  name: runner\ntargets:\n- select:\n    kind: Role|RoleBinding\n  reject:\n  - kind: Role\n  fieldPaths: [metadata.labels.sa]\n  options: {create: true}\n',
    }),
  },
  {
    name: 'components',
    files: {
      ...app('resources: [../base]\ncomponents: [../comp]\nnamePrefix: x-\n'),
      'comp/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [extra.yaml]\ncommonLabels:\n  comp: "on"\nconfigMapGenerator:\n- name: cfg\n  literals: [from=component]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      replicas: 9\n',
      'comp/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n',
    },
  },
  {
    name: 'two components in order',
    files: {
      ...app('resources: [../base]\ncomponents: [../c1, ../c2]\n'),
      'c1/kustomization.yaml':
        'kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\ncommonAnnotations: {c: one}\n',
      'c2/kustomization.yaml':
        'kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\ncommonAnnotations: {c: two, d: "2"}\n',
    },
  },
  {
    name: 'local-config resources dropped',
    files: app('resources: [../base, local.yaml]\n', {
      'app/local.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n  annotations:\n    config.kubernetes.io/local-config: "true"\n',
    }),
  },
  {
    name: 'namespace on cluster-scoped kinds and role binding subjects',
    files: app('resources: [../base, misc.yaml, crd.yaml, cluster.yaml]\nnamespace: target\n', {
      'app/misc.yaml': misc,
      'app/crd.yaml': crd,
      'app/cluster.yaml':
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr}\nrules: []\n---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\nprovisioner: x\n',
    }),
  },
  {
    name: 'overlay of overlay with everything',
    files: {
      ...app(
        'resources: [../mid]\nnamespace: prod\nnameSuffix: -p\ncommonLabels: {env: prod}\nimages:\n- name: nginx\n  newTag: prod\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [env=prod]\npatches:\n- target: {kind: Deployment}\n  patch: |-\n    - op: replace\n      path: /spec/replicas\n      value: 10\n',
      ),
      'mid/kustomization.yaml':
        'resources: [../base]\nnamePrefix: mid-\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\nsecretGenerator:\n- name: creds\n  literals: [x=y]\n',
    },
  },
  {
    name: 'kustomization.yml name',
    files: { 'app/kustomization.yml': 'resources: [s.yaml]\n', 'app/s.yaml': service },
  },
  {
    name: 'Kustomization file name',
    files: { 'app/Kustomization': 'resources: [s.yaml]\nnamePrefix: k-\n', 'app/s.yaml': service },
  },
  {
    name: 'JSON manifest',
    files: {
      'app/kustomization.yaml': 'resources: [s.json]\n',
      'app/s.json':
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"},"data":{"k":"v"}}',
    },
  },
  {
    name: 'YAML anchors and merge keys',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchors\n  labels: &l {a: "1", b: "2"}\n  annotations: *l\ndata:\n  x: "1"\n',
    },
  },
  {
    name: 'strings that look like other types stay strings',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\ncommonLabels: {version: "1.0"}\n',
      'app/a.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: types\ndata:\n  a: "true"\n  b: "0123"\n  c: "1e3"\n  d: "null"\n  e: ""\n  f: "yes"\n  g: "multi\\nline\\n"\n',
    },
  },
  {
    name: 'empty annotations dropped, empty labels kept, null keys quoted',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {}\n  labels: {}\ndata: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\nspec:\n  x: null\n  y: ~\n  on: 1\n',
    },
  },
  {
    name: 'JSON patch adds an annotation to an object without annotations',
    files: {
      'app/kustomization.yaml':
        'resources: [a.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: add\n      path: /metadata/annotations/x\n      value: y\n',
      'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
    },
  },
  {
    name: 'long and multi-line strings keep their style',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  long: ${'word '.repeat(40).trim()}\n  script: |\n    #!/bin/sh\n    echo "hi"\n  noeol: |-\n    a\n    b\n  colon: "a: b"\n  hash: "# not a comment"\n  star: "*"\n  date: "2024-01-02"\n  octal: "0755"\n  float: "1.5"\n`,
    },
  },
  {
    name: 'fails: kustomization value read as YAML 1.1 boolean',
    files: {
      'app/kustomization.yaml': 'resources: [s.yaml]\nnamespace: no\n',
      'app/s.yaml': service,
    },
  },
  {
    name: 'fails: JSON patch without a target',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    - op: add\n      path: /x\n      value: 1\n',
    ),
  },
  {
    name: 'fails: patch with both path and patch',
    files: app('resources: [../base]\npatches:\n- path: p.yaml\n  patch: "{}"\n', {
      'app/p.yaml': 'kind: Service\nmetadata: {name: web}\n',
    }),
  },
  {
    name: 'StatefulSet with volume claim templates and commonLabels',
    files: {
      'app/kustomization.yaml':
        'resources: [sts.yaml]\nnamePrefix: db-\ncommonLabels: {team: data}\nlabels:\n- pairs: {tier: storage}\n  includeTemplates: true\n',
      'app/sts.yaml':
        'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: pg\nspec:\n  serviceName: pg\n  selector:\n    matchLabels: {app: pg}\n  template:\n    metadata:\n      labels: {app: pg}\n    spec:\n      containers:\n      - name: pg\n        image: postgres:16\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: pg\nspec:\n  clusterIP: None\n  selector: {app: pg}\n',
    },
  },
  {
    name: 'patch targets by name regex and version',
    files: app(
      'resources: [../base]\npatches:\n- target:\n    version: v1\n    name: (web|runner)\n  patch: |-\n    - op: add\n      path: /metadata/labels\n      value: {matched: "yes"}\n',
    ),
  },
  {
    name: 'component generator merge and prefix',
    files: {
      ...app('resources: [../gen]\ncomponents: [../comp]\nnamePrefix: top-\n'),
      'gen/kustomization.yaml':
        'resources: [../base]\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\n',
      'comp/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  envs: [extra.env]\nsecretGenerator:\n- name: creds\n  files: [token]\n',
      'comp/extra.env': 'B=2\n',
      'comp/token': 'abc',
    },
  },
  {
    name: 'cluster role binding to a renamed service account in a namespace',
    files: {
      'app/kustomization.yaml': 'resources: [rbac.yaml]\nnamespace: ops\nnameSuffix: -x\n',
      'app/rbac.yaml': rbac,
    },
  },
  {
    name: 'fails: helmCharts',
    files: {
      'app/kustomization.yaml': 'helmCharts:\n- name: nginx\n  repo: https://example.com/charts\n',
    },
  },
  {
    name: 'fails: unknown field in an images entry',
    files: app('resources: [../base]\nimages:\n- name: nginx\n  newVersion: "2"\n'),
  },
  {
    name: 'octal modes and hex read as go-yaml reads them',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n  volumes:\n  - name: s\n    secret:\n      secretName: s\n      defaultMode: 0644\n  - name: t\n    configMap:\n      name: t\n      defaultMode: 0x1ff\n',
    },
  },
  {
    name: 'fails: duplicate keys in a manifest',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n',
    },
  },
  {
    name: 'generated secret referenced from ingress annotations, imagePullSecrets and projected volumes',
    files: {
      'app/kustomization.yaml':
        'resources: [r.yaml]\nnamePrefix: pre-\nsecretGenerator:\n- name: auth\n  literals: [auth=x]\n- name: pull\n  type: kubernetes.io/dockerconfigjson\n  literals: [.dockerconfigjson={}]\nconfigMapGenerator:\n- name: proj\n  literals: [a=b]\n',
      'app/r.yaml':
        'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  annotations:\n    nginx.ingress.kubernetes.io/auth-secret: auth\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {name: web, port: {number: 80}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  imagePullSecrets:\n  - name: pull\n  containers:\n  - name: c\n    image: busybox\n  volumes:\n  - name: all\n    projected:\n      sources:\n      - configMap: {name: proj}\n      - secret: {name: auth}\n',
    },
  },
  {
    name: 'SMP on a CronJob container and new initContainers',
    files: {
      'app/kustomization.yaml':
        'resources: [c.yaml]\npatches:\n- patch: |-\n    apiVersion: batch/v1\n    kind: CronJob\n    metadata:\n      name: tick\n    spec:\n      jobTemplate:\n        spec:\n          template:\n            spec:\n              initContainers:\n              - name: init\n                image: alpine\n              containers:\n              - name: tick\n                image: busybox:2\n',
      'app/c.yaml': cronjob,
    },
  },
  {
    name: 'JSON patch on a generated ConfigMap changes its hash',
    files: {
      'app/kustomization.yaml':
        'resources: [d.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [a=1]\npatches:\n- target: {kind: ConfigMap, name: cfg}\n  patch: |-\n    - op: add\n      path: /data/b\n      value: "2"\n',
      'app/d.yaml': deployment,
    },
  },
  {
    name: 'image with a digest and a registry port',
    files: {
      'app/kustomization.yaml':
        'resources: [p.yaml]\nimages:\n- name: localhost:5000/app\n  newTag: v2\n- name: nginx\n  digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\n',
      'app/p.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: localhost:5000/app:v1\n  - name: b\n    image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000\n  - name: c\n    image: nginx-other:1\n',
    },
  },
  {
    name: 'labels with custom fields on a custom resource',
    files: {
      'app/kustomization.yaml':
        'resources: [w.yaml]\nlabels:\n- pairs: {team: x}\n  fields:\n  - kind: Widget\n    path: spec/selector/matchLabels\n    create: true\n',
      'app/w.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {}\n',
    },
  },
  {
    name: 'replacement into a namespace and a label',
    files: {
      'app/kustomization.yaml':
        'resources: [r.yaml]\nreplacements:\n- source: {kind: ConfigMap, name: env, fieldPath: data.ns}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [metadata.namespace, metadata.labels.ns]\n    options: {create: true}\n',
      'app/r.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  ns: staging\n---\n${deployment}`,
    },
  },
  {
    name: 'SMP list directives other than $patch pass through as kustomize leaves them',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          $setElementOrder/containers:\n          - name: sidecar\n          - name: web\n          containers:\n          - name: web\n            image: nginx:3\n',
    ),
  },
  // Failures both tools must report.
  {
    name: 'fails: object without a name',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: x-\n',
    },
  },
  {
    name: 'fails: object without a kind',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml': 'apiVersion: v1\nmetadata:\n  name: x\n',
    },
  },
  {
    name: 'empty documents and comments are skipped',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml':
        '---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n',
    },
  },
  {
    name: 'fails: unquoted number as a label value',
    files: app('resources: [../base]\ncommonLabels:\n  version: 1.0\n'),
  },
  {
    name: 'fails: unquoted number as an image tag',
    files: app('resources: [../base]\nimages:\n- name: nginx\n  newTag: 1.27\n'),
  },
  {
    name: 'fails: missing resource file',
    files: { 'app/kustomization.yaml': 'resources: [missing.yaml]\n' },
  },
  {
    name: 'fails: duplicate resource ids',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml, b.yaml]\n',
      'app/a.yaml': service,
      'app/b.yaml': service,
    },
  },
  {
    name: 'fails: file outside the kustomization root',
    files: {
      'app/kustomization.yaml': 'resources: [../shared/s.yaml]\n',
      'shared/s.yaml': service,
    },
  },
  {
    name: 'fails: cycle between kustomizations',
    files: {
      'app/kustomization.yaml': 'resources: [../other]\n',
      'other/kustomization.yaml': 'resources: [../app]\n',
    },
  },
  {
    name: 'fails: unknown field',
    files: {
      'app/kustomization.yaml': 'resources: [s.yaml]\nnamePrefixx: a-\n',
      'app/s.yaml': service,
    },
  },
  {
    name: 'fails: patch matches nothing',
    files: app(
      'resources: [../base]\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: Service\n    metadata:\n      name: nope\n    spec:\n      type: NodePort\n',
    ),
  },
  {
    name: 'fails: JSON patch path missing',
    files: app(
      'resources: [../base]\npatches:\n- target: {kind: Service}\n  patch: |-\n    - op: replace\n      path: /spec/nothing/here\n      value: 1\n',
    ),
  },
  {
    name: 'fails: generator merge without a base',
    files: {
      'app/kustomization.yaml':
        'configMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [a=1]\n',
    },
  },
  {
    name: 'fails: generator key repeated',
    files: {
      'app/kustomization.yaml': 'configMapGenerator:\n- name: cfg\n  literals: [a=1, a=2]\n',
    },
  },
  {
    name: 'fails: invalid YAML',
    files: {
      'app/kustomization.yaml': 'resources: [a.yaml]\n',
      'app/a.yaml': 'kind: ConfigMap\nmetadata:\n  name: [unclosed\n',
    },
  },
  {
    name: 'fails: component used as a resource',
    files: {
      'app/kustomization.yaml': 'resources: [../comp]\n',
      'comp/kustomization.yaml': 'kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\n',
    },
  },
  {
    name: 'fails: replacement source missing',
    files: app(
      'resources: [../base]\nreplacements:\n- source:\n    kind: ConfigMap\n    name: nope\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [metadata.name]\n',
    ),
  },
  {
    name: 'fails: replicas name not found',
    files: app('resources: [../base]\nreplicas:\n- name: nothing\n  count: 2\n'),
  },
  {
    name: 'fails: directory resource without kustomization',
    files: { 'app/kustomization.yaml': 'resources: [sub]\n', 'app/sub/a.yaml': service },
  },
  {
    name: 'fails: two kustomization files',
    files: {
      'app/kustomization.yaml': 'resources: []\n',
      'app/kustomization.yml': 'resources: []\n',
    },
  },
];
