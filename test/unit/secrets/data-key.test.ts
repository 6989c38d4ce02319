import { describe, expect, it } from 'vitest';
import type { AgeKeySource } from '../../../lib/secrets/age-key-source.ts';
import {
  DataKeyUnavailable,
  memoizeKeySources,
  recoverDataKey,
} from '../../../lib/secrets/data-key.ts';
import type { KmsKeySource } from '../../../lib/secrets/kms-key-source.ts';
import { regionOfKmsArn } from '../../../lib/secrets/kms-key-source.ts';
import { splitSecret } from '../../../lib/secrets/shamir.ts';
import {
  type KeyEntry,
  parseSopsMetadata,
  type SopsMetadata,
} from '../../../lib/secrets/sops-metadata.ts';

const dataKey = crypto.getRandomValues(new Uint8Array(32));
const arn = (n: number) => `arn:aws:kms:eu-west-1:111122223333:key/${n}`;
const kms = (n: number): KeyEntry => ({
  type: 'kms',
  arn: arn(n),
  context: { app: 'shop' },
  role: undefined,
  awsProfile: undefined,
  enc: `kms-${n}`,
});
const age = (n: number): KeyEntry => ({
  type: 'age',
  recipient: `age1recipient${n}`,
  enc: `age-${n}`,
});

/** In-memory key sources: each envelope `enc` opens to `opened[enc]`, others fail. */
function sources(opened: Record<string, Uint8Array>) {
  const calls: string[] = [];
  const open = async (enc: string) => {
    calls.push(enc);
    const value = opened[enc];
    if (!value) throw new Error(`cannot open ${enc}`);
    return value;
  };
  const ageSource: AgeKeySource = { configured: true, decrypt: open };
  const kmsSource: KmsKeySource = { decrypt: (entry) => open(entry.enc) };
  return { calls, age: ageSource, kms: kmsSource };
}

function metadata(groups: KeyEntry[][], shamirThreshold = 0): SopsMetadata {
  return {
    lastModified: '',
    mac: '',
    version: '',
    rules: {},
    macOnlyEncrypted: false,
    shamirThreshold,
    keyGroups: groups,
  };
}

