/**
 * A structural check of a PEM CA bundle, runtime-free (lib/ has no X.509 API): every block is
 * `CERTIFICATE`, holds only base64 between its markers, decodes to DER that is exactly one
 * X.509 `Certificate` (a SEQUENCE of tbsCertificate, signatureAlgorithm and a BIT STRING
 * signature, the tbsCertificate holding serial, algorithm, issuer, validity, subject and key
 * in order), and nothing but whitespace lies outside the blocks. Junk between the markers, a
 * private key pasted by mistake, or a truncated copy is refused before it reaches a TLS stack.
 * The Node runtime additionally parses each certificate with `node:crypto`.
 */
import { fromBase64 } from '../core/encoding.ts';

/** Why a CA bundle is refused. */
export type CertificatePemProblem =
  | 'empty'
  | 'outside-text'
  | 'not-certificate-block'
  | 'unterminated'
  | 'not-base64'
  | 'not-x509';

/** A certificate block's label and base64 body, in order. */
export interface PemBlock {
  label: string;
  body: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Splits `text` into PEM blocks; `undefined` with the problem when its layout is wrong. */
export function pemBlocks(text: string): PemBlock[] | CertificatePemProblem {
  const blocks: PemBlock[] = [];
  let last = 0;
  for (const match of text.matchAll(BLOCK)) {
    if (text.slice(last, match.index).trim() !== '') return 'outside-text';
    blocks.push({ label: match[1] as string, body: match[2] as string });
    last = (match.index ?? 0) + match[0].length;
  }
  const rest = text.slice(last);
  if (rest.includes('-----BEGIN')) return 'unterminated';
  if (rest.trim() !== '') return 'outside-text';
  return blocks.length === 0 ? 'empty' : blocks;
}

function decodeBase64(body: string): Uint8Array | undefined {
  const compact = body.replace(/[\r\n\t ]/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  try {
    return fromBase64(compact);
  } catch {
    return undefined;
  }
}

/** One DER element: its tag, where its content starts and where the element ends. */
interface DerElement {
  tag: number;
  start: number;
  end: number;
}

/** Reads the element at `offset` of `der`, within `limit`; `undefined` when malformed. */
function readElement(der: Uint8Array, offset: number, limit: number): DerElement | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = der[offset] as number;
  // Multi-byte tags never occur in a certificate's top levels.
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // DER: no indefinite length, no more than 4 length bytes, minimal encoding.
    if (count === 0 || count > 4 || start + count > limit) return undefined;
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + (der[start + i] as number);
    if (length < 0x80 || (der[start] as number) === 0) return undefined;
    start += count;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

/** The children of a constructed element, or `undefined` when they do not fill it exactly. */
function children(der: Uint8Array, parent: DerElement): DerElement[] | undefined {
  const out: DerElement[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const child = readElement(der, offset, parent.end);
    if (!child) return undefined;
    out.push(child);
    offset = child.end;
  }
  return out;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const EXPLICIT_VERSION = 0xa0;

/** True when `der` is exactly one X.509 Certificate in outline. */
export function isX509Der(der: Uint8Array): boolean {
  const outer = readElement(der, 0, der.length);
  if (!outer || outer.tag !== SEQUENCE || outer.end !== der.length) return false;
  const parts = children(der, outer);
  if (parts?.length !== 3) return false;
  const [tbs, algorithm, signature] = parts as [DerElement, DerElement, DerElement];
  if (tbs.tag !== SEQUENCE || algorithm.tag !== SEQUENCE || signature.tag !== BIT_STRING) {
    return false;
  }
  const fields = children(der, tbs);
  if (!fields) return false;
  const rest = fields[0]?.tag === EXPLICIT_VERSION ? fields.slice(1) : fields;
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional
  // issuer/subject unique ids and extensions.
  if (rest.length < 6) return false;
  const expected = [INTEGER, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE];
  return expected.every((tag, i) => rest[i]?.tag === tag);
}

/** Checks a PEM CA bundle; `undefined` when every block is an X.509 certificate. */
export function certificatePemProblem(text: string): CertificatePemProblem | undefined {
  const blocks = pemBlocks(text);
  if (typeof blocks === 'string') return blocks;
  for (const block of blocks) {
    if (block.label !== 'CERTIFICATE') return 'not-certificate-block';
    const der = decodeBase64(block.body);
    if (!der) return 'not-base64';
    if (!isX509Der(der)) return 'not-x509';
  }
  return undefined;
}

/** What to tell the operator (never the text itself). */
export function describeCertificatePemProblem(problem: CertificatePemProblem): string {
  const fix =
    "paste the CA certificate exactly as PEM ('-----BEGIN CERTIFICATE-----' ... '-----END CERTIFICATE-----'), e.g. from the kubeconfig's certificate-authority-data decoded";
  switch (problem) {
    case 'empty':
      return `holds no PEM certificate; ${fix}`;
    case 'outside-text':
      return `has text outside the certificate blocks; ${fix}`;
    case 'not-certificate-block':
      return `holds a PEM block that is not a CERTIFICATE (a private key must never be here); ${fix}`;
    case 'unterminated':
      return `has a certificate block without its END marker; ${fix}`;
    case 'not-base64':
      return `has a certificate block whose body is not base64; ${fix}`;
    case 'not-x509':
      return `has a certificate block that does not decode to an X.509 certificate; ${fix}`;
  }
}
