import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../../lib/webhook/verify-signature.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const VECTOR = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('verifySignature', () => {
  it("accepts the test vector from GitHub's documentation", async () => {
    expect(
      await verifySignature(["It's a Secret to Everybody"], encode('Hello, World!'), VECTOR),
    ).toBe(true);
  });

  it('accepts any of several secrets and an upper-case digest', async () => {
    const secrets = ['new-secret', "It's a Secret to Everybody"];
    expect(
      await verifySignature(
        secrets,
        encode('Hello, World!'),
        VECTOR.toUpperCase().replace('SHA256', 'sha256'),
      ),
    ).toBe(true);
  });

  it('refuses a wrong secret, a changed body and malformed headers', async () => {
    expect(await verifySignature(['other'], encode('Hello, World!'), VECTOR)).toBe(false);
    expect(
      await verifySignature(["It's a Secret to Everybody"], encode('Hello, World?'), VECTOR),
    ).toBe(false);
    for (const header of [
      undefined,
      '',
      'sha256=',
      'sha1=abc',
      `${VECTOR}00`,
      VECTOR.replace('sha256=', ''),
    ]) {
      expect(
        await verifySignature(["It's a Secret to Everybody"], encode('Hello, World!'), header),
      ).toBe(false);
    }
    expect(await verifySignature([], encode('Hello, World!'), VECTOR)).toBe(false);
    expect(await verifySignature([''], encode('Hello, World!'), VECTOR)).toBe(false);
  });

  it('keeps a leading byte-order mark in the signed bytes', async () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...encode('Hello, World!')]);
    expect(await verifySignature(["It's a Secret to Everybody"], withBom, VECTOR)).toBe(false);
  });
});
