/**
 * Helm chart fixtures for the differential suite: small charts written as files, exercising
 * what real charts use (named templates, `tpl`, `.Files`, capabilities, subcharts, CRDs,
 * hooks, tests, schemas).
 */

/** Files of a chart directory at `dir` (a chart-home path such as `app/charts/web`). */
export function chartFiles(
  dir: string,
  chart: {
    name: string;
    version?: string;
    extraChartYaml?: string;
    values?: string;
    templates: Record<string, string>;
    files?: Record<string, string>;
  },
): Record<string, string> {
  const out: Record<string, string> = {
    [`${dir}/Chart.yaml`]: `apiVersion: v2\nname: ${chart.name}\nversion: ${chart.version ?? '1.0.0'}\nappVersion: "2.1"\n${chart.extraChartYaml ?? ''}`,
  };
  if (chart.values !== undefined) out[`${dir}/values.yaml`] = chart.values;
  for (const [name, text] of Object.entries(chart.templates))
    out[`${dir}/templates/${name}`] = text;
  for (const [name, text] of Object.entries(chart.files ?? {})) out[`${dir}/${name}`] = text;
  return out;
}

/** The helpers most charts carry (`helm create` style). */
export const helpers = `{{- define "web.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}
{{- define "web.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}
{{- define "web.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
`;

/** A web chart: Deployment, Service, ConfigMap, ServiceAccount; values drive most fields. */
export function webChart(
  dir: string,
  extra: { values?: string; templates?: Record<string, string> } = {},
) {
  return chartFiles(dir, {
    name: 'web',
    values:
      extra.values ??
      `replicaCount: 1
image:
  repository: nginx
  tag: "1.25"
service:
  port: 80
  type: ClusterIP
config:
  mode: prod
  level: info
ports:
- 80
- 443
serviceAccount:
  create: true
`,
    templates: {
      '_helpers.tpl': helpers,
      'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "web.selector" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "web.selector" . | nindent 8 }}
    spec:
      {{- if .Values.serviceAccount.create }}
      serviceAccountName: {{ include "web.fullname" . }}
      {{- end }}
      containers:
      - name: web
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        envFrom:
        - configMapRef:
            name: {{ include "web.fullname" . }}-config
        ports:
        {{- range .Values.ports }}
        - containerPort: {{ . }}
        {{- end }}
`,
      'service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: {{ include "web.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  ports:
  - port: {{ .Values.service.port }}
    targetPort: 80
  selector:
    {{- include "web.selector" . | nindent 4 }}
`,
      'configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "web.fullname" . }}-config
data:
  {{- range $k, $v := .Values.config }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
`,
      'serviceaccount.yaml': `{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "web.fullname" . }}
{{- end }}
`,
      ...extra.templates,
    },
  });
}

/** A chart that prints its effective values, so precedence shows in the output. */
export function valuesChart(dir: string, values: string) {
  return chartFiles(dir, {
    name: 'vals',
    values,
    templates: {
      'values.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-values
data:
  values.json: {{ toJson .Values | quote }}
`,
    },
  });
}
