/**
 * Prototype-pollution payloads for the render: every place repository data becomes objects
 * (JSON patches, strategic merge patches and their directives, replacements, transformers,
 * generators, YAML keys and merge keys, the kustomization itself). Each payload states what
 * kustomize does with it, checked against the real kustomize in `tools/render-pollution.test.ts`:
 * `__proto__`, `constructor` and `prototype` are plain data, or the input is refused.
 */

/** One payload: a repository tree, the app to render, and kustomize's verdict. */
export interface PollutionPayload {
  name: string;
  files: Record<string, string>;
  /** `renders` when kustomize builds it (names are data), `refused` when kustomize refuses it. */
  outcome: 'renders' | 'refused';
}

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  labels:
    app: web
data:
  a: b
`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env:
        - {name: A, value: a}
      volumes:
      - name: data
        emptyDir: {}
`;

/** A kustomization over a ConfigMap and a Deployment, with `extra` appended. */
function app(extra: string, more: Record<string, string> = {}): Record<string, string> {
  return {
    'app/kustomization.yaml': `resources: [cm.yaml, deploy.yaml]\n${extra}`,
    'app/cm.yaml': configMap,
    'app/deploy.yaml': deployment,
    ...more,
  };
}

/** A JSON 6902 patch (YAML list) on the ConfigMap. */
function jsonPatch(ops: string): Record<string, string> {
  return app(`patches:\n- target: {kind: ConfigMap}\n  path: ops.yaml\n`, { 'app/ops.yaml': ops });
}

/** A strategic merge patch of the Deployment. */
function mergePatch(body: string): Record<string, string> {
  return app(`patches:\n- path: smp.yaml\n`, {
    'app/smp.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n${body}`,
  });
}

