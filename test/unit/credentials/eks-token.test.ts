import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { eksToken } from '../../../lib/credentials/eks-token.ts';
import { CredentialsError } from '../../../lib/errors.ts';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+1=',
};
const now = Date.parse('2026-03-04T05:06:07Z');

function toBytes(data: string | ArrayBuffer | ArrayBufferView): Uint8Array | string {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/** The hash constructor the SDK signer takes (with a secret: HMAC), over node:crypto. */
class Sha256 {
  private hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const b64 = token.slice('k8s-aws-v1.'.length);
  expect(b64).toMatch(/^[A-Za-z0-9_-]+$/);
  return new URL(Buffer.from(b64, 'base64url').toString('utf8'));
}

describe('eksToken', () => {
  it('is a base64url presigned STS GetCallerIdentity URL with the cluster header signed', async () => {
    const { token, expiresAt } = await eksToken({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials,
      now: () => now,
    });
    const url = decode(token);
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260304T050607Z');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      'AKIDEXAMPLE/20260304/eu-west-1/sts/aws4_request',
    );
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session/token+1=');
    expect(expiresAt - now).toBe(14 * 60_000);
  });

  it('signs exactly as the AWS SDK signer does', async () => {
    const { token } = await eksToken({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials,
      now: () => now,
    });
    const signer = new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 'sts',
      sha256: Sha256,
    });
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: 'sts.eu-west-1.amazonaws.com',
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: 'sts.eu-west-1.amazonaws.com', 'x-k8s-aws-id': 'prod' },
      },
      { expiresIn: 60, signingDate: new Date(now) },
    );
    expect(decode(token).searchParams.get('X-Amz-Signature')).toBe(
      presigned.query?.['X-Amz-Signature'],
    );
  });

  it('is byte for byte the token of a fixed vector (the URL aws eks get-token presigns)', async () => {
    const { token } = await eksToken({
      clusterName: 'prod',
      region: 'eu-west-1',
      credentials,
      now: () => now,
    });
    const url =
      'https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15' +
      '&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      '&X-Amz-Credential=AKIDEXAMPLE%2F20260304%2Feu-west-1%2Fsts%2Faws4_request' +
      '&X-Amz-Date=20260304T050607Z&X-Amz-Expires=60' +
      '&X-Amz-Security-Token=session%2Ftoken%2B1%3D&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id' +
      '&X-Amz-Signature=57c2b114d29de06ce3676e6fb63ec4e7cdbaa12f80185173fef48114168b3bba';
    expect(token).toBe(`k8s-aws-v1.${Buffer.from(url).toString('base64url')}`);
  });

  it('refuses missing inputs without echoing the secret key', async () => {
    const error = await eksToken({
      clusterName: '',
      region: 'eu-west-1',
      credentials,
      now: () => now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toContain('clusterName, region and AWS credentials');
    expect(error.message).not.toContain(credentials.secretAccessKey);
  });
});
