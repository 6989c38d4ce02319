/**
 * Where kustomize's built-in transformers look, as data: the facts of kustomize's default
 * transformer configuration (`api/internal/konfig/builtinpluginconsts`), written as tables.
 */
import type { FieldSpec } from './field-spec.ts';

const podTemplateOwners: [kind: string, group?: string | undefined, version?: string][] = [
  ['ReplicationController', undefined, 'v1'],
  ['Deployment'],
  ['ReplicaSet'],
  ['DaemonSet'],
  ['StatefulSet', 'apps'],
  ['Job', 'batch'],
];

function templateMeta(field: 'labels' | 'annotations'): FieldSpec[] {
  const specs: FieldSpec[] = podTemplateOwners.map(([kind, group, version]) => ({
    kind,
    group,
    version,
    path: `spec/template/metadata/${field}`,
    create: true,
  }));
  specs.push(
    { kind: 'CronJob', group: 'batch', path: `spec/jobTemplate/metadata/${field}`, create: true },
    {
      kind: 'CronJob',
      group: 'batch',
      path: `spec/jobTemplate/spec/template/metadata/${field}`,
      create: true,
    },
  );
  return specs;
}

/** `metadata/labels` everywhere plus pod-template labels (kustomize's templateLabels). */
export const templateLabelSpecs: FieldSpec[] = [
  { path: 'metadata/labels', create: true },
  ...templateMeta('labels'),
];

/** StatefulSet volume claim template labels. */
export const volumeClaimTemplateLabelSpecs: FieldSpec[] = [
  {
    kind: 'StatefulSet',
    group: 'apps',
    path: 'spec/volumeClaimTemplates/metadata/labels',
    create: true,
  },
];

function affinitySelectors(kind: string): FieldSpec[] {
  const base = 'spec/template/spec/affinity';
  return [
    `${base}/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels`,
    `${base}/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels`,
    `${base}/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels`,
    `${base}/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels`,
    'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels',
  ].map((path) => ({ kind, group: 'apps', path, create: false }));
}

/** commonLabels (and labels with includeSelectors): metadata, templates and selectors. */
export const commonLabelSpecs: FieldSpec[] = [
  { kind: 'Service', version: 'v1', path: 'spec/selector', create: true },
  { kind: 'ReplicationController', version: 'v1', path: 'spec/selector', create: true },
  { kind: 'Deployment', path: 'spec/selector/matchLabels', create: true },
  ...affinitySelectors('Deployment'),
  { kind: 'ReplicaSet', path: 'spec/selector/matchLabels', create: true },
  { kind: 'DaemonSet', path: 'spec/selector/matchLabels', create: true },
  { kind: 'StatefulSet', group: 'apps', path: 'spec/selector/matchLabels', create: true },
  ...affinitySelectors('StatefulSet'),
  { kind: 'Job', group: 'batch', path: 'spec/selector/matchLabels' },
  { kind: 'CronJob', group: 'batch', path: 'spec/jobTemplate/spec/selector/matchLabels' },
  { kind: 'PodDisruptionBudget', group: 'policy', path: 'spec/selector/matchLabels' },
  { kind: 'NetworkPolicy', group: 'networking.k8s.io', path: 'spec/podSelector/matchLabels' },
  {
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    path: 'spec/ingress/from/podSelector/matchLabels',
  },
  {
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    path: 'spec/egress/to/podSelector/matchLabels',
  },
  ...templateLabelSpecs,
  ...volumeClaimTemplateLabelSpecs,
];

/** commonAnnotations: metadata and pod templates. */
export const commonAnnotationSpecs: FieldSpec[] = [
  { path: 'metadata/annotations', create: true },
  ...templateMeta('annotations'),
];

/** Kinds whose `spec/replicas` the replicas field sets. */
export const replicaKinds = new Set([
  'Deployment',
  'ReplicationController',
  'ReplicaSet',
  'StatefulSet',
]);

/** One name reference rule: objects of `referral` kind are referred to by `specs`. */
export interface NameReferenceRule {
  group: string;
  version?: string;
  kind: string;
  specs: FieldSpec[];
}

const podSpecOwners: [kind: string, prefix: string, version?: string][] = [
  ['Pod', 'spec', 'v1'],
  ['PodTemplate', 'template/spec'],
  ['Deployment', 'spec/template/spec'],
  ['ReplicaSet', 'spec/template/spec'],
  ['DaemonSet', 'spec/template/spec'],
  ['StatefulSet', 'spec/template/spec'],
  ['Job', 'spec/template/spec'],
  ['CronJob', 'spec/jobTemplate/spec/template/spec'],
];

function podSpecRefs(paths: string[], owners = podSpecOwners): FieldSpec[] {
  return owners.flatMap(([kind, prefix, version]) =>
    paths.map((path) => ({ kind, version, path: `${prefix}/${path}` })),
  );
}

const workloadPrefixes: [kind: string, prefix: string][] = [
  ['Pod', 'spec'],
  ['StatefulSet', 'spec/template/spec'],
  ['Deployment', 'spec/template/spec'],
  ['ReplicationController', 'spec/template/spec'],
  ['CronJob', 'spec/jobTemplate/spec/template/spec'],
  ['Job', 'spec/template/spec'],
  ['DaemonSet', 'spec/template/spec'],
];

