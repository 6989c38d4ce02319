/**
 * STS `AssumeRole` for EKS bindings with a `roleArn`: the runtime's own AWS identity asks STS
 * for temporary credentials of the role, and the EKS token is presigned with those, so the
 * cluster sees the role the operator bound, not whatever the runtime runs as. One signed POST
 * (SigV4 through the AWS SDK's signer, WebCrypto hashing); the answer is hostile input: only
 * the four fields needed are read, bounded, and nothing of it reaches an error but STS's
 * error code.
 */
import { Sha256WebCrypto } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { CredentialsError } from '../errors.ts';
import type { AwsCredentials } from './sigv4.ts';

/** Temporary credentials and when they stop working. */
export interface RoleCredentials {
  credentials: AwsCredentials;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Options of `assumeRole`. */
export interface AssumeRoleOptions {
  roleArn: string;
  /** Shows in CloudTrail as the session name: `plumbline-<target>`. */
  sessionName: string;
  region: string;
  /** The runtime's own credentials. */
  credentials: AwsCredentials;
  /** The STS endpoint (default `https://sts.<region>.amazonaws.com`). */
  endpoint?: string;
  /** Seconds the role's credentials last (default 3600, STS's default). */
  durationSeconds?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

const MAX_ANSWER_BYTES = 64 * 1024;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** The text of the first `<tag>…</tag>` of an STS answer, XML entities decoded. */
function field(xml: string, tag: string): string | undefined {
  const open = `<${tag}>`;
  const start = xml.indexOf(open);
  if (start < 0) return undefined;
  const end = xml.indexOf(`</${tag}>`, start + open.length);
  if (end < 0) return undefined;
  return xml
    .slice(start + open.length, end)
    .trim()
    .replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) =>
      name === 'lt'
        ? '<'
        : name === 'gt'
          ? '>'
          : name === 'quot'
            ? '"'
            : name === 'apos'
              ? "'"
              : '&',
    );
}

async function boundedText(response: Response): Promise<string> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  return new TextDecoder().decode(bytes.subarray(0, MAX_ANSWER_BYTES));
}

/** Assumes `roleArn` with the runtime's credentials; refusals name the role and STS's code. */
export async function assumeRole(options: AssumeRoleOptions): Promise<RoleCredentials> {
  const what = `sts:AssumeRole of ${options.roleArn}`;
  if (!ROLE_ARN.test(options.roleArn)) {
    throw new CredentialsError(`${what}: not an IAM role ARN`, {
      hint: 'write the role as arn:aws:iam::<account>:role/<name>',
    });
  }
  const now = (options.now ?? Date.now)();
  const endpoint = new URL(options.endpoint ?? `https://sts.${options.region}.amazonaws.com/`);
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: options.roleArn,
    RoleSessionName: options.sessionName.replace(/[^\w+=,.@-]/g, '-').slice(0, 64),
    DurationSeconds: String(options.durationSeconds ?? 3600),
  }).toString();
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Sha256WebCrypto,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname || '/',
      headers: {
        host: endpoint.host,
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      },
      body,
    },
    { signingDate: new Date(now) },
  );
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new CredentialsError(`${what}: STS did not answer`, {
      cause: error,
      hint: 'check that the runtime reaches STS (or AWS_ENDPOINT_URL_STS)',
    });
  }
  const text = await boundedText(response);
  if (!response.ok) {
    const code =
      field(text, 'Code')
        ?.replace(/[^\w.]/g, '')
        .slice(0, 64) || 'no error code';
    throw new CredentialsError(`${what}: refused (${response.status} ${code})`, {
      hint: "allow the runtime's identity sts:AssumeRole on the role, and the role's trust policy to trust it",
    });
  }
  const accessKeyId = field(text, 'AccessKeyId');
  const secretAccessKey = field(text, 'SecretAccessKey');
  const sessionToken = field(text, 'SessionToken');
  const expiration = Date.parse(field(text, 'Expiration') ?? '');
  if (!accessKeyId || !secretAccessKey || !sessionToken || Number.isNaN(expiration)) {
    throw new CredentialsError(`${what}: STS answered without credentials`, {
      hint: 'check the STS endpoint the runtime uses',
    });
  }
  return { credentials: { accessKeyId, secretAccessKey, sessionToken }, expiresAt: expiration };
}

/** How long before they expire role credentials are refreshed. */
export const roleRefreshAheadMs = 5 * 60_000;

/**
 * Role credentials reused until `roleRefreshAheadMs` before they expire. One `AssumeRole` is
 * in flight at a time: callers that arrive while it runs (the jobs of a push, a sweep) share
 * it instead of each asking STS. A failed one is forgotten, so the next caller asks again.
 */
export function roleCredentialsSource(
  options: Omit<AssumeRoleOptions, 'credentials'> & {
    credentials: () => Promise<AwsCredentials>;
  },
): () => Promise<RoleCredentials> {
  const now = options.now ?? Date.now;
  // `expiresAt` is unknown while the AssumeRole runs; until then every caller shares it.
  let current: { role: Promise<RoleCredentials>; expiresAt?: number } | undefined;
  return () => {
    if (
      current &&
      (current.expiresAt === undefined || current.expiresAt - roleRefreshAheadMs > now())
    ) {
      return current.role;
    }
    const entry: { role: Promise<RoleCredentials>; expiresAt?: number } = {
      role: (async () => assumeRole({ ...options, credentials: await options.credentials() }))(),
    };
    current = entry;
    entry.role.then(
      (role) => {
        entry.expiresAt = role.expiresAt;
      },
      () => {
        // Only this attempt is forgotten: a newer one may already have replaced it.
        if (current === entry) current = undefined;
      },
    );
    return entry.role;
  };
}
