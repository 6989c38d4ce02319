/**
 * SSH keys with WebCrypto: public keys in `authorized_keys` form (a pinned host key, a CA key),
 * their SHA-256 fingerprints, host key signature checks (Ed25519, ECDSA P-256/P-384, RSA with
 * SHA-2), and signers for user authentication and certificate signing: an ephemeral Ed25519
 * key, a private key the operator holds (OpenSSH or PKCS#8 format, Ed25519 or ECDSA P-256), or
 * a signer elsewhere (AWS KMS) that only hands back signatures.
 */
import { sha256, toBase64, toBase64url } from '../../core/encoding.ts';
import {
  type Bytes,
  concatBytes,
  equalBytes,
  fromBase64,
  SshFormatError,
  SshReader,
  SshWriter,
  utf8,
} from './wire.ts';

/** A public key as `authorized_keys` and `known_hosts` write it. */
export interface SshPublicKey {
  /** The key type, e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`. */
  type: string;
  /** The SSH wire encoding of the key (what servers send and certificates embed). */
  blob: Bytes;
  comment: string;
}

/** Signs for a key: user authentication, or a certificate authority. */
export interface SshSigner {
  /** The public key whose private half signs. */
  publicKey: SshPublicKey;
  /** An SSH signature blob (`string algorithm`, `string signature`) over `data`. */
  sign(data: Bytes): Promise<Bytes>;
}

const SUPPORTED_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ssh-rsa'];

/** Parses `type base64 [comment]`; throws `SshFormatError` naming what is wrong. */
export function parsePublicKey(line: string): SshPublicKey {
  const fields = line.trim().split(/\s+/);
  const [type, data] = fields;
  if (!type || !data) {
    throw new SshFormatError("a public key is written 'TYPE BASE64 [COMMENT]'");
  }
  if (!SUPPORTED_TYPES.includes(type)) {
    throw new SshFormatError(
      `key type '${type}' is not supported (use one of ${SUPPORTED_TYPES.join(', ')})`,
    );
  }
  const blob = fromBase64(data);
  const inner = new SshReader(blob).text();
  if (inner !== type) {
    throw new SshFormatError(`the key says '${type}' but its data is a '${inner}' key`);
  }
  return { type, blob, comment: fields.slice(2).join(' ') };
}

/** The `authorized_keys` line of a public key. */
export function formatPublicKey(key: SshPublicKey): string {
  return `${key.type} ${toBase64(key.blob)}${key.comment ? ` ${key.comment}` : ''}`;
}

/** `SHA256:...`, as `ssh-keygen -l` prints a key's fingerprint. */
export async function fingerprint(blob: Uint8Array): Promise<string> {
  return `SHA256:${toBase64(await sha256(blob)).replace(/=+$/, '')}`;
}

/** Pads or trims a big-endian magnitude to `size` bytes. */
function fixedSize(value: Uint8Array, size: number): Bytes {
  let start = 0;
  while (value.length - start > size && value[start] === 0) start++;
  const trimmed = value.subarray(start);
  if (trimmed.length > size) throw new SshFormatError('integer too large for the curve');
  const out = new Uint8Array(size);
  out.set(trimmed, size - trimmed.length);
  return out;
}

const CURVES: Record<string, { curve: string; namedCurve: string; hash: string; size: number }> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', namedCurve: 'P-256', hash: 'SHA-256', size: 32 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', namedCurve: 'P-384', hash: 'SHA-384', size: 48 },
};

