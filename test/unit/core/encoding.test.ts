/**
 * The one set of byte encodings and SHA-256 helpers, checked against Node's `Buffer` and
 * `node:crypto` over every byte value and random inputs.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromBase64,
  fromBase64url,
  sha256,
  sha256Digest,
  sha256Hex,
  toBase64,
  toBase64url,
  toHex,
} from '../../../lib/core/encoding.ts';

const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('byte encodings', () => {
  it('agree with Buffer on every byte value', () => {
    const buffer = Buffer.from(everyByte);
    expect(toHex(everyByte)).toBe(buffer.toString('hex'));
    expect(toBase64(everyByte)).toBe(buffer.toString('base64'));
    expect(toBase64url(everyByte)).toBe(buffer.toString('base64url'));
    expect(fromBase64(buffer.toString('base64'))).toEqual(everyByte);
    expect(fromBase64url(buffer.toString('base64url'))).toEqual(everyByte);
  });

  it('round-trip any bytes, including inputs larger than one encoding chunk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000, size: 'large' }), (bytes) => {
        const buffer = Buffer.from(bytes);
        expect(toBase64(bytes)).toBe(buffer.toString('base64'));
        expect(toBase64url(bytes)).toBe(buffer.toString('base64url'));
        expect(fromBase64(toBase64(bytes))).toEqual(bytes);
        expect(fromBase64url(toBase64url(bytes))).toEqual(bytes);
      }),
      { numRuns: 30 },
    );
  });

  it('encode strings as UTF-8', () => {
    expect(toBase64('ü €')).toBe(Buffer.from('ü €', 'utf8').toString('base64'));
    expect(toBase64url('ü €?>')).toBe(Buffer.from('ü €?>', 'utf8').toString('base64url'));
  });

  it('refuse characters outside the alphabet', () => {
    expect(() => fromBase64('ab$d')).toThrow();
    expect(() => fromBase64url('a')).toThrow();
  });
});

describe('sha256', () => {
  it('agrees with node:crypto for strings, bytes and buffers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), async (text) => {
        const expected = createHash('sha256').update(text, 'utf8').digest('hex');
        expect(await sha256Hex(text)).toBe(expected);
        expect(await sha256Hex(new TextEncoder().encode(text))).toBe(expected);
        expect(await sha256Hex(new TextEncoder().encode(text).buffer)).toBe(expected);
        expect(await sha256Digest(text)).toBe(`sha256:${expected}`);
      }),
      { numRuns: 50 },
    );
    expect(toHex(await sha256(everyByte))).toBe(
      createHash('sha256').update(everyByte).digest('hex'),
    );
  });

  it('hashes only the view it is given, not the whole underlying buffer', async () => {
    const view = everyByte.subarray(10, 20);
    expect(await sha256Hex(view)).toBe(createHash('sha256').update(view).digest('hex'));
  });
});