/** Every payload. */
export const pollutionPayloads: PollutionPayload[] = [
  // JSON 6902: every operation, in `path` and in `from`.
  {
    name: 'JSON patch add /__proto__/insecureSkipTlsVerify',
    files: jsonPatch('- op: add\n  path: /__proto__/insecureSkipTlsVerify\n  value: true\n'),
    outcome: 'refused',
  },
  {
    name: 'JSON patch remove /__proto__/hasOwnProperty',
    files: jsonPatch('- op: remove\n  path: /__proto__/hasOwnProperty\n'),
    outcome: 'refused',
  },
  {
    name: 'JSON patch replace /__proto__/toString',
    files: jsonPatch('- op: replace\n  path: /__proto__/toString\n  value: x\n'),
    outcome: 'refused',
  },
  {
    name: 'JSON patch add /constructor/prototype/polluted',
    files: jsonPatch('- op: add\n  path: /constructor/prototype/polluted\n  value: true\n'),
    outcome: 'refused',
  },
  {
    name: 'JSON patch add into an array through __proto__',
    files: jsonPatch(
      '- op: add\n  path: /metadata/finalizers\n  value: [a]\n- op: add\n  path: /metadata/finalizers/__proto__/polluted\n  value: true\n',
    ),
    outcome: 'refused',
  },
  {
    // json-patch v4 reads a missing field as null: the copy brings null, never a prototype.
    name: 'JSON patch copy from /__proto__',
    files: jsonPatch('- op: copy\n  from: /__proto__\n  path: /data/stolen\n'),
    outcome: 'renders',
  },
  {
    name: 'JSON patch copy from /__proto__/toString',
    files: jsonPatch('- op: copy\n  from: /__proto__/toString\n  path: /data/stolen\n'),
    outcome: 'refused',
  },
  {
    name: 'JSON patch move from /constructor',
    files: jsonPatch('- op: move\n  from: /constructor\n  path: /data/stolen\n'),
    outcome: 'refused',
  },
  {
    name: 'JSON patch move data into /__proto__',
    files: jsonPatch('- op: move\n  from: /data\n  path: /__proto__/data\n'),
    outcome: 'refused',
  },
  {
    name: 'JSON patch test of /__proto__',
    files: jsonPatch('- op: test\n  path: /__proto__\n  value: {}\n'),
    outcome: 'refused',
  },
  {
    name: 'JSON patch (JSON form) add /__proto__/polluted',
    files: app(
      `patches:\n- target: {kind: ConfigMap}\n  patch: '[{"op": "add", "path": "/__proto__/polluted", "value": true}]'\n`,
    ),
    outcome: 'refused',
  },
  {
    name: 'JSON patch adds fields named __proto__, constructor and prototype as data',
    files: jsonPatch(
      '- op: add\n  path: /metadata/__proto__\n  value: {polluted: true}\n- op: add\n  path: /data/constructor\n  value: c\n- op: add\n  path: /data/prototype\n  value: p\n- op: add\n  path: /metadata/labels/__proto__\n  value: x\n- op: copy\n  from: /metadata/__proto__\n  path: /data/__proto__\n- op: test\n  path: /data/__proto__\n  value: {polluted: true}\n',
    ),
    outcome: 'renders',
  },
  // Strategic merge: keys, directives, merge keys.
  {
    name: 'strategic merge patch with __proto__ and constructor fields',
    files: mergePatch(
      '  __proto__: {namespace: kube-system}\n__proto__: {polluted: true}\nconstructor: {prototype: {polluted: true}}\nspec:\n  __proto__: {replicas: 9}\n',
    ),
    outcome: 'renders',
  },
  {
    name: 'strategic merge patch with containers named __proto__ and constructor',
    files: mergePatch(
      'spec:\n  template:\n    spec:\n      containers:\n      - name: __proto__\n        image: evil\n      - name: constructor\n        image: evil\n        env:\n        - {name: __proto__, value: x}\n',
    ),
    outcome: 'renders',
  },
  {
    name: 'strategic merge $patch directives around __proto__',
    files: mergePatch(
      'spec:\n  template:\n    spec:\n      __proto__:\n        $patch: replace\n        polluted: true\n      volumes:\n      - name: data\n        $patch: delete\n      containers:\n      - name: web\n        __proto__:\n          $patch: delete\n',
    ),
    outcome: 'renders',
  },
  {
    name: 'strategic merge $setElementOrder, $retainKeys and $deleteFromPrimitiveList naming __proto__',
    files: mergePatch(
      'spec:\n  template:\n    spec:\n      $setElementOrder/containers:\n      - name: __proto__\n      - name: web\n      $retainKeys: [__proto__, containers]\n      $deleteFromPrimitiveList/__proto__: [x]\n',
    ),
    outcome: 'renders',
  },
  {
    name: 'strategic merge patch of a kind named constructor',
    files: {
      'app/kustomization.yaml': 'resources: [o.yaml]\npatches:\n- path: smp.yaml\n',
      'app/o.yaml':
        'apiVersion: v1\nkind: constructor\nmetadata:\n  name: __proto__\nspec:\n  toString: [a]\n',
      'app/smp.yaml':
        'apiVersion: v1\nkind: constructor\nmetadata:\n  name: __proto__\nspec:\n  toString: [b]\n  valueOf: {x: 1}\n',
    },
    outcome: 'renders',
  },
  {
    name: 'targeted strategic merge patch selecting the name __proto__',
    files: {
      'app/kustomization.yaml':
        'resources: [o.yaml]\npatches:\n- target: {name: __proto__}\n  patch: |-\n    kind: ConfigMap\n    metadata:\n      name: any\n      annotations: {constructor: x}\n    data: {__proto__: y}\n',
      'app/o.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: __proto__\n',
    },
    outcome: 'renders',
  },
  // Replacements: source and target field paths.
  {
    name: 'replacements write __proto__, constructor.prototype and label __proto__ with create',
    files: app(
      'replacements:\n- sourceValue: polluted\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths:\n    - __proto__.polluted\n    - constructor.prototype.polluted\n    - metadata.labels.__proto__\n    - spec.template.spec.containers.[name=__proto__].image\n    options: {create: true}\n',
    ),
    outcome: 'renders',
  },
  {
    name: 'replacement creating a list item keyed __proto__ under a mapping',
    files: app(
      'replacements:\n- sourceValue: polluted\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths:\n    - data.[__proto__=x].y\n    options: {create: true}\n',
    ),
    outcome: 'refused',
  },
  {
    name: 'replacement reading from __proto__',
    files: app(
      'replacements:\n- source: {kind: ConfigMap, name: cfg, fieldPath: __proto__.constructor}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [metadata.annotations.stolen]\n    options: {create: true}\n',
    ),
    outcome: 'refused',
  },
  {
    name: 'replacement into an existing __proto__ field without create',
    files: app(
      'replacements:\n- source: {kind: ConfigMap, name: cfg, fieldPath: data.a}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [__proto__.polluted]\n',
    ),
    outcome: 'refused',
  },
  // Transformers and field specs.
  {
    name: 'commonLabels, commonAnnotations and labels named __proto__ and constructor',
    files: app(
      'commonLabels: {__proto__: a, constructor: b}\ncommonAnnotations: {__proto__: c, prototype: d}\nlabels:\n- pairs: {hasOwnProperty: e}\n  includeSelectors: true\n',
    ),
    outcome: 'renders',
  },
  {
    name: 'labels with a field spec path through __proto__ and constructor',
    files: app(
      'labels:\n- pairs: {polluted: "true"}\n  fields:\n  - path: __proto__/polluted\n    create: true\n  - path: constructor/prototype\n    create: true\n  - kind: ConfigMap\n    path: data/__proto__\n    create: true\n',
    ),
    outcome: 'renders',
  },
  {
    name: 'namespace, images and replicas named like JavaScript internals',
    files: app(
      'namespace: constructor\nimages:\n- name: __proto__\n  newName: evil\n- name: nginx\n  newName: __proto__\n  newTag: constructor\nreplicas:\n- name: web\n  count: 2\n',
    ),
    outcome: 'renders',
  },
  // Generators: keys from literals, files and env files.
  {
    name: 'configMapGenerator and secretGenerator keys __proto__, constructor, prototype',
    files: app(
      'configMapGenerator:\n- name: gen\n  literals: [__proto__=1, constructor=2]\n  files: [prototype=p.txt]\n  envs: [e.env]\n  options:\n    labels: {__proto__: l}\n    annotations: {constructor: a}\nsecretGenerator:\n- name: sec\n  literals: [__proto__=s, toString=t]\ngeneratorOptions:\n  labels: {constructor: g}\n',
      { 'app/p.txt': 'file', 'app/e.env': 'hasOwnProperty=h\nvalueOf=v\n' },
    ),
    outcome: 'renders',
  },
  {
    name: 'generator merge into a base with __proto__ keys',
    files: {
      'base/kustomization.yaml': 'configMapGenerator:\n- name: gen\n  literals: [__proto__=base]\n',
      'app/kustomization.yaml':
        'resources: [../base]\nconfigMapGenerator:\n- name: gen\n  behavior: merge\n  literals: [constructor=overlay, __proto__=overlay]\n',
    },
    outcome: 'renders',
  },
  // YAML loading: keys and merge keys.
  {
    name: 'manifest keys __proto__, constructor and prototype at every level',
    files: {
      'app/kustomization.yaml': 'resources: [o.yaml]\n',
      'app/o.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n  __proto__: {namespace: kube-system}\n__proto__: {polluted: true}\nconstructor: {prototype: {polluted: true}}\ndata:\n  prototype: x\n  __proto__: y\n',
    },
    outcome: 'renders',
  },
  {
    name: 'YAML merge keys carrying __proto__ and constructor',
    files: {
      'app/kustomization.yaml': 'resources: [o.yaml]\n',
      'app/o.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n  labels: &evil\n    __proto__: x\n    constructor: y\ndata:\n  <<: *evil\n  own: z\nspec:\n  <<: [{__proto__: {polluted: true}}, {prototype: p}]\n',
    },
    outcome: 'renders',
  },
  {
    name: 'kustomization with a __proto__ field',
    files: app('__proto__: {namespace: kube-system}\n'),
    outcome: 'refused',
  },
  {
    name: 'kustomization with a constructor field',
    files: app('constructor: {prototype: {polluted: true}}\n'),
    outcome: 'refused',
  },
  {
    name: 'kustomization merge key bringing in __proto__',
    files: app('<<: {__proto__: {polluted: true}}\n'),
    outcome: 'refused',
  },
];