/** The WebCrypto key and parameters that verify signatures of a key blob. */
async function verifierOf(
  blob: Bytes,
): Promise<{ type: string; key: CryptoKey; curveSize?: number; hash?: string }> {
  const reader = new SshReader(blob);
  const type = reader.text();
  if (type === 'ssh-ed25519') {
    const raw = reader.string();
    reader.end('ed25519 key');
    if (raw.length !== 32) throw new SshFormatError('ed25519 key is not 32 bytes');
    const key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
    return { type, key };
  }
  const curve = CURVES[type];
  if (curve) {
    if (reader.text() !== curve.curve) throw new SshFormatError(`${type} key names another curve`);
    const point = reader.string();
    reader.end(`${type} key`);
    const key = await crypto.subtle.importKey(
      'raw',
      point,
      { name: 'ECDSA', namedCurve: curve.namedCurve },
      false,
      ['verify'],
    );
    return { type, key, curveSize: curve.size, hash: curve.hash };
  }
  if (type === 'ssh-rsa') {
    const e = reader.mpint();
    const n = reader.mpint();
    reader.end('rsa key');
    if (n.length * 8 < 2048) throw new SshFormatError('RSA keys under 2048 bits are refused');
    return {
      type,
      key: await crypto.subtle.importKey(
        'jwk',
        { kty: 'RSA', n: toBase64url(n), e: toBase64url(e) },
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        false,
        ['verify'],
      ),
    };
  }
  throw new SshFormatError(`key type '${type}' is not supported`);
}

/** The signature algorithms a key type can be asked for, strongest first. */
export function signatureAlgorithmsFor(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256'] : [type];
}

/**
 * Whether `signature` (an SSH signature blob) is a valid signature of `data` by the key
 * `keyBlob`. The signature's algorithm must be one the key type allows; anything malformed is
 * simply not valid.
 */
export async function verifySignature(
  keyBlob: Bytes,
  signature: Bytes,
  data: Bytes,
): Promise<boolean> {
  try {
    const verifier = await verifierOf(keyBlob);
    const reader = new SshReader(signature);
    const algorithm = reader.text();
    const value = reader.string();
    reader.end('signature');
    if (!signatureAlgorithmsFor(verifier.type).includes(algorithm)) return false;
    if (verifier.type === 'ssh-ed25519') {
      return await crypto.subtle.verify({ name: 'Ed25519' }, verifier.key, value, data);
    }
    if (verifier.curveSize && verifier.hash) {
      const inner = new SshReader(value);
      const r = fixedSize(inner.mpint(), verifier.curveSize);
      const s = fixedSize(inner.mpint(), verifier.curveSize);
      inner.end('ecdsa signature');
      return await crypto.subtle.verify(
        { name: 'ECDSA', hash: verifier.hash },
        verifier.key,
        concatBytes(r, s),
        data,
      );
    }
    // RSA: the key was imported for SHA-256; SHA-512 needs its own import.
    const hash = algorithm === 'rsa-sha2-512' ? 'SHA-512' : 'SHA-256';
    const jwk = await crypto.subtle.exportKey('jwk', verifier.key).catch(() => undefined);
    const key =
      hash === 'SHA-256' || !jwk
        ? verifier.key
        : await crypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash }, false, [
            'verify',
          ]);
    return await crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, value, data);
  } catch {
    return false;
  }
}

/** The SSH ECDSA signature value (`mpint r`, `mpint s`) of IEEE P1363 `r || s`. */
export function ecdsaSignatureFromP1363(raw: Uint8Array): Bytes {
  const half = raw.length / 2;
  return new SshWriter().mpint(raw.subarray(0, half)).mpint(raw.subarray(half)).bytes();
}

/** Reads one DER length at `at`; returns the length and where the content starts. */
function derLength(der: Uint8Array, at: number): { length: number; start: number } {
  const first = der[at];
  if (first === undefined) throw new SshFormatError('truncated DER');
  if (first < 0x80) return { length: first, start: at + 1 };
  const count = first & 0x7f;
  if (count === 0 || count > 2) throw new SshFormatError('unsupported DER length');
  let length = 0;
  for (let i = 1; i <= count; i++) length = (length << 8) | (der[at + i] ?? 0);
  return { length, start: at + 1 + count };
}

