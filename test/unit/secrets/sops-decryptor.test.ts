import { describe, expect, it } from 'vitest';
import { DecryptError } from '../../../lib/errors.ts';
import { createSopsDecryptor } from '../../../lib/secrets/sops-decryptor.ts';
import { ageIdentities, ageRecipients, fixture, fixtureBytes } from './fixtures.ts';

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const encode = (s: string) => new TextEncoder().encode(s);

async function decrypt(name: string, identities = [ageIdentities[0] as string]) {
  const decryptor = createSopsDecryptor({ ageIdentities: identities });
  return (await decryptor.decrypt(name, fixtureBytes(name)))?.plaintext;
}

async function failure(promise: Promise<unknown>): Promise<DecryptError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecryptError);
  return error as DecryptError;
}

describe('createSopsDecryptor', () => {
  it('decrypts a YAML file of every value type to exactly what sops --decrypt printed', async () => {
    expect(text(await decrypt('all-types.sops.yaml'))).toBe(fixture('all-types.decrypted.yaml'));
  });

  it('decrypts only the data and stringData values under encrypted_regex', async () => {
    const out = text(await decrypt('secret-regex.sops.yaml'));
    expect(out).toBe(fixture('secret-regex.decrypted.yaml'));
    expect(out).toContain('password: correct horse battery staple');
    expect(out).not.toContain('sops:');
  });

  it('verifies a mac_only_encrypted file', async () => {
    expect(text(await decrypt('mac-only.sops.yaml'))).toBe(fixture('mac-only.decrypted.yaml'));
  });

  it('accepts an edited clear value in a mac_only_encrypted file, as sops does', async () => {
    const edited = fixture('mac-only.sops.yaml').replace('namespace: shop', 'namespace: other');
    const out = await createSopsDecryptor({ ageIdentities }).decrypt('m.yaml', encode(edited));
    expect(text(out?.plaintext)).toContain('namespace: other');
  });

  it('rebuilds the data key from any two of three key groups', async () => {
    const want = fixture('shamir.decrypted.yaml');
    const [a, b, c] = ageIdentities as [string, string, string];
    for (const pair of [
      [a, b],
      [b, c],
      [a, c],
    ]) {
      expect(text(await decrypt('shamir.sops.yaml', pair))).toBe(want);
    }
  });

  it('refuses a Shamir file when only one key group can be opened, naming the groups', async () => {
    const error = await failure(decrypt('shamir.sops.yaml', [ageIdentities[1] as string]));
    expect(error.file).toBe('shamir.sops.yaml');
    expect(error.message).toMatch(
      /^shamir\.sops\.yaml: cannot decrypt the data key: only 1 of the 2 key groups/,
    );
    expect(error.message).toContain(`group 1: age ${ageRecipients[0]}`);
    expect(error.message).toContain(`group 3: age ${ageRecipients[2]}`);
    expect(error.message).not.toContain('correct horse');
  });

  it('decrypts JSON to exactly what sops printed, keeping key order and number forms', async () => {
    const decryptor = createSopsDecryptor({ ageIdentities });
    const out = await decryptor.decrypt('config.sops.json', fixtureBytes('config.sops.json.txt'));
    expect(text(out?.plaintext)).toBe(fixture('config.decrypted.json.txt'));
  });

  it('decrypts a dotenv file with its encrypted comment', async () => {
    const out = text(await decrypt('app.sops.env'));
    expect(out).toBe(fixture('app.decrypted.env'));
    expect(out).toContain('# a comment\n');
  });

  it('decrypts a binary envelope to the original bytes', async () => {
    expect(text(await decrypt('tls.sops.key'))).toBe(fixture('tls.key'));
  });

  it('returns undefined for plain files of every format', async () => {
    const d = createSopsDecryptor({ ageIdentities });
    expect(await d.decrypt('a.yaml', encode(fixture('secret-regex.yaml')))).toBeUndefined();
    expect(await d.decrypt('a.json', encode('{"sops": 1}'))).toBeUndefined();
    expect(await d.decrypt('a.env', encode('A=1\n'))).toBeUndefined();
    expect(await d.decrypt('tls.key', encode('-----BEGIN sops-----'))).toBeUndefined();
    expect(await d.decrypt('bad.yaml', encode('sops: [unclosed'))).toBeUndefined();
  });

  it('refuses a tampered value, naming the key and not the value', async () => {
    const file = fixture('secret-regex.sops.yaml');
    const token = /token: (ENC\[[^\]]+\])/.exec(file)?.[1] as string;
    const password = /password: (ENC\[[^\]]+\])/.exec(file)?.[1] as string;
    const swapped = file.replace(`token: ${token}`, `token: ${password}`);
    const error = await failure(
      createSopsDecryptor({ ageIdentities }).decrypt('s.yaml', encode(swapped)),
    );
    expect(error.message).toMatch(/^s\.yaml: key "data\.token" does not decrypt with the data key/);
    expect(error.message).not.toContain('correct horse');
  });

  it('refuses an edited clear value outside mac_only_encrypted with a MAC mismatch', async () => {
    const edited = fixture('secret-regex.sops.yaml').replace('namespace: shop', 'namespace: other');
    const error = await failure(
      createSopsDecryptor({ ageIdentities }).decrypt('s.yaml', encode(edited)),
    );
    expect(error.message).toBe(
      's.yaml: the MAC does not match the content: the file was modified after it was encrypted',
    );
  });

  it('refuses a tampered MAC', async () => {
    const file = fixture('secret-regex.sops.yaml');
    const tampered = file.replace(
      /mac: ENC\[AES256_GCM,data:(.)/,
      (_m, c: string) => `mac: ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`,
    );
    expect(tampered).not.toBe(file);
    const error = await failure(
      createSopsDecryptor({ ageIdentities }).decrypt('s.yaml', encode(tampered)),
    );
    expect(error.message).toMatch(/^s\.yaml: sops\.mac does not decrypt with the data key/);
  });

  it('refuses a file when the identity is wrong, saying which recipient was tried and why', async () => {
    const error = await failure(decrypt('secret-regex.sops.yaml', [ageIdentities[2] as string]));
    expect(error.message).toContain(`group 1: age ${ageRecipients[0]}: no identity matched`);
    expect(error.hint).toMatch(/age identity or KMS access/);
  });

  it('refuses a file when no identity is configured at all', async () => {
    const error = await failure(decrypt('secret-regex.sops.yaml', []));
    expect(error.message).toContain('no age identity is configured');
  });

  it('reports malformed metadata as a DecryptError naming the file', async () => {
    const broken = fixture('secret-regex.sops.yaml').replace(/ {4}lastmodified: .*\n/, '');
    const error = await failure(
      createSopsDecryptor({ ageIdentities }).decrypt('s.yaml', encode(broken)),
    );
    expect(error.message).toBe(
      's.yaml: not a valid SOPS file: the sops metadata has no lastmodified',
    );
  });
});

