/**
 * Differential cases for `helmCharts`: each is built by `kustomize build --enable-helm` and by
 * Plumbline over the same files with the same helm binary. They cover values precedence,
 * namespaces through bases and components, subcharts, CRDs, hooks and tests, `tpl`,
 * `include`, `.Files`, capabilities, transformers over chart output, and shared failures.
 */
import type { ConformanceCase } from './harness.ts';
import { chartFiles, helpers, valuesChart, webChart } from './helm-charts.ts';

const k = (body: string) => ({ 'app/kustomization.yaml': body });

/** A values file with every kind of value, to see how each precedence rule treats it. */
const richValues = `a: from-chart
b: from-chart
nested:
  x: 1
  y: chart
  deep:
    keep: chart
list: [1, 2, 3]
gone: chart
flag: yes
`;

export const helmCases: ConformanceCase[] = [
  {
    name: 'helm: a local chart with release name and namespace',
    files: {
      ...k(`helmCharts:
- name: web
  releaseName: shop
  namespace: store
`),
      ...webChart('app/charts/web'),
    },
  },
  {
    name: 'helm: the kustomization namespace goes to helm and leaves chart objects alone',
    files: {
      ...k(`namespace: team-a
resources:
- extra.yaml
helmCharts:
- name: web
  releaseName: shop
`),
      'app/extra.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: elsewhere\n',
      ...webChart('app/charts/web'),
    },
  },
  {
    name: 'helm: a chart namespace wins over the kustomization namespace',
    files: {
      ...k(`namespace: team-a
helmCharts:
- name: web
  releaseName: shop
  namespace: own
`),
      ...webChart('app/charts/web'),
    },
  },
  {
    name: 'helm: an overlay namespace reaches a chart in its base',
    files: {
      'app/kustomization.yaml': 'namespace: prod\nresources:\n- ../base\n',
      'base/kustomization.yaml': 'helmCharts:\n- name: web\n  releaseName: shop\n',
      ...webChart('base/charts/web'),
    },
  },
  {
    name: 'helm: a component inflates its chart with the parent namespace',
    files: {
      'app/kustomization.yaml':
        'namespace: comp-ns\ncomponents:\n- ../comp\nresources:\n- cm.yaml\n',
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n',
      'comp/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nhelmCharts:\n- name: web\n  releaseName: part\n',
      ...webChart('comp/charts/web'),
    },
  },
  {
    name: 'helm: valuesInline overrides valuesFile by default',
    files: {
      ...k(`helmCharts:
- name: vals
  releaseName: r
  valuesFile: my-values.yaml
  valuesInline:
    a: inline
    nested:
      y: inline
      z: added
    list: [9]
`),
      'app/my-values.yaml': 'a: file\nb: file\nnested:\n  x: 2\n  y: file\n',
      ...valuesChart('app/charts/vals', richValues),
    },
  },
  {
    name: 'helm: valuesMerge merge lets the values file win',
    files: {
      ...k(`helmCharts:
- name: vals
  releaseName: r
  valuesFile: my-values.yaml
  valuesMerge: merge
  valuesInline:
    a: inline
    c: inline-only
    nested:
      y: inline
`),
      'app/my-values.yaml': 'a: file\nnested:\n  y: file\n  x: 3\n',
      ...valuesChart('app/charts/vals', richValues),
    },
  },
  {
    name: 'helm: valuesMerge replace ignores the values file',
    files: {
      ...k(`helmCharts:
- name: vals
  releaseName: r
  valuesFile: my-values.yaml
  valuesMerge: replace
  valuesInline:
    a: inline
`),
      'app/my-values.yaml': 'b: file\nnested:\n  y: file\n',
      ...valuesChart('app/charts/vals', richValues),
    },
  },
  {
    name: 'helm: additionalValuesFiles win over valuesInline',
    files: {
      ...k(`helmCharts:
- name: vals
  releaseName: r
  valuesInline:
    a: inline
    b: inline
  additionalValuesFiles:
  - more.yaml
  - last.yaml
`),
      'app/more.yaml': 'a: more\nnested:\n  y: more\n',
      'app/last.yaml': 'a: last\nlist: []\n',
      ...valuesChart('app/charts/vals', richValues),
    },
  },
  {
    name: 'helm: null in valuesInline removes a key, and the chart default returns',
    files: {
      ...k(`helmCharts:
- name: vals
  releaseName: r
  valuesInline:
    gone: null
    nested:
      deep: null
    b: ~
`),
      ...valuesChart('app/charts/vals', richValues),
    },
  },
  {
    name: 'helm: null in an additional values file deletes the chart default',
    files: {
      ...k(`helmCharts:
- name: vals
  releaseName: r
  additionalValuesFiles:
  - more.yaml
`),
      'app/more.yaml': 'gone: null\nnested:\n  x: null\n',
      ...valuesChart('app/charts/vals', richValues),
    },
  },
  {
    name: 'helm: YAML 1.1 words in a values file, read raw and read merged',
    files: {
      ...k(`helmCharts:
- name: vals
  releaseName: raw
- name: vals
  releaseName: merged
  valuesInline:
    extra: on
`),
      ...valuesChart(
        'app/charts/vals',
        'flag: yes\nother: off\nnum: 010\nfloat: 1.0\nbig: 12345678\n',
      ),
    },
  },
  {
    name: 'helm: a subchart with its own values, parent overrides and globals',
    files: {
      ...k(`helmCharts:
- name: parent
  releaseName: rel
  valuesInline:
    child:
      greeting: overridden
    global:
      env: staging
`),
      ...chartFiles('app/charts/parent', {
        name: 'parent',
        extraChartYaml: 'dependencies:\n- name: child\n  version: 0.1.0\n',
        values: 'child:\n  greeting: from-parent\nglobal:\n  env: dev\n',
        templates: {
          'cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-parent\ndata:\n  env: {{ .Values.global.env }}\n',
        },
      }),
      ...chartFiles('app/charts/parent/charts/child', {
        name: 'child',
        version: '0.1.0',
        values: 'greeting: hello\nsize: 3\n',
        templates: {
          'cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-child\ndata:\n  greeting: {{ .Values.greeting }}\n  size: "{{ .Values.size }}"\n  env: {{ .Values.global.env }}\n',
        },
      }),
    },
  },
  {
    name: 'helm: a disabled dependency is not rendered',
    files: {
      ...k('helmCharts:\n- name: parent\n  releaseName: rel\n'),
      ...chartFiles('app/charts/parent', {
        name: 'parent',
        extraChartYaml:
          'dependencies:\n- name: child\n  version: 0.1.0\n  condition: child.enabled\n',
        values: 'child:\n  enabled: false\n',
        templates: {
          'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\n',
        },
      }),
      ...chartFiles('app/charts/parent/charts/child', {
        name: 'child',
        version: '0.1.0',
        values: 'x: 1\n',
        templates: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n' },
      }),
    },
  },
  ...[true, false].map((includeCRDs) => ({
    name: `helm: CRDs in crds/ with includeCRDs ${includeCRDs}`,
    files: {
      ...k(`helmCharts:\n- name: op\n  releaseName: op\n  includeCRDs: ${includeCRDs}\n`),
      ...chartFiles('app/charts/op', {
        name: 'op',
        values: 'replicas: 1\n',
        files: {
          'crds/widgets.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`,
        },
        templates: {
          'widget.yaml':
            'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{ .Release.Name }}-w\nspec:\n  replicas: {{ .Values.replicas }}\n',
        },
      }),
    },
  })),
  ...[
    { flags: '', label: 'hooks and tests pass through' },
    { flags: '  skipTests: true\n', label: 'skipTests drops test hooks' },
    { flags: '  skipHooks: true\n', label: 'skipHooks drops every hook' },
  ].map(({ flags, label }) => ({
    name: `helm: ${label}`,
    files: {
      ...k(`helmCharts:\n- name: hooked\n  releaseName: h\n${flags}`),
      ...chartFiles('app/charts/hooked', {
        name: 'hooked',
        values: 'image: busybox\n',
        templates: {
          'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: main\n',
          'migrate.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "-5"
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: m
        image: {{ .Values.image }}
`,
          'tests/test-connection.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    "helm.sh/hook": test
spec:
  restartPolicy: Never
  containers:
  - name: t
    image: {{ .Values.image }}
`,
        },
      }),
    },
  })),
  {
    name: 'helm: tpl renders templates held in values',
    files: {
      ...k(`helmCharts:
- name: tplc
  releaseName: t
  valuesInline:
    greeting: "hello {{ .Release.Name }} in {{ .Release.Namespace }}"
`),
      ...chartFiles('app/charts/tplc', {
        name: 'tplc',
        values:
          'greeting: "{{ .Chart.Name }}"\nextraLabels:\n  tier: "{{ .Values.tier }}"\ntier: backend\n',
        templates: {
          'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: tpl
  labels:
    {{- tpl (toYaml .Values.extraLabels) . | nindent 4 }}
data:
  greeting: {{ tpl .Values.greeting . | quote }}
`,
        },
      }),
    },
  },
  {
    name: 'helm: .Files Get, Glob and AsConfig',
    files: {
      ...k('helmCharts:\n- name: filesy\n  releaseName: f\n'),
      ...chartFiles('app/charts/filesy', {
        name: 'filesy',
        values: '{}\n',
        files: {
          'files/app.conf': 'listen 80;\nserver_name example;\n',
          'files/extra.ini': '[a]\nb=c\n',
        },
        templates: {
          'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: files
data:
  app.conf: |-
{{ .Files.Get "files/app.conf" | indent 4 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: globbed
data:
{{ (.Files.Glob "files/*").AsConfig | indent 2 }}
`,
        },
      }),
    },
  },
  {
    name: 'helm: kubeVersion and apiVersions drive capabilities',
    files: {
      ...k(`helmCharts:
- name: caps
  releaseName: c
  kubeVersion: "1.29.3"
  apiVersions:
  - monitoring.coreos.com/v1
- name: caps
  releaseName: d
`),
      ...chartFiles('app/charts/caps', {
        name: 'caps',
        values: '{}\n',
        templates: {
          'cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-caps
data:
  version: {{ .Capabilities.KubeVersion.Version | quote }}
  minor: {{ .Capabilities.KubeVersion.Minor | quote }}
  modern: {{ semverCompare ">=1.28-0" .Capabilities.KubeVersion.Version | quote }}
  monitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}
`,
          'sm.yaml': `{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .Release.Name }}-sm
spec:
  endpoints: [{port: http}]
{{- end }}
`,
        },
      }),
    },
  },
  {
    name: 'helm: lookup finds nothing in template mode',
    files: {
      ...k('helmCharts:\n- name: look\n  releaseName: l\n'),
      ...chartFiles('app/charts/look', {
        name: 'look',
        values: '{}\n',
        templates: {
          'secret.yaml': `{{- $existing := lookup "v1" "Secret" .Release.Namespace "keep" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: look
data:
  found: {{ if $existing }}"yes"{{ else }}"no"{{ end }}
`,
        },
      }),
    },
  },
  {
    name: 'helm: transformers apply to chart output (prefix, labels, images, patches)',
    files: {
      ...k(`namePrefix: pre-
commonLabels:
  team: blue
images:
- name: nginx
  newTag: "1.27"
patches:
- target:
    kind: Deployment
  patch: |
    - op: replace
      path: /spec/replicas
      value: 3
- patch: |
    apiVersion: v1
    kind: Service
    metadata:
      name: shop-web
      namespace: default
    spec:
      type: NodePort
helmCharts:
- name: web
  releaseName: shop
`),
      ...webChart('app/charts/web'),
    },
  },
  {
    name: 'helm: chart objects beside resources and generators, names fixed up',
    files: {
      ...k(`namespace: mix
resources:
- sa.yaml
configMapGenerator:
- name: shop-web-config
  behavior: create
  literals: [a=b]
helmCharts:
- name: web
  releaseName: shop
  valuesInline:
    config: {}
`),
      'app/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: helper\n',
      ...webChart('app/charts/web', {
        templates: { 'configmap.yaml': '' },
      }),
    },
  },
  {
    name: 'helm: a custom chart home and two releases of one chart',
    files: {
      ...k(`helmGlobals:
  chartHome: vendor/helm
helmCharts:
- name: web
  releaseName: one
- name: web
  releaseName: two
  valuesInline:
    replicaCount: 2
    serviceAccount:
      create: false
`),
      ...webChart('app/vendor/helm/web'),
    },
  },
  {
    name: 'helm: values.schema.json accepts valid values',
    files: {
      ...k('helmCharts:\n- name: typed\n  releaseName: t\n  valuesInline:\n    replicas: 2\n'),
      ...chartFiles('app/charts/typed', {
        name: 'typed',
        values: 'replicas: 1\n',
        files: {
          'values.schema.json':
            '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"replicas":{"type":"integer","minimum":1}},"required":["replicas"]}',
        },
        templates: {
          'cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typed\ndata:\n  replicas: "{{ .Values.replicas }}"\n',
        },
      }),
    },
  },
  {
    name: 'helm: values failing values.schema.json fail both',
    files: {
      ...k('helmCharts:\n- name: typed\n  releaseName: t\n  valuesInline:\n    replicas: many\n'),
      ...chartFiles('app/charts/typed', {
        name: 'typed',
        values: 'replicas: 1\n',
        files: {
          'values.schema.json':
            '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"replicas":{"type":"integer"}}}',
        },
        templates: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typed\n' },
      }),
    },
  },
  {
    name: 'helm: a template error fails both',
    files: {
      ...k('helmCharts:\n- name: broken\n  releaseName: b\n'),
      ...chartFiles('app/charts/broken', {
        name: 'broken',
        values: 'a: 1\n',
        templates: {
          '_helpers.tpl': helpers,
          'cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deeper }}\n',
        },
      }),
    },
  },
  {
    name: 'helm: a chart without values.yaml fails both',
    files: {
      ...k('helmCharts:\n- name: bare\n  releaseName: b\n'),
      ...chartFiles('app/charts/bare', {
        name: 'bare',
        templates: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bare\n' },
      }),
    },
  },
  {
    name: 'helm: a missing chart fails both',
    files: k('helmCharts:\n- name: nowhere\n  releaseName: n\n'),
  },
  {
    name: 'helm: an object produced twice fails both',
    files: {
      ...k('resources:\n- dup.yaml\nhelmCharts:\n- name: web\n  releaseName: shop\n'),
      'app/dup.yaml':
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: shop-web\n  namespace: default\n',
      ...webChart('app/charts/web'),
    },
  },
  {
    name: 'helm: required and fail messages from the chart fail both',
    files: {
      ...k('helmCharts:\n- name: req\n  releaseName: r\n'),
      ...chartFiles('app/charts/req', {
        name: 'req',
        values: 'name: ""\n',
        templates: {
          'cm.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ required "name is required" .Values.name }}\n',
        },
      }),
    },
  },
];
