/**
 * OpenSSH user certificates (PROTOCOL.certkeys): Plumbline mints one per connection for a fresh
 * in-memory key, valid for minutes, for exactly one principal (the host's deploy user), with no
 * extensions (no pty, no forwarding), signed by the operator's certificate authority, which may
 * be a key that never leaves AWS KMS. The server trusts the authority via `TrustedUserCAKeys`.
 */
import { type SshPublicKey, type SshSigner, verifySignature } from './keys.ts';
import { type Bytes, SshFormatError, SshReader, SshWriter } from './wire.ts';

/** What a user certificate says. */
export interface UserCertificateRequest {
  /** Names the certificate in the server's logs, e.g. `plumbline owner/repo nginx`. */
  keyId: string;
  /** The users it may log in as; never empty (empty would mean any user). */
  principals: string[];
  /** Unix seconds: valid from, and valid until (exclusive). */
  validAfter: number;
  validBefore: number;
  /** Critical options, e.g. `source-address`. */
  criticalOptions?: Record<string, string>;
  /** Extensions (flags), e.g. `permit-pty`; none by default. */
  extensions?: string[];
  /** Serial number (random when absent). */
  serial?: bigint;
}

/** A decoded certificate (what tests and `describeCertificate` read). */
export interface UserCertificate {
  type: string;
  serial: bigint;
  certType: number;
  keyId: string;
  principals: string[];
  validAfter: bigint;
  validBefore: bigint;
  criticalOptions: Record<string, string>;
  extensions: string[];
  /** The certified key's blob (its plain type). */
  key: Bytes;
  signatureKey: Bytes;
}

const CERT_TYPES: Record<string, string> = {
  'ssh-ed25519': 'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256': 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
};

/** The certificate type name for a key type, e.g. `ssh-ed25519-cert-v01@openssh.com`. */
export function certificateTypeOf(keyType: string): string {
  const type = CERT_TYPES[keyType];
  if (!type) throw new SshFormatError(`no certificate type for '${keyType}' keys`);
  return type;
}

function packed(pairs: [string, string][]): Bytes {
  const writer = new SshWriter();
  for (const [name, value] of [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    writer.string(name);
    // A value is itself a string inside the data field; a flag has empty data.
    writer.string(value === '' ? new Uint8Array() : new SshWriter().string(value).bytes());
  }
  return writer.bytes();
}

/**
 * Signs a user certificate for `subject` (its public key is certified) with `authority`.
 * Refuses an empty principal list and a window that is empty.
 */
export async function signUserCertificate(
  subject: SshPublicKey,
  authority: SshSigner,
  request: UserCertificateRequest,
): Promise<Bytes> {
  if (request.principals.length === 0 || request.principals.some((p) => p === '')) {
    throw new SshFormatError('a certificate must name its principals (empty means any user)');
  }
  if (request.validBefore <= request.validAfter) {
    throw new SshFormatError('a certificate must be valid for some time');
  }
  const type = certificateTypeOf(subject.type);
  const key = new SshReader(subject.blob);
  key.text();
  const writer = new SshWriter().string(type).string(crypto.getRandomValues(new Uint8Array(32)));
  // The certified key's own fields, as in its plain blob after the type name.
  writer.raw(key.rest());
  const serial =
    request.serial ??
    new DataView(crypto.getRandomValues(new Uint8Array(8)).buffer).getBigUint64(0);
  const principals = new SshWriter();
  for (const principal of request.principals) principals.string(principal);
  writer
    .uint64(serial)
    .uint32(1)
    .string(request.keyId)
    .string(principals.bytes())
    .uint64(BigInt(request.validAfter))
    .uint64(BigInt(request.validBefore))
    .string(packed(Object.entries(request.criticalOptions ?? {})))
    .string(packed((request.extensions ?? []).map((name) => [name, ''])))
    .string(new Uint8Array())
    .string(authority.publicKey.blob);
  const body = writer.bytes();
  const signature = await authority.sign(body);
  return new SshWriter().raw(body).string(signature).bytes();
}

function unpack(bytes: Bytes, flags: boolean): [string, string][] {
  const reader = new SshReader(bytes);
  const out: [string, string][] = [];
  while (reader.remaining > 0) {
    const name = reader.text();
    const data = reader.string();
    out.push([name, flags || data.length === 0 ? '' : new SshReader(data).text()]);
  }
  return out;
}

/** Decodes a certificate blob and checks its CA signature; throws `SshFormatError` if bad. */
export async function parseUserCertificate(blob: Bytes): Promise<UserCertificate> {
  const reader = new SshReader(blob);
  const type = reader.text();
  const plain = Object.entries(CERT_TYPES).find(([, cert]) => cert === type)?.[0];
  if (!plain) throw new SshFormatError(`'${type}' is not a supported certificate type`);
  reader.string(); // nonce
  const key = new SshWriter().string(plain);
  if (plain === 'ssh-ed25519') key.string(reader.string());
  else key.string(reader.string()).string(reader.string());
  const serial = reader.uint64();
  const certType = reader.uint32();
  const keyId = reader.text();
  const principalReader = new SshReader(reader.string());
  const principals: string[] = [];
  while (principalReader.remaining > 0) principals.push(principalReader.text());
  const validAfter = reader.uint64();
  const validBefore = reader.uint64();
  const criticalOptions = Object.fromEntries(unpack(reader.string(), false));
  const extensions = unpack(reader.string(), true).map(([name]) => name);
  reader.string(); // reserved
  const signatureKey = reader.string();
  const signedLength = blob.length - reader.remaining;
  const signature = reader.string();
  reader.end('certificate');
  if (!(await verifySignature(signatureKey, signature, blob.slice(0, signedLength)))) {
    throw new SshFormatError('the certificate signature does not verify');
  }
  return {
    type,
    serial,
    certType,
    keyId,
    principals,
    validAfter,
    validBefore,
    criticalOptions,
    extensions,
    key: key.bytes(),
    signatureKey,
  };
}