describe('recoverDataKey', () => {
  it('tries age keys before KMS keys within a group and stops at the first that opens', async () => {
    const s = sources({ 'age-2': dataKey, 'kms-1': dataKey });
    expect(await recoverDataKey(metadata([[kms(1), age(1), age(2)]]), s)).toEqual(dataKey);
    expect(s.calls).toEqual(['age-1', 'age-2']);
  });

  it('opens only as many key groups as the Shamir threshold needs', async () => {
    const [a, b, c] = splitSecret(dataKey, 3, 2) as [Uint8Array, Uint8Array, Uint8Array];
    const s = sources({ 'kms-1': a, 'kms-2': b, 'kms-3': c });
    expect(await recoverDataKey(metadata([[kms(1)], [kms(2)], [kms(3)]], 2), s)).toEqual(dataKey);
    expect(s.calls).toEqual(['kms-1', 'kms-2']);
  });

  it('skips a group it cannot open and uses a later one', async () => {
    const [a, , c] = splitSecret(dataKey, 3, 2) as [Uint8Array, Uint8Array, Uint8Array];
    const s = sources({ 'kms-1': a, 'kms-3': c });
    expect(await recoverDataKey(metadata([[kms(1)], [kms(2)], [kms(3)]], 2), s)).toEqual(dataKey);
  });

  it('needs every group when the threshold is 0', async () => {
    const [a, b] = splitSecret(dataKey, 2, 2) as [Uint8Array, Uint8Array];
    const error = await recoverDataKey(
      metadata([[kms(1)], [kms(2)]]),
      sources({ 'kms-1': a }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataKeyUnavailable);
    expect((error as DataKeyUnavailable).message).toBe(
      'only 1 of the 2 key groups needed could be decrypted',
    );
    expect(
      await recoverDataKey(metadata([[kms(1)], [kms(2)]]), sources({ 'kms-1': a, 'kms-2': b })),
    ).toEqual(dataKey);
  });

  it('records every attempt with the key, its context and the reason', async () => {
    const error = (await recoverDataKey(
      metadata([[kms(1), { type: 'unsupported', kind: 'pgp', name: 'ABCD' }]]),
      sources({}),
    ).catch((e: unknown) => e)) as DataKeyUnavailable;
    expect(error.attempts).toEqual([
      { group: 0, key: `kms ${arn(1)} (context app=shop)`, error: 'cannot open kms-1' },
      { group: 0, key: 'pgp ABCD', error: 'pgp keys are not supported by Plumbline' },
    ]);
  });

  it('refuses a data key of the wrong length', async () => {
    const error = await recoverDataKey(
      metadata([[kms(1)]]),
      sources({ 'kms-1': new Uint8Array(16) }),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('the data key has 16 bytes instead of 32');
  });
});

describe('regionOfKmsArn', () => {
  it('takes the region from key and alias ARNs of every partition', () => {
    expect(regionOfKmsArn('arn:aws:kms:eu-west-1:111122223333:key/abc')).toBe('eu-west-1');
    expect(regionOfKmsArn('arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/x')).toBe(
      'us-gov-west-1',
    );
    expect(regionOfKmsArn('arn:aws:s3:::bucket')).toBeUndefined();
  });
});

describe('parseSopsMetadata', () => {
  const base = { lastmodified: '2024-01-01T00:00:00Z', mac: 'ENC[...]', version: '3.13.3' };

  it('reads single-group keys and defaults to the _unencrypted suffix', () => {
    const m = parseSopsMetadata({
      ...base,
      kms: [{ arn: arn(1), enc: 'x', context: { app: 'shop' } }],
      age: [{ recipient: 'age1x', enc: 'y' }],
    });
    expect(m.keyGroups).toHaveLength(1);
    expect(m.keyGroups[0]?.map((k) => k.type)).toEqual(['kms', 'age']);
    expect(m.rules).toEqual({ unencryptedSuffix: '_unencrypted' });
  });

  it('reads key groups, the threshold and flags written as strings (dotenv)', () => {
    const m = parseSopsMetadata({
      ...base,
      shamir_threshold: '2',
      mac_only_encrypted: 'true',
      encrypted_regex: '^data$',
      key_groups: [{ age: [{ recipient: 'a', enc: 'e' }] }, { kms: [{ arn: arn(1), enc: 'e' }] }],
    });
    expect(m.keyGroups).toHaveLength(2);
    expect(m.shamirThreshold).toBe(2);
    expect(m.macOnlyEncrypted).toBe(true);
    expect(m.rules).toEqual({ encryptedRegex: '^data$' });
  });

  it('refuses more than one rule, no keys, or no MAC, naming the field', () => {
    const age = [{ recipient: 'a', enc: 'e' }];
    expect(() =>
      parseSopsMetadata({ ...base, age, encrypted_regex: 'a', unencrypted_suffix: 'b' }),
    ).toThrow('more than one of');
    expect(() => parseSopsMetadata({ ...base })).toThrow('lists no keys');
    expect(() => parseSopsMetadata({ ...base, age, mac: '' })).toThrow('has no mac');
    expect(() => parseSopsMetadata({ ...base, kms: [{ enc: 'x' }] })).toThrow(
      'sops.kms[0] needs arn and enc',
    );
  });
});

describe('memoizeKeySources', () => {
  it('opens each envelope once and retries after a failure', async () => {
    let fail = true;
    const s = sources({ 'kms-1': dataKey });
    const flaky = {
      ...s,
      kms: {
        decrypt: async (entry: Parameters<KmsKeySource['decrypt']>[0]) => {
          if (fail) {
            fail = false;
            throw new Error('throttled');
          }
          return s.kms.decrypt(entry);
        },
      },
    };
    const memo = memoizeKeySources(flaky);
    const entry = kms(1) as Parameters<KmsKeySource['decrypt']>[0];
    await expect(memo.kms.decrypt(entry)).rejects.toThrow('throttled');
    const first = await memo.kms.decrypt(entry);
    first.fill(0);
    expect(await memo.kms.decrypt(entry)).toEqual(dataKey);
    expect(s.calls).toEqual(['kms-1']);
    // Another context is another envelope as far as KMS is concerned: asked again.
    await memo.kms.decrypt({ ...entry, context: { app: 'other' } });
    expect(s.calls).toEqual(['kms-1', 'kms-1']);
  });
});

describe('memoizeKeySources limits', () => {
  it('forgets keys after the TTL and beyond the entry limit', async () => {
    let clock = 0;
    const s = sources({ 'age-1': dataKey, 'age-2': dataKey, 'age-3': dataKey });
    const memo = memoizeKeySources(s, { ttlMs: 1_000, maxEntries: 2 }, () => clock);
    await memo.age.decrypt('age-1');
    await memo.age.decrypt('age-1');
    expect(s.calls).toEqual(['age-1']);
    clock = 1_000;
    await memo.age.decrypt('age-1');
    expect(s.calls).toEqual(['age-1', 'age-1']);
    await memo.age.decrypt('age-2');
    await memo.age.decrypt('age-3');
    await memo.age.decrypt('age-1');
    expect(s.calls).toEqual(['age-1', 'age-1', 'age-2', 'age-3', 'age-1']);
  });
});