/** The SSH ECDSA signature value of a DER `SEQUENCE { INTEGER r, INTEGER s }` (AWS KMS). */
export function ecdsaSignatureFromDer(der: Uint8Array): Bytes {
  if (der[0] !== 0x30) throw new SshFormatError('not a DER signature');
  const sequence = derLength(der, 1);
  if (sequence.start + sequence.length !== der.length) {
    throw new SshFormatError('DER signature has trailing bytes');
  }
  const integers: Uint8Array[] = [];
  let at = sequence.start;
  for (let i = 0; i < 2; i++) {
    if (der[at] !== 0x02) throw new SshFormatError('DER signature: INTEGER expected');
    const { length, start } = derLength(der, at + 1);
    if (start + length > der.length) throw new SshFormatError('truncated DER signature');
    integers.push(der.subarray(start, start + length));
    at = start + length;
  }
  if (at !== der.length) throw new SshFormatError('DER signature has trailing bytes');
  return new SshWriter()
    .mpint(integers[0] as Uint8Array)
    .mpint(integers[1] as Uint8Array)
    .bytes();
}

/** The fixed DER prefix of a P-256 SubjectPublicKeyInfo, before the 65-byte point. */
const P256_SPKI_PREFIX = fromBase64('MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgA=');

/** An `ecdsa-sha2-nistp256` public key from a DER SubjectPublicKeyInfo (KMS `GetPublicKey`). */
export function p256PublicKeyFromSpki(spki: Uint8Array, comment = ''): SshPublicKey {
  const prefix = spki.subarray(0, P256_SPKI_PREFIX.length);
  if (spki.length !== P256_SPKI_PREFIX.length + 65 || !equalBytes(prefix, P256_SPKI_PREFIX)) {
    throw new SshFormatError('not an ECC_NIST_P256 public key (SubjectPublicKeyInfo)');
  }
  const point = spki.slice(P256_SPKI_PREFIX.length);
  return {
    type: 'ecdsa-sha2-nistp256',
    blob: new SshWriter().string('ecdsa-sha2-nistp256').string('nistp256').string(point).bytes(),
    comment,
  };
}

/** A new Ed25519 key held only in memory (not extractable): the per-use user key. */
export async function generateEd25519Signer(comment = 'plumbline'): Promise<SshSigner> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return ed25519Signer(pair.privateKey, raw, comment);
}

function ed25519Signer(privateKey: CryptoKey, publicRaw: Bytes, comment: string): SshSigner {
  return {
    publicKey: {
      type: 'ssh-ed25519',
      blob: new SshWriter().string('ssh-ed25519').string(publicRaw).bytes(),
      comment,
    },
    async sign(data) {
      const value = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, data));
      return new SshWriter().string('ssh-ed25519').string(value).bytes();
    },
  };
}

function p256Signer(privateKey: CryptoKey, point: Bytes, comment: string): SshSigner {
  return {
    publicKey: {
      type: 'ecdsa-sha2-nistp256',
      blob: new SshWriter().string('ecdsa-sha2-nistp256').string('nistp256').string(point).bytes(),
      comment,
    },
    async sign(data) {
      const raw = new Uint8Array(
        await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, data),
      );
      return new SshWriter()
        .string('ecdsa-sha2-nistp256')
        .string(ecdsaSignatureFromP1363(raw))
        .bytes();
    },
  };
}

/** PKCS#8 DER of an Ed25519 private key from its 32-byte seed (RFC 8410). */
function ed25519Pkcs8(seed: Uint8Array): Bytes {
  return concatBytes(fromBase64('MC4CAQAwBQYDK2VwBCIEIA=='), seed);
}

const PEM = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/;

/** Why a private key cannot be used; never includes the key. */
export class PrivateKeyError extends Error {
  override readonly name = 'PrivateKeyError';
}

/**
 * A signer from a private key the operator holds: an unencrypted OpenSSH private key
 * (`ssh-keygen -t ed25519` or `-t ecdsa -b 256`, no passphrase) or a PKCS#8 PEM of the same
 * kinds. Encrypted keys and other kinds are refused with a message saying what to use.
 */
