/**
 * GitHub App authentication: an Octokit whose every request carries an installation token
 * scoped to one repository (least privilege: a token minted for `acme/deploy` cannot touch
 * another repository of the installation), minted and refreshed by `@octokit/auth-app`.
 *
 * GitHub hands out App keys as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), which WebCrypto cannot
 * import; they are rewrapped as PKCS#8 here, in plain DER, so the same code runs on Workers.
 */

import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { fromBase64, toBase64 } from '../core/encoding.ts';
import { CredentialsError, GitHubError } from '../errors.ts';
import type { RepoRef } from '../ports/git-host.ts';

/** A GitHub App's identity. */
export interface GitHubAppCredentials {
  appId: number | string;
  /** PEM, PKCS#1 (as GitHub downloads it) or PKCS#8. */
  privateKey: string;
}

const PKCS1 = /-----BEGIN RSA PRIVATE KEY-----([\s\S]+?)-----END RSA PRIVATE KEY-----/;
const PKCS8 = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/;

/** A DER length field. */
function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function der(tag: number, content: Uint8Array | number[]): number[] {
  return [tag, ...derLength(content.length), ...content];
}

/** rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
const RSA_ALGORITHM = [
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/**
 * The key as PKCS#8 PEM: PKCS#1 keys are wrapped in a PrivateKeyInfo (version 0, the RSA
 * algorithm, the PKCS#1 key as an octet string); PKCS#8 keys are returned as they are. Throws
 * `CredentialsError` for anything else, without echoing the key.
 */
export function toPkcs8(pem: string): string {
  if (PKCS8.test(pem)) return (pem.match(PKCS8) as RegExpMatchArray)[0];
  const match = PKCS1.exec(pem);
  if (!match) {
    throw new CredentialsError('GitHub App private key: not a PEM RSA private key', {
      hint: 'Use the .pem file GitHub generated for the App (BEGIN RSA PRIVATE KEY), or its PKCS#8 form.',
    });
  }
  const pkcs1 = fromBase64((match[1] as string).replace(/\s+/g, ''));
  const info = der(0x30, [...[0x02, 0x01, 0x00], ...RSA_ALGORITHM, ...der(0x04, pkcs1)]);
  const body = toBase64(Uint8Array.from(info)).replace(/.{64}/g, '$&\n').trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

/** How an installation Octokit is built. */
export interface InstallationOctokitOptions {
  app: GitHubAppCredentials;
  repo: RepoRef;
  /** The installation; looked up from the repository (with the App's JWT) when absent. */
  installationId?: number;
  /** API base URL (default `https://api.github.com`). */
  baseUrl?: string;
  userAgent?: string;
  /** The fetch to use (tests, proxies). */
  fetch?: typeof fetch;
  log?: { warn: (message: string) => void; error: (message: string) => void };
}

/**
 * An Octokit for one repository, authenticated as the App's installation with a token scoped
 * to that repository. Tokens are cached and refreshed before they expire by `@octokit/auth-app`.
 */
export function installationOctokit(options: InstallationOctokitOptions): Octokit {
  const baseUrl = options.baseUrl ?? 'https://api.github.com';
  // An unauthenticated client for the App's own requests (JWT and token minting).
  const { request } = new Octokit({
    baseUrl,
    userAgent: options.userAgent ?? 'plumbline',
    ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
  });
  const appAuth = createAppAuth({
    appId: options.app.appId,
    privateKey: toPkcs8(options.app.privateKey),
    request,
  });
  let installationId: Promise<number> | undefined =
    options.installationId === undefined ? undefined : Promise.resolve(options.installationId);
  const resolveInstallation = async (): Promise<number> => {
    const { token } = await appAuth({ type: 'app' });
    try {
      const { data } = await request('GET /repos/{owner}/{repo}/installation', {
        ...options.repo,
        headers: { authorization: `bearer ${token}` },
      });
      return data.id;
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      throw new GitHubError(
        `${options.repo.owner}/${options.repo.repo}: the GitHub App ${options.app.appId} is not installed on it (GitHub answered ${status})`,
        status,
        { cause: error, hint: 'Install the App on the repository, or set its installationId.' },
      );
    }
  };
  const token = async (): Promise<string> => {
    installationId ??= resolveInstallation();
    installationId.catch(() => {
      installationId = undefined;
    });
    const auth = await appAuth({
      type: 'installation',
      installationId: await installationId,
      repositoryNames: [options.repo.repo],
    });
    return auth.token;
  };
  return new Octokit({
    baseUrl,
    userAgent: options.userAgent ?? 'plumbline',
    ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
    ...(options.log
      ? {
          log: {
            debug: () => {},
            info: () => {},
            warn: options.log.warn,
            error: options.log.error,
          },
        }
      : {}),
    authStrategy: () => ({
      hook: async (
        send: (endpoint: Record<string, unknown>) => Promise<unknown>,
        route: unknown,
        parameters?: Record<string, unknown>,
      ) => {
        const endpoint = (
          send as unknown as {
            endpoint: { merge: (r: unknown, p?: unknown) => Record<string, unknown> };
          }
        ).endpoint.merge(route, parameters);
        const headers = (endpoint.headers ?? {}) as Record<string, string>;
        headers.authorization = `token ${await token()}`;
        endpoint.headers = headers;
        return send(endpoint);
      },
    }),
  } as ConstructorParameters<typeof Octokit>[0]);
}
