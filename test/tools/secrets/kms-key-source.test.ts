/**
 * The KMS key source talks to the endpoint its options name and nothing else: the AWS SDK's
 * environment conventions (AWS_ENDPOINT_URL_KMS) do not reach into lib/.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createKmsKeySource } from '../../../lib/secrets/kms-key-source.ts';

const saved = process.env.AWS_ENDPOINT_URL_KMS;

afterEach(() => {
  if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_KMS;
  else process.env.AWS_ENDPOINT_URL_KMS = saved;
});

const entry = {
  type: 'kms' as const,
  arn: 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000',
  context: {},
  role: undefined,
  awsProfile: undefined,
  enc: 'AAAA',
};

describe('createKmsKeySource', () => {
  it('ignores AWS_ENDPOINT_URL_KMS when no endpoint is given', async () => {
    let requests = 0;
    const trap = createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const { port } = trap.address() as AddressInfo;
    process.env.AWS_ENDPOINT_URL_KMS = `http://127.0.0.1:${port}`;
    try {
      const source = createKmsKeySource({
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        // No endpoint: the public regional one (unreachable or refusing dummy credentials).
        timeoutMs: 2_000,
      });
      await expect(source.decrypt(entry)).rejects.toThrow(/^KMS Decrypt failed: /);
      expect(requests).toBe(0);
    } finally {
      trap.close();
    }
  });

  it('refuses an ARN that names no region', async () => {
    const source = createKmsKeySource({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await expect(source.decrypt({ ...entry, arn: 'my-key' })).rejects.toThrow(
      'not a valid KMS key ARN',
    );
  });
});
