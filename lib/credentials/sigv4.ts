/**
 * AWS Signature Version 4 query-string presigning of a GET (EKS tokens presign STS
 * `GetCallerIdentity`), through the AWS SDK's own signer (`@smithy/signature-v4`, in every
 * bundle already through the KMS client) hashing with WebCrypto.
 */
import { Sha256WebCrypto } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials (a session token for temporary ones). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** RFC 3986 encoding, as SigV4 canonicalises query strings. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Presigns a GET of `url` (whose query is kept) with extra signed headers; returns the URL. */
export async function presignGet(options: {
  url: string;
  region: string;
  service: string;
  credentials: AwsCredentials;
  date: Date;
  expiresSeconds: number;
  /** Lower-case header names to values; `host` is added. */
  headers?: Record<string, string>;
}): Promise<string> {
  const url = new URL(options.url);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: options.service,
    sha256: Sha256WebCrypto,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname || '/',
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, ...options.headers },
    },
    { expiresIn: options.expiresSeconds, signingDate: options.date },
  );
  // The query in SigV4's canonical order, the signature last (as the AWS CLI prints it).
  const { 'X-Amz-Signature': signature, ...query } = presigned.query ?? {};
  const pairs = Object.entries(query)
    .flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value ?? '']).map((v) => [rfc3986(key), rfc3986(v)]),
    )
    .sort(([a = '', av = ''], [b = '', bv = '']) =>
      a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0,
    )
    .map(([key, value]) => `${key}=${value}`);
  return `${url.origin}${url.pathname || '/'}?${[...pairs, `X-Amz-Signature=${signature}`].join('&')}`;
}