describe('YAML aliases', () => {
  it('bounds alias expansion instead of walking an exponential tree', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      );
    const bomb = `${levels.join('\n')}\nsops:\n  lastmodified: "2024-01-01T00:00:00Z"\n  mac: x\n  age: [{recipient: r, enc: e}]\n`;
    const error = await failure(
      createSopsDecryptor({ ageIdentities }).decrypt('bomb.yaml', encode(bomb)),
    );
    expect(error.message).toBe(
      'bomb.yaml: not a valid SOPS file: more than 10000 YAML alias expansions',
    );
  });
});

describe('YAML aliases in hand-edited files', () => {
  it('keeps an alias to clear content as written', async () => {
    const edited = fixture('mac-only.sops.yaml').replace(
      '        app: db\n',
      '        app: &app db\n        copy: *app\n',
    );
    expect(edited).toContain('copy: *app');
    const out = text(
      (await createSopsDecryptor({ ageIdentities }).decrypt('m.yaml', encode(edited)))?.plaintext,
    );
    expect(out).toContain('        app: &app db\n        copy: *app\n');
    expect(out).toContain('password: correct horse battery staple');
  });
});

describe('unsupported SOPS formats', () => {
  it('refuses a sops INI file rather than passing its ciphertext on', async () => {
    const ini =
      '[db]\npassword = ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n[sops]\nmac = x\n';
    const error = await failure(
      createSopsDecryptor({ ageIdentities }).decrypt('db.ini', encode(ini)),
    );
    expect(error.message).toBe('db.ini: sops INI files are not supported');
    expect(
      await createSopsDecryptor().decrypt('plain.ini', encode('[db]\nsops = no\n')),
    ).toBeUndefined();
  });
});

describe('files that lost their sops metadata', () => {
  it('are refused instead of deploying ciphertext', async () => {
    const file = fixture('secret-regex.sops.yaml');
    const headless = file.slice(0, file.indexOf('sops:'));
    const error = await failure(
      createSopsDecryptor({ ageIdentities }).decrypt('s.yaml', encode(headless)),
    );
    expect(error.message).toBe('s.yaml: holds sops-encrypted values but no sops metadata');
  });
});
