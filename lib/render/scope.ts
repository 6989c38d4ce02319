/**
 * Which kinds are cluster-scoped. kustomize reads this from its built-in OpenAPI schema; every
 * kind it does not know (custom resources) is treated as namespaced, as kustomize does.
 */

const clusterScoped = new Set([
  '|Namespace',
  '|Node',
  '|PersistentVolume',
  '|ComponentStatus',
  'apiextensions.k8s.io|CustomResourceDefinition',
  'apiregistration.k8s.io|APIService',
  'rbac.authorization.k8s.io|ClusterRole',
  'rbac.authorization.k8s.io|ClusterRoleBinding',
  'storage.k8s.io|StorageClass',
  'storage.k8s.io|CSIDriver',
  'storage.k8s.io|CSINode',
  'storage.k8s.io|VolumeAttachment',
  'storage.k8s.io|VolumeAttributesClass',
  'scheduling.k8s.io|PriorityClass',
  'node.k8s.io|RuntimeClass',
  'networking.k8s.io|IngressClass',
  'networking.k8s.io|IPAddress',
  'networking.k8s.io|ServiceCIDR',
  'policy|PodSecurityPolicy',
  'extensions|PodSecurityPolicy',
  'admissionregistration.k8s.io|MutatingWebhookConfiguration',
  'admissionregistration.k8s.io|ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io|ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io|ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io|MutatingAdmissionPolicy',
  'admissionregistration.k8s.io|MutatingAdmissionPolicyBinding',
  'certificates.k8s.io|CertificateSigningRequest',
  'certificates.k8s.io|ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io|FlowSchema',
  'flowcontrol.apiserver.k8s.io|PriorityLevelConfiguration',
  'authentication.k8s.io|TokenReview',
  'authentication.k8s.io|SelfSubjectReview',
  'authorization.k8s.io|SelfSubjectAccessReview',
  'authorization.k8s.io|SelfSubjectRulesReview',
  'authorization.k8s.io|SubjectAccessReview',
  'resource.k8s.io|DeviceClass',
  'resource.k8s.io|ResourceSlice',
  'storagemigration.k8s.io|StorageVersionMigration',
  'internal.apiserver.k8s.io|StorageVersion',
]);

/** True when objects of this group and kind are certainly cluster-scoped. */
export function isClusterScoped(group: string, kind: string): boolean {
  return clusterScoped.has(`${group}|${kind}`);
}
