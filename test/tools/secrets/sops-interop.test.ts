/**
 * Files encrypted by the real sops CLI (KMS keys in a real moto, age keys) decrypt in Plumbline
 * to exactly what `sops --decrypt` prints.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { createSopsWorld, type SopsWorld } from './sops-cli.ts';

let world: SopsWorld;

beforeAll(async () => {
  world = await createSopsWorld();
});

afterAll(async () => {
  await world?.close();
});

const allTypes = `# leading comment
apiVersion: v1
kind: Secret
metadata:
  name: every-type  # trailing comment
stringData:
  text: hunter2
  numeric_string: "5432"
  int: 42
  negative: -7
  float: 3.25
  large_float: 1e7
  whole_float: 1.0
  yes: true
  off: false
  nothing: null
  empty: ""
  timestamp: 2024-01-02T03:04:05Z
  date: 2024-01-02
  # a comment between values
  multiline: |
    first line
    second line
  kept_trailing: |+
    x

  colon: "a: b"
  hash: "a #b"
  leading_space: " x"
  unicode: "naïve 😀"
  tab: "a\\tb"
  quote: it's
  yes_string: "yes"
  list:
    - one
    - 2
    - name: nested
      value: v
    - |
      block in a list
  kept_unencrypted: clear
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: second-document
data:
  key: value
`;

const secret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  annotations:
    note: not secret
type: Opaque
stringData:
  password: correct horse battery staple
  port: "5432"
data:
  token: c2VjcmV0LXRva2Vu
`;

// The corners of go-yaml v3's emitter: quoting, escapes, block scalars, comments in lists,
// flow collections, aliases, special floats, and clear values of every resolvable form.
const yamlCorners = `${'---'}
# head of doc
empty_map: {}
empty_list: []
flow: {a: 1, b: [x, y]}
nested:
  - - inner1
    - inner2
  - []
  # comment in seq
  - k: v
    # comment inside seq map
    k2: v2
"quoted key": value
"123": numeric key
anchor: &anc
  shared: value
alias: *anc
long: this is a very long string with many spaces that goes beyond eighty characters for sure, definitely beyond
trailing: "trailing space "
multi_trailing: "line one \\nline two"
crlf: "a\\r\\nb"
backslash: 'C:\\path\\to'
special: "@at"
dash: "- x"
question: "? x"
percent: "%x"
star: "*x"
amp: "&x"
bang: "!x"
pipe: "|x"
gt: ">x"
back: "\`x"
brace: "{x"
bracket: "[x"
dots: "..."
dashes: "---"
null_str: "null"
tilde: "~"
octal: 0o17
hex: 0x1F
under: 1_000
inf: .inf
neginf: -.inf
nan: .nan
exp: 6.02e23
tiny: 1.5e-10
neg_zero: -0.0
bigint: 9223372036854775807
str_float: "1.5"
bool_str: "True"
nbsp: "a b"
zero_width: "a​b"
bom: "﻿x"
ctrl: "a\\x01b"
nel: "a\\x85b"
ls: "a\\u2028b"
only_newline: "\\n"
two_newlines: "a\\n\\n"
leading_newline: "\\nx"
folded: >
  folded text
  continues here
key_with_comment: value # inline comment
# foot comment of doc
octal_unencrypted: 0o17
hex_unencrypted: 0x1F
date_unencrypted: 2024-01-02
float_unencrypted: 1e3
bool_unencrypted: True
null_unencrypted: ~
yes_unencrypted: yes
`;

async function roundTrip(name: string, plaintext: string, args: string[], options = {}) {
  const encrypted = await world.encrypt(name, plaintext, args);
  const expected = await world.decrypt(name, encrypted);
  const decryptor = createSopsDecryptor({
    kms: world.kms,
    ageIdentities: world.age.map((k) => k.identity),
    ...options,
  });
  const out = await decryptor.decrypt(name, new TextEncoder().encode(encrypted));
  return { encrypted, expected, actual: new TextDecoder().decode(out?.plaintext) };
}

describe('files encrypted by sops decrypt to what sops --decrypt prints', () => {
  it('with a KMS key and no encryption context, multi-document YAML of every type', async () => {
    const { encrypted, expected, actual } = await roundTrip('all.yaml', allTypes, [
      '--kms',
      world.keyA,
    ]);
    expect(encrypted).not.toContain('hunter2');
    expect(actual).toBe(expected);
    expect(actual).toContain('text: hunter2');
    expect(actual).toContain('name: second-document');
  });

  it('with a KMS key and an encryption context', async () => {
    const { encrypted, expected, actual } = await roundTrip('ctx.yaml', secret, [
      '--kms',
      world.keyA,
      '--encryption-context',
      'app:shop,repo:acme/infra',
    ]);
    expect(encrypted).toMatch(/context:\n\s+app: shop\n\s+repo: acme\/infra/);
    expect(actual).toBe(expected);
  });

  it('with a KMS alias ARN', async () => {
    const { expected, actual } = await roundTrip('alias.yaml', secret, ['--kms', world.aliasA]);
    expect(actual).toBe(expected);
  });

  it('for the corner cases of YAML quoting, escapes, block scalars and comments', async () => {
    const { expected, actual } = await roundTrip('corners.yaml', yamlCorners, [
      '--age',
      world.age[2]?.recipient ?? '',
    ]);
    expect(actual).toBe(expected);
    expect(actual).toContain('    # comment in seq\n');
  });

  it('with an age key generated by age-encryption', async () => {
    const { expected, actual } = await roundTrip('age.yaml', allTypes, [
      '--age',
      world.age[0]?.recipient ?? '',
    ]);
    expect(actual).toBe(expected);
  });

  it('with three key groups (KMS, age, KMS and age) and a threshold of two', async () => {
    const [a, b] = world.age;
    const config = join(world.dir, 'groups.sops.yaml');
    writeFileSync(
      config,
      `creation_rules:
  - path_regex: .*
    shamir_threshold: 2
    key_groups:
      - kms: [{arn: ${world.keyA}, context: {app: shop}}]
      - age: [${a?.recipient}]
      - kms: [{arn: ${world.keyB}}]
        age: [${b?.recipient}]
`,
    );
    const full = await roundTrip('groups.yaml', secret, ['--config', config]);
    expect(full.encrypted).toContain('key_groups:');
    expect(full.encrypted).toContain('shamir_threshold: 2');
    expect(full.actual).toBe(full.expected);
    // KMS alone opens groups 1 and 3: enough.
    const kmsOnly = createSopsDecryptor({ kms: world.kms });
    const out = await kmsOnly.decrypt('groups.yaml', new TextEncoder().encode(full.encrypted));
    expect(new TextDecoder().decode(out?.plaintext)).toBe(full.expected);
  });

  it('with encrypted_regex ^(data|stringData)$', async () => {
    const { encrypted, expected, actual } = await roundTrip('regex.yaml', secret, [
      '--kms',
      world.keyA,
      '--encrypted-regex',
      '^(data|stringData)$',
    ]);
    expect(encrypted).toContain('namespace: shop');
    expect(actual).toBe(expected);
  });

  it('with mac_only_encrypted', async () => {
    const { encrypted, expected, actual } = await roundTrip('maconly.yaml', secret, [
      '--age',
      world.age[0]?.recipient ?? '',
      '--encrypted-regex',
      '^(data|stringData)$',
      '--mac-only-encrypted',
    ]);
    expect(encrypted).toContain('mac_only_encrypted: true');
    expect(actual).toBe(expected);
  });

  it('with unencrypted_regex, encrypted_suffix and comment regexes', async () => {
    const age = world.age[0]?.recipient ?? '';
    const commented = `# sops:enc
password: s3cret
user: admin
list:
  # sops:enc
  - a
  - b
`;
    for (const args of [
      ['--unencrypted-regex', '^(metadata|type)$'],
      ['--encrypted-suffix', 'word'],
      ['--encrypted-comment-regex', 'sops:enc'],
      ['--unencrypted-comment-regex', 'sops:enc'],
    ]) {
      const input = args[0]?.includes('comment') ? commented : secret;
      const { expected, actual } = await roundTrip('rules.yaml', input, ['--age', age, ...args]);
      expect(actual, args.join(' ')).toBe(expected);
    }
  });

  it('in JSON, keeping key order and number forms', async () => {
    const json =
      '{"b": 1, "a": "x<y&z", "10": [1, 2.5, 1e21, 1e-7, true, null, "", {"k": "v"}], "nested": {"deep_unencrypted": 1.0, "big": 12345678901234567}, "esc": "tab\\tq\\"\\u2028é😀"}\n';
    const { expected, actual } = await roundTrip('conf.json', json, ['--kms', world.keyA]);
    expect(actual).toBe(expected);
    const corners =
      '{"empty": {}, "none": [], "deep": [[1, [2, {}]], {"ü": "ẞ"}], "neg": -0.0, "max": 9223372036854775807, "ctl": "\\u0001\\b"}';
    const second = await roundTrip('corners.json', corners, [
      '--age',
      world.age[0]?.recipient ?? '',
    ]);
    expect(second.actual).toBe(second.expected);
  });

  it('in dotenv, with comments and escaped newlines', async () => {
    const env =
      '# database\nDB_PASSWORD=hunter2\nMULTI=line1\\nline2\nEMPTY=\nURL=postgres://u:p@h/db?x=1\n';
    const { expected, actual } = await roundTrip('app.env', env, [
      '--kms',
      world.keyA,
      '--encryption-context',
      'app:shop',
    ]);
    expect(actual).toBe(expected);
  });

  it('in the binary format for other file names', async () => {
    const { expected, actual } = await roundTrip('tls.key', 'opaque\nbytes\n', [
      '--age',
      world.age[1]?.recipient ?? '',
    ]);
    expect(actual).toBe(expected);
    expect(actual).toBe('opaque\nbytes\n');
  });
});

/** Encrypts `bytes` with sops (age key 0) and returns sops' and Plumbline's plaintext bytes. */
async function bytesRoundTrip(name: string, bytes: Uint8Array, args: string[] = []) {
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(world.dir, 'bytes-'));
  const plain = join(dir, name);
  const encrypted = join(dir, `enc-${name}`);
  writeFileSync(plain, bytes);
  const recipient = world.age[0]?.recipient ?? '';
  await world.run(['--encrypt', '--age', recipient, ...args, '--output', encrypted, plain]);
  await world.run(['--decrypt', ...args, '--output', `${encrypted}.out`, encrypted]);
  const decryptor = createSopsDecryptor({ ageIdentities: world.age.map((k) => k.identity) });
  const out = await decryptor.decrypt(name, new Uint8Array(readFileSync(encrypted)));
  return {
    encrypted: new Uint8Array(readFileSync(encrypted)),
    expected: new Uint8Array(readFileSync(`${encrypted}.out`)),
    actual: out?.plaintext,
  };
}

