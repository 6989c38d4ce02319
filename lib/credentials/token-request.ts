/**
 * Short-lived ServiceAccount tokens through TokenRequest: a bootstrap credential that may only
 * mint tokens asks for a token of the deployer ServiceAccount (10 minutes by default), reused
 * until it is close to expiry, so each request carries a token valid for minutes at most.
 */
import { CredentialsError, messageOf } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';

/** Options of `tokenRequestCredentials`. */
export interface TokenRequestOptions {
  /** A client authenticated with the bootstrap credential. */
  bootstrap: KubeClient;
  namespace: string;
  serviceAccount: string;
  audiences?: string[] | undefined;
  /** Lifetime asked for (the API server's minimum is 600). */
  expirationSeconds?: number | undefined;
  /** Mint a new token when the current one has less than this left (default 120 s). */
  refreshBeforeSeconds?: number;
  now?: (() => number) | undefined;
}

/** A source of bearer tokens. */
export interface TokenSource {
  /** A valid token, minted or reused. */
  token(): Promise<string>;
  /** Headers for `createKubeClient({ headers })`. */
  headers(): Promise<Record<string, string>>;
}

/** Mints and reuses ServiceAccount tokens. */
export function tokenRequestCredentials(options: TokenRequestOptions): TokenSource {
  const now = options.now ?? Date.now;
  const refreshMs = (options.refreshBeforeSeconds ?? 120) * 1000;
  let current: { token: string; expiresAt: number } | undefined;
  let minting: Promise<{ token: string; expiresAt: number }> | undefined;

  async function mint(): Promise<{ token: string; expiresAt: number }> {
    try {
      const answer = await options.bootstrap.createToken(
        options.namespace,
        options.serviceAccount,
        {
          audiences: options.audiences,
          expirationSeconds: options.expirationSeconds ?? 600,
        },
      );
      return { token: answer.token, expiresAt: Date.parse(answer.expirationTimestamp) };
    } catch (error) {
      throw new CredentialsError(
        `ServiceAccount ${options.namespace}/${options.serviceAccount}: could not mint a token: ${messageOf(error)}`,
        {
          cause: error,
          hint: "the bootstrap credential needs 'create' on serviceaccounts/token (infra/rbac/bootstrap.yaml)",
        },
      );
    }
  }

  async function token(): Promise<string> {
    if (current && current.expiresAt - refreshMs > now()) return current.token;
    // Concurrent callers share one mint.
    minting ??= mint().finally(() => {
      minting = undefined;
    });
    current = await minting;
    return current.token;
  }

  return {
    token,
    async headers() {
      return { authorization: `Bearer ${await token()}` };
    },
  };
}