function workloadRefs(path: string): FieldSpec[] {
  return workloadPrefixes.map(([kind, prefix]) => ({ kind, path: `${prefix}/${path}` }));
}

const rbac = 'rbac.authorization.k8s.io';

/** kustomize's default name references: which fields name which kinds. */
export const nameReferenceRules: NameReferenceRule[] = [
  ...['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet'].map((kind) => ({
    group: '',
    kind,
    specs: [{ kind: 'HorizontalPodAutoscaler', path: 'spec/scaleTargetRef/name' }],
  })),
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    specs: [
      ...podSpecRefs([
        'volumes/configMap/name',
        'containers/env/valueFrom/configMapKeyRef/name',
        'initContainers/env/valueFrom/configMapKeyRef/name',
        'containers/envFrom/configMapRef/name',
        'initContainers/envFrom/configMapRef/name',
        'volumes/projected/sources/configMap/name',
      ]),
      { kind: 'Node', path: 'spec/configSource/configMap' },
      { kind: 'Role', path: 'rules/resourceNames' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
      {
        kind: 'Ingress',
        path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap',
      },
    ],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Secret',
    specs: [
      ...podSpecRefs([
        'volumes/secret/secretName',
        'containers/env/valueFrom/secretKeyRef/name',
        'initContainers/env/valueFrom/secretKeyRef/name',
        'containers/envFrom/secretRef/name',
        'initContainers/envFrom/secretRef/name',
        'imagePullSecrets/name',
        'volumes/projected/sources/secret/name',
      ]),
      { kind: 'Ingress', path: 'spec/tls/secretName' },
      { kind: 'Ingress', path: 'metadata/annotations/ingress.kubernetes.io\\/auth-secret' },
      { kind: 'Ingress', path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret' },
      {
        kind: 'Ingress',
        path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret',
      },
      { kind: 'ServiceAccount', path: 'imagePullSecrets/name' },
      { kind: 'StorageClass', path: 'parameters/secretName' },
      { kind: 'StorageClass', path: 'parameters/adminSecretName' },
      { kind: 'StorageClass', path: 'parameters/userSecretName' },
      { kind: 'StorageClass', path: 'parameters/secretRef' },
      { kind: 'Role', path: 'rules/resourceNames' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
      {
        kind: 'Service',
        group: 'serving.knative.dev',
        version: 'v1',
        path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name',
      },
      { kind: 'PersistentVolume', path: 'spec/azureFile/secretName' },
    ],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    specs: [
      { kind: 'StatefulSet', group: 'apps', path: 'spec/serviceName' },
      { kind: 'Ingress', path: 'spec/rules/http/paths/backend/serviceName' },
      { kind: 'Ingress', path: 'spec/backend/serviceName' },
      { kind: 'Ingress', path: 'spec/rules/http/paths/backend/service/name' },
      { kind: 'Ingress', path: 'spec/defaultBackend/service/name' },
      { kind: 'APIService', group: 'apiregistration.k8s.io', path: 'spec/service/name' },
      {
        kind: 'ValidatingWebhookConfiguration',
        group: 'admissionregistration.k8s.io',
        path: 'webhooks/clientConfig/service',
      },
      {
        kind: 'MutatingWebhookConfiguration',
        group: 'admissionregistration.k8s.io',
        path: 'webhooks/clientConfig/service',
      },
    ],
  },
  {
    group: rbac,
    kind: 'Role',
    specs: [{ kind: 'RoleBinding', group: rbac, path: 'roleRef/name' }],
  },
  {
    group: rbac,
    kind: 'ClusterRole',
    specs: [
      { kind: 'RoleBinding', group: rbac, path: 'roleRef/name' },
      { kind: 'ClusterRoleBinding', group: rbac, path: 'roleRef/name' },
    ],
  },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    specs: [
      { kind: 'RoleBinding', group: rbac, path: 'subjects' },
      { kind: 'ClusterRoleBinding', group: rbac, path: 'subjects' },
      ...workloadRefs('serviceAccountName'),
    ],
  },
  {
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    specs: workloadRefs('volumes/persistentVolumeClaim/claimName'),
  },
  {
    group: '',
    version: 'v1',
    kind: 'PersistentVolume',
    specs: [
      { kind: 'PersistentVolumeClaim', path: 'spec/volumeName' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
    ],
  },
  {
    group: 'storage.k8s.io',
    version: 'v1',
    kind: 'StorageClass',
    specs: [
      { kind: 'PersistentVolume', path: 'spec/storageClassName' },
      { kind: 'PersistentVolumeClaim', path: 'spec/storageClassName' },
      { kind: 'StatefulSet', path: 'spec/volumeClaimTemplates/spec/storageClassName' },
    ],
  },
  {
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    specs: workloadRefs('priorityClassName'),
  },
  {
    // kustomize writes this group as `networking.k8s.io/v1`, so it never matches a real
    // IngressClass by group; kept the same for identical output.
    group: 'networking.k8s.io/v1',
    version: 'v1',
    kind: 'IngressClass',
    specs: [{ kind: 'Ingress', path: 'spec/ingressClassName' }],
  },
  {
    group: 'admissionregistration.k8s.io',
    kind: 'ValidatingAdmissionPolicy',
    specs: [
      {
        kind: 'ValidatingAdmissionPolicyBinding',
        group: 'admissionregistration.k8s.io',
        path: 'spec/policyName',
      },
    ],
  },
];
