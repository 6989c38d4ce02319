/**
 * The `sops` metadata block: data-key envelopes (key groups), encryption rules, MAC. Read from
 * the plain value of the block, whatever the file format it came from.
 */

/** A data-key envelope sealed by an AWS KMS key. */
export interface KmsKeyEntry {
  type: 'kms';
  arn: string;
  /** The KMS EncryptionContext; must match the one used at encryption exactly. */
  context: Record<string, string>;
  role: string | undefined;
  awsProfile: string | undefined;
  /** Standard base64 of the KMS CiphertextBlob. */
  enc: string;
}

/** A data-key envelope sealed to an age recipient. */
export interface AgeKeyEntry {
  type: 'age';
  recipient: string;
  /** ASCII-armored age file holding the data key (or a Shamir share). */
  enc: string;
}

/** A key type Plumbline does not decrypt (pgp, gcp_kms, azure_kv, hc_vault, hckms). */
export interface UnsupportedKeyEntry {
  type: 'unsupported';
  kind: string;
  /** A display name: fingerprint, resource id or URL. */
  name: string;
}

/** One envelope of the data key. */
export type KeyEntry = KmsKeyEntry | AgeKeyEntry | UnsupportedKeyEntry;

/** Which leaves are encrypted: at most one rule is set; none means the default suffix. */
export interface EncryptionRules {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
}

/** The parsed `sops` block. */
export interface SopsMetadata {
  /** `lastmodified` formatted as Go's RFC 3339: the additional data of the MAC. */
  lastModified: string;
  mac: string;
  version: string;
  rules: EncryptionRules;
  macOnlyEncrypted: boolean;
  /** Shares needed with several key groups (0 in the file means all of them). */
  shamirThreshold: number;
  keyGroups: KeyEntry[][];
}

type Plain = Record<string, unknown>;

const RULE_KEYS: Record<string, keyof EncryptionRules> = {
  unencrypted_suffix: 'unencryptedSuffix',
  encrypted_suffix: 'encryptedSuffix',
  unencrypted_regex: 'unencryptedRegex',
  encrypted_regex: 'encryptedRegex',
  unencrypted_comment_regex: 'unencryptedCommentRegex',
  encrypted_comment_regex: 'encryptedCommentRegex',
};

const UNSUPPORTED: Record<string, string> = {
  pgp: 'fp',
  gcp_kms: 'resource_id',
  azure_kv: 'vault_url',
  hc_vault: 'vault_address',
  hckms: 'key_id',
};

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

function list(value: unknown, where: string): Plain[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isPlain))
    throw new Error(`${where} is not a list of mappings`);
  return value;
}

function group(block: Plain, where: string): KeyEntry[] {
  const entries: KeyEntry[] = [];
  for (const [i, k] of list(block.kms, `${where}.kms`).entries()) {
    if (!k.arn || !k.enc) throw new Error(`${where}.kms[${i}] needs arn and enc`);
    const context: Record<string, string> = {};
    if (k.context !== undefined && k.context !== null) {
      if (!isPlain(k.context)) throw new Error(`${where}.kms[${i}].context is not a mapping`);
      for (const [ck, cv] of Object.entries(k.context)) if (cv !== null) context[ck] = text(cv);
    }
    entries.push({
      type: 'kms',
      arn: text(k.arn).replace(/ /g, ''),
      context,
      role: k.role ? text(k.role) : undefined,
      awsProfile: k.aws_profile ? text(k.aws_profile) : undefined,
      enc: text(k.enc),
    });
  }
  for (const [kind, nameKey] of Object.entries(UNSUPPORTED)) {
    for (const k of list(block[kind], `${where}.${kind}`)) {
      const name =
        kind === 'azure_kv'
          ? `${text(k.vault_url)}/keys/${text(k.name)}`
          : kind === 'hc_vault'
            ? `${text(k.vault_address)}/v1/${text(k.engine_path)}/keys/${text(k.key_name)}`
            : text(k[nameKey]);
      entries.push({ type: 'unsupported', kind, name });
    }
  }
  for (const [i, k] of list(block.age, `${where}.age`).entries()) {
    if (!k.recipient || !k.enc) throw new Error(`${where}.age[${i}] needs recipient and enc`);
    entries.push({ type: 'age', recipient: text(k.recipient), enc: text(k.enc) });
  }
  return entries;
}

const HAS_KEYS = ['kms', 'age', ...Object.keys(UNSUPPORTED)];

/**
 * Reads the `sops` block. Throws an `Error` naming the offending field (never a value), which
 * the caller wraps in a `DecryptError` naming the file.
 */
export function parseSopsMetadata(block: unknown): SopsMetadata {
  if (!isPlain(block)) throw new Error('the sops metadata is not a mapping');
  const rules: EncryptionRules = {};
  let ruleCount = 0;
  for (const [key, field] of Object.entries(RULE_KEYS)) {
    const value = text(block[key]);
    if (value !== '') {
      rules[field] = value;
      ruleCount++;
    }
  }
  if (ruleCount > 1) {
    throw new Error(
      'the sops metadata sets more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex',
    );
  }
  if (ruleCount === 0) rules.unencryptedSuffix = '_unencrypted';

  let keyGroups: KeyEntry[][];
  if (HAS_KEYS.some((k) => Array.isArray(block[k]) && (block[k] as unknown[]).length > 0)) {
    keyGroups = [group(block, 'sops')];
  } else {
    keyGroups = list(block.key_groups, 'sops.key_groups').map((g, i) =>
      group(g, `sops.key_groups[${i}]`),
    );
  }
  if (keyGroups.length === 0) throw new Error('the sops metadata lists no keys');

  const lastModified = text(block.lastmodified);
  if (lastModified === '') throw new Error('the sops metadata has no lastmodified');
  const mac = text(block.mac);
  if (mac === '') throw new Error('the sops metadata has no mac');
  const threshold = block.shamir_threshold === undefined ? 0 : Number(block.shamir_threshold);
  if (!Number.isInteger(threshold) || threshold < 0) {
    throw new Error('sops.shamir_threshold is not a non-negative integer');
  }
  const macOnly = block.mac_only_encrypted;
  return {
    lastModified,
    mac,
    version: text(block.version),
    rules,
    macOnlyEncrypted: macOnly === true || macOnly === 'true' || macOnly === 'True',
    shamirThreshold: threshold,
    keyGroups,
  };
}
