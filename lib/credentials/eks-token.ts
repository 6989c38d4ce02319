/**
 * EKS bearer tokens, as `aws eks get-token` makes them: a presigned STS `GetCallerIdentity`
 * URL (signed header `x-k8s-aws-id: <cluster>`), base64url-encoded behind `k8s-aws-v1.`. EKS
 * accepts one for 15 minutes; Plumbline treats it as valid for 14 and mints a fresh one after.
 */
import { toBase64url } from '../core/encoding.ts';
import { CredentialsError } from '../errors.ts';
import { type AwsCredentials, presignGet } from './sigv4.ts';

/** Options of `eksToken`. */
export interface EksTokenOptions {
  clusterName: string;
  region: string;
  credentials: AwsCredentials;
  now?: (() => number) | undefined;
}

/** How long a token is used for: EKS accepts 15 minutes, one is kept as margin. */
export const eksTokenLifetimeMs = 14 * 60_000;

/** Makes an EKS token and the time after which it must not be used. */
export async function eksToken(
  options: EksTokenOptions,
): Promise<{ token: string; expiresAt: number }> {
  if (
    !options.clusterName ||
    !options.region ||
    !options.credentials.accessKeyId ||
    !options.credentials.secretAccessKey
  ) {
    throw new CredentialsError(
      'EKS token: clusterName, region and AWS credentials are all required',
      {
        hint: "set the target's eks.cluster and eks.region, and provide AWS credentials to the runtime",
      },
    );
  }
  const now = (options.now ?? Date.now)();
  const url = await presignGet({
    url: `https://sts.${options.region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15`,
    region: options.region,
    service: 'sts',
    credentials: options.credentials,
    date: new Date(now),
    expiresSeconds: 60,
    headers: { 'x-k8s-aws-id': options.clusterName },
  });
  return { token: `k8s-aws-v1.${toBase64url(url)}`, expiresAt: now + eksTokenLifetimeMs };
}

/**
 * A token source for EKS that reuses a token until its (shortened) lifetime ends. With
 * temporary credentials (an assumed role), a token is never used past one minute before the
 * credentials that signed it expire.
 */
export function eksTokenSource(
  options: Omit<EksTokenOptions, 'credentials'> & {
    credentials:
      | AwsCredentials
      | (() => Promise<{ credentials: AwsCredentials; expiresAt: number }>);
  },
): {
  headers(): Promise<Record<string, string>>;
} {
  const now = options.now ?? Date.now;
  let current: { token: string; expiresAt: number } | undefined;
  return {
    async headers() {
      if (!current || current.expiresAt <= now()) {
        const source = options.credentials;
        const signing =
          typeof source === 'function'
            ? await source()
            : { credentials: source, expiresAt: Number.POSITIVE_INFINITY };
        const minted = await eksToken({ ...options, credentials: signing.credentials });
        current = {
          token: minted.token,
          expiresAt: Math.min(minted.expiresAt, signing.expiresAt - 60_000),
        };
      }
      return { authorization: `Bearer ${current.token}` };
    },
  };
}
