/**
 * Issue 11, finding 3d, at the unit level: the messages the real kube-apiserver (1.36) sends
 * back for invalid values, as recorded, lose every value they echo, for every kind, while the
 * field path and the reason stay. (`test/security/cluster/mask-api-errors.test.ts` drives the
 * same against the real API server.)
 */
import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../lib/errors.ts';
import { kubeErrorOf, withoutValues } from '../../../lib/kube/errors.ts';

const typed = `failed to create typed patch object (ns/broken; /v1, Kind=ConfigMap): errors:
  .data.key: expected string, got &value.valueUnstructured{Value:map[string]interface {}{"inner":"pw42", "x":"a}\\"b"}}
  .data.list: expected string, got &value.valueUnstructured{Value:[]interface {}{"a1", "b2"}}
  .data.num: expected string, got &value.valueUnstructured{Value:12}
  .data.str: expected numeric (int or float), got &value.valueUnstructured{Value:"s3"}`;

describe('API server messages', () => {
  it('keep paths and reasons but no value from server-side apply type errors', () => {
    const out = withoutValues(typed);
    expect(out).toContain('.data.key: expected string, got map (value hidden)');
    expect(out).toContain('.data.list: expected string, got list (value hidden)');
    expect(out).toContain('.data.num: expected string, got value (value hidden)');
    expect(out).toContain('.data.str: expected numeric (int or float), got string (value hidden)');
    for (const value of ['pw42', 'a1', 'b2', '12', 's3', 'a}']) expect(out).not.toContain(value);
  });

  it('drop the value of Invalid, Unsupported and Duplicate value causes, quoted or not', () => {
    const message =
      'Secret "db" is invalid: [data[k]: Invalid value: "pw42": a valid config key must consist of alphanumeric characters, spec.replicas: Invalid value: -7: must be greater than or equal to 0, type: Unsupported value: "t\\"x": supported values: "Opaque", spec.x: Invalid value: map[string]interface {}{"a":"pw43"}: bad]';
    const out = withoutValues(message);
    expect(out).toBe(
      'Secret "db" is invalid: [data[k]: Invalid value: "***": a valid config key must consist of alphanumeric characters, spec.replicas: Invalid value: ***: must be greater than or equal to 0, type: Unsupported value: "***": supported values: "Opaque", spec.x: Invalid value: ***: bad]',
    );
  });

  it('build errors that never carry the value, for ConfigMaps as for Secrets', () => {
    for (const kind of ['ConfigMap', 'Secret']) {
      const error = kubeErrorOf(
        500,
        JSON.stringify({ kind: 'Status', message: typed, reason: 'InternalError', code: 500 }),
        { verb: 'apply', ref: { group: '', kind, namespace: 'ns', name: 'broken' }, path: '/x' },
      );
      expect(error).toBeInstanceOf(KubeError);
      expect(error.message).toContain(`${kind} ns/broken: apply failed (500 InternalError)`);
      expect(error.message).not.toContain('pw42');
    }
  });

  it('leave messages without values alone', () => {
    const conflict =
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.color';
    expect(withoutValues(conflict)).toBe(conflict);
  });
});