export async function signerFromPrivateKey(text: string, comment = ''): Promise<SshSigner> {
  const match = PEM.exec(text);
  if (!match) throw new PrivateKeyError('not a PEM private key (-----BEGIN ... PRIVATE KEY-----)');
  const label = match[1];
  let der: Bytes;
  try {
    der = fromBase64((match[2] ?? '').replace(/\s+/g, ''));
  } catch {
    throw new PrivateKeyError('the private key is not valid base64');
  }
  try {
    if (label === 'OPENSSH PRIVATE KEY') return await openSshSigner(der, comment);
    if (label === 'PRIVATE KEY') return await pkcs8Signer(der, comment);
  } catch (error) {
    if (error instanceof PrivateKeyError) throw error;
    throw new PrivateKeyError(
      `the private key cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  throw new PrivateKeyError(
    `'${label}' keys are not supported: use an Ed25519 or ECDSA P-256 key in OpenSSH or PKCS#8 form`,
  );
}

async function openSshSigner(der: Bytes, comment: string): Promise<SshSigner> {
  const magic = utf8('openssh-key-v1\0');
  if (!equalBytes(der.subarray(0, magic.length), magic)) {
    throw new PrivateKeyError('not an OpenSSH private key');
  }
  const reader = new SshReader(der.subarray(magic.length));
  const cipher = reader.text();
  reader.text(); // kdf name
  reader.string(); // kdf options
  if (cipher !== 'none') {
    throw new PrivateKeyError(
      'the private key is encrypted with a passphrase; Plumbline needs it unencrypted (keep it in the runtime secrets)',
    );
  }
  if (reader.uint32() !== 1) throw new PrivateKeyError('the file must hold exactly one key');
  reader.string(); // public key
  const secret = new SshReader(reader.string());
  // Two equal check words: a wrong passphrase would have made them differ.
  const check = secret.uint32();
  if (check !== secret.uint32()) throw new PrivateKeyError('corrupt private key');
  const type = secret.text();
  if (type === 'ssh-ed25519') {
    const publicRaw = secret.string();
    const privateRaw = secret.string();
    if (publicRaw.length !== 32 || privateRaw.length !== 64) {
      throw new PrivateKeyError('corrupt ed25519 private key');
    }
    const key = await crypto.subtle.importKey(
      'pkcs8',
      ed25519Pkcs8(privateRaw.subarray(0, 32)),
      { name: 'Ed25519' },
      false,
      ['sign'],
    );
    return ed25519Signer(key, publicRaw, comment || secret.text());
  }
  if (type === 'ecdsa-sha2-nistp256') {
    if (secret.text() !== 'nistp256') throw new PrivateKeyError('corrupt ecdsa private key');
    const point = secret.string();
    const d = fixedSize(secret.mpint(), 32);
    if (point.length !== 65 || point[0] !== 4) throw new PrivateKeyError('corrupt ecdsa key');
    const key = await crypto.subtle.importKey(
      'jwk',
      {
        kty: 'EC',
        crv: 'P-256',
        x: toBase64url(point.subarray(1, 33)),
        y: toBase64url(point.subarray(33)),
        d: toBase64url(d),
      },
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    return p256Signer(key, point, comment || secret.text());
  }
  throw new PrivateKeyError(
    `'${type}' private keys are not supported: use an Ed25519 or ECDSA P-256 key`,
  );
}

async function pkcs8Signer(der: Bytes, comment: string): Promise<SshSigner> {
  try {
    const readable = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, [
      'sign',
    ]);
    const jwk = await crypto.subtle.exportKey('jwk', readable);
    const publicRaw = fromBase64(base64urlToBase64(jwk.x ?? ''));
    // The key that signs is not extractable: nothing can read it back out of memory.
    const key = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']);
    return ed25519Signer(key, publicRaw, comment);
  } catch {
    // Not Ed25519: try P-256 below.
  }
  const readable = await crypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['sign'],
  );
  const jwk = await crypto.subtle.exportKey('jwk', readable);
  const key = await crypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const point = concatBytes(
    Uint8Array.of(4),
    fromBase64(base64urlToBase64(jwk.x ?? '')),
    fromBase64(base64urlToBase64(jwk.y ?? '')),
  );
  return p256Signer(key, point, comment);
}

function base64urlToBase64(text: string): string {
  const plain = text.replace(/-/g, '+').replace(/_/g, '/');
  return plain + '='.repeat((4 - (plain.length % 4)) % 4);
}