describe('bytes and layouts decrypt to what sops --decrypt prints', () => {
  it('a binary file of every byte value (a DER key, a .p12) comes back byte for byte', async () => {
    const der = Uint8Array.from({ length: 512 }, (_, i) => (i * 167) % 256);
    const { expected, actual } = await bytesRoundTrip('tls.der', der);
    expect(Buffer.from(expected).equals(Buffer.from(der))).toBe(true);
    expect(actual && Buffer.from(actual).equals(Buffer.from(der))).toBe(true);
  });

  it('!!binary values: bytes that are not UTF-8 stay !!binary base64, UTF-8 ones become text', async () => {
    const yaml = `short: !!binary ${Buffer.from([0xff, 0xfe, 0x00]).toString('base64')}\nlong: !!binary ${Buffer.from(Uint8Array.from({ length: 200 }, (_, i) => 255 - i)).toString('base64')}\ntext: !!binary ${Buffer.from('héllo').toString('base64')}\n`;
    const { expected, actual } = await bytesRoundTrip('bin.yaml', new TextEncoder().encode(yaml));
    const text = new TextDecoder().decode(actual);
    expect(text).toBe(new TextDecoder().decode(expected));
    expect(text).toContain('short: !!binary //4A\n');
    expect(text).toContain('long: !!binary |\n');
    expect(text).toContain('text: héllo\n');
  });

  it('dotenv values of any bytes come back byte for byte', async () => {
    const env = new Uint8Array([
      ...Buffer.from('A=x'),
      0xff,
      0x00,
      0xc3,
      0x0a,
      ...Buffer.from('B=y\n'),
    ]);
    const { expected, actual } = await bytesRoundTrip('raw.env', env);
    expect(actual && Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
  });

  it('YAML merge keys: sops keeps `<<` as a key (written !!merge) holding the merged mapping', async () => {
    const yaml =
      'defaults: &defaults\n  user: admin\n  pass: secret\nprod:\n  <<: *defaults\n  host: prod.example\n';
    const { expected, actual } = await bytesRoundTrip('merge.yaml', new TextEncoder().encode(yaml));
    const text = new TextDecoder().decode(actual);
    expect(text).toBe(new TextDecoder().decode(expected));
    expect(text).toContain('    !!merge <<:\n        user: admin\n');
  });

  it('a document holding only the sops metadata comes out as {}', async () => {
    const yaml = 'a: 1\n---\n{}\n---\nb: 2\n';
    const { expected, actual } = await bytesRoundTrip('docs.yaml', new TextEncoder().encode(yaml));
    expect(new TextDecoder().decode(actual)).toBe(new TextDecoder().decode(expected));
    expect(new TextDecoder().decode(actual)).toBe('a: 1\n---\n{}\n---\nb: 2\n');
  });

  it('block scalars follow the indentation the file was written with (stores.yaml.indent)', async () => {
    const yaml = 'a:\n  b: |\n    one\n    two\n  list:\n    - k: |-\n        x\n        y\n';
    for (const indent of ['2', '3', '4', '8']) {
      const { expected, actual } = await bytesRoundTrip(
        `indent${indent}.yaml`,
        new TextEncoder().encode(yaml),
        ['--indent', indent],
      );
      expect(new TextDecoder().decode(actual)).toBe(new TextDecoder().decode(expected));
    }
  });
});
