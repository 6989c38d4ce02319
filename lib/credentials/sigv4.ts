/**
 * AWS Signature Version 4 query-string presigning with WebCrypto, as much as presigning a GET
 * needs (EKS tokens presign STS `GetCallerIdentity`).
 */

/** AWS credentials (a session token for temporary ones). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    key as BufferSource,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data));
}

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept). */
export function awsEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `YYYYMMDDTHHMMSSZ`. */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
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
  const stamp = amzDate(options.date);
  const day = stamp.slice(0, 8);
  const scope = `${day}/${options.region}/${options.service}/aws4_request`;
  const headers: Record<string, string> = { host: url.host, ...options.headers };
  const signedHeaders = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const params: [string, string][] = [...url.searchParams.entries()];
  params.push(
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${options.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', stamp],
    ['X-Amz-Expires', String(options.expiresSeconds)],
    ['X-Amz-SignedHeaders', signedHeaders.join(';')],
  );
  if (options.credentials.sessionToken)
    params.push(['X-Amz-Security-Token', options.credentials.sessionToken]);
  const query = params
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const lowered = Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim()]),
  );
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${lowered[h]}\n`).join('');
  const canonicalRequest = [
    'GET',
    url.pathname || '/',
    query,
    canonicalHeaders,
    signedHeaders.join(';'),
    // A GET has no body: the hash of the empty payload (only S3 presigns UNSIGNED-PAYLOAD).
    await sha256(''),
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, await sha256(canonicalRequest)].join(
    '\n',
  );
  let key = await hmac(encoder.encode(`AWS4${options.credentials.secretAccessKey}`), day);
  key = await hmac(key, options.region);
  key = await hmac(key, options.service);
  key = await hmac(key, 'aws4_request');
  const signature = hex(await hmac(key, stringToSign));
  return `${url.origin}${url.pathname}?${query}&X-Amz-Signature=${signature}`;
}
