import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  MIN_REDACTED_LENGTH,
  noSecrets,
  redactError,
  SecretLedger,
} from '../../../lib/secrets/secret-ledger.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { ageIdentities, fixtureBytes } from './fixtures.ts';

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('SecretLedger', () => {
  it('removes values and their base64, JSON, Go and YAML forms from text', () => {
    const ledger = new SecretLedger();
    ledger.record(['hunter2-x', 'a"b\nc\\d-quoted', "it's-quoted"]);
    const line = `applied {"password":"${base64('hunter2-x')}"} pw=hunter2-x`;
    expect(ledger.text(line)).toBe('applied {"password":"***"} pw=***');
    expect(ledger.text(`say ${JSON.stringify('a"b\nc\\d-quoted')}`)).toBe('say "***"');
    expect(ledger.text(`yaml: '${"it's-quoted".replaceAll("'", "''")}'`)).toBe("yaml: '***'");
    expect(ledger.text('got "inner":"a\\"b\\nc\\\\d-quoted"')).toBe('got "inner":"***"');
  });

  it('masks a value of several lines line by line, as a YAML block scalar prints it', () => {
    const ledger = new SecretLedger();
    ledger.record(['-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----\n']);
    const yaml = stringify({
      data: { key: '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----\n' },
    });
    expect(ledger.text(`+${yaml.split('\n').join('\n+')}`)).not.toContain(
      'MIIEvQIBADANBgkqhkiG9w0B',
    );
  });

  it(`leaves values under ${MIN_REDACTED_LENGTH} characters in free text, but knows them exactly`, () => {
    const ledger = new SecretLedger();
    ledger.record(['on', 'true', '5432', 'admin']);
    expect(ledger.text('replicas: 1, enabled: true, port 5432, user admin')).toBe(
      'replicas: 1, enabled: true, port 5432, user admin',
    );
    expect(ledger.isSecret('true')).toBe(true);
    expect(ledger.isSecret('false')).toBe(false);
  });

  it('redacts every string of structured data, keeps keys, and shares unchanged parts', () => {
    const ledger = new SecretLedger();
    ledger.record(['canary-value-1']);
    const clean = { a: { b: ['x'] } };
    const data = { name: 'pre-canary-value-1-post', clean, n: 3 };
    const out = ledger.data(data);
    expect(out).toEqual({ name: 'pre-***-post', clean, n: 3 });
    expect(out.clean).toBe(clean);
    expect(data.name).toBe('pre-canary-value-1-post');
    expect(noSecrets.data(data)).toBe(data);
  });

  it('never leaves a recorded value in any text containing it (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: MIN_REDACTED_LENGTH, maxLength: 40, unit: 'binary' }),
        fc.string({ maxLength: 40, unit: 'binary' }),
        fc.string({ maxLength: 40, unit: 'binary' }),
        (secret, before, after) => {
          const ledger = new SecretLedger();
          ledger.record([secret]);
          for (const form of [secret, base64(secret), JSON.stringify(secret)]) {
            expect(ledger.text(`${before}${form}${after}`)).not.toContain(secret);
          }
        },
      ),
    );
  });

  it('is fed by a watched decryptor: each encrypted leaf and the whole file', async () => {
    const ledger = new SecretLedger();
    const decryptor = ledger.watch(createSopsDecryptor({ ageIdentities: [...ageIdentities] }));
    const out = await decryptor.decrypt('app.sops.env', fixtureBytes('app.sops.env'));
    const plaintext = new TextDecoder().decode(out?.plaintext);
    expect(ledger.isSecret('hunter2')).toBe(true);
    expect(ledger.isSecret('postgres://u:p@h/db?x=1')).toBe(true);
    expect(ledger.isSecret(plaintext)).toBe(true);
    expect(ledger.text(plaintext)).not.toContain('hunter2');
    expect(ledger.text(base64(plaintext))).toBe('***');
  });

  it('records only what was encrypted: values sops left in clear stay readable', async () => {
    const ledger = new SecretLedger();
    const decryptor = ledger.watch(createSopsDecryptor({ ageIdentities: [...ageIdentities] }));
    await decryptor.decrypt('s.sops.yaml', fixtureBytes('secret-regex.sops.yaml'));
    expect(ledger.isSecret('correct horse battery staple')).toBe(true);
    expect(ledger.isSecret('db-credentials')).toBe(false);
    expect(ledger.text('Secret shop/db-credentials')).toBe('Secret shop/db-credentials');
  });

  it('redacts an error, its causes and its stack before it is thrown on', () => {
    const ledger = new SecretLedger();
    ledger.record(['canary-in-error']);
    const cause = new Error('inner canary-in-error');
    const error = new Error('outer canary-in-error', { cause });
    redactError(error, ledger);
    expect(error.message).toBe('outer ***');
    expect(cause.message).toBe('inner ***');
    expect(String(error.stack)).not.toContain('canary-in-error');
  });
});

describe('a whole decrypted file in the ledger', () => {
  it('is masked whole, but its lines in clear (keys, unencrypted values) stay readable', async () => {
    const ledger = new SecretLedger();
    const decryptor = ledger.watch(createSopsDecryptor({ ageIdentities: [...ageIdentities] }));
    await decryptor.decrypt('s.sops.yaml', fixtureBytes('secret-regex.sops.yaml'));
    const diff = '+apiVersion: v1\n+kind: Secret\n+metadata:\n+  name: db-credentials\n';
    expect(ledger.text(diff)).toBe(diff);
  });
});

describe('a manifest encrypted whole', () => {
  it('keeps its identity readable (apiVersion, kind, name, namespace, labels), not its data', async () => {
    const ledger = new SecretLedger();
    const decryptor = ledger.watch(createSopsDecryptor({ ageIdentities: [...ageIdentities] }));
    const out = await decryptor.decrypt('all.sops.yaml', fixtureBytes('all-types.sops.yaml'));
    expect(new TextDecoder().decode(out?.plaintext)).toContain('kind: Secret');
    expect(ledger.isSecret('Secret')).toBe(false);
    expect(ledger.isSecret('hunter2')).toBe(true);
    expect(ledger.text('Secret shop/db: kind: Secret')).toBe('Secret shop/db: kind: Secret');
  });
});
