import { describe, expect, it } from 'vitest';
import { combineShares, splitSecret } from '../../../lib/secrets/shamir.ts';

describe('Shamir shares', () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));

  it('rebuilds the secret from any threshold-sized subset of shares', () => {
    const shares = splitSecret(secret, 5, 3);
    expect(combineShares([shares[0], shares[2], shares[4]] as Uint8Array[])).toEqual(secret);
    expect(combineShares([shares[3], shares[1], shares[0]] as Uint8Array[])).toEqual(secret);
    expect(combineShares(shares)).toEqual(secret);
  });

  it('appends the x coordinate 1..N to each share', () => {
    const shares = splitSecret(secret, 3, 2);
    expect(shares.map((s) => s[32])).toEqual([1, 2, 3]);
  });

  it('does not rebuild the secret from fewer shares than the threshold', () => {
    const shares = splitSecret(secret, 3, 3);
    expect(combineShares([shares[0], shares[1]] as Uint8Array[])).not.toEqual(secret);
  });

  it('refuses duplicate, short or mismatched shares', () => {
    const [a, b] = splitSecret(secret, 2, 2) as [Uint8Array, Uint8Array];
    expect(() => combineShares([a, a])).toThrow('duplicate Shamir share');
    expect(() => combineShares([a])).toThrow('fewer than two');
    expect(() => combineShares([a, b.slice(1)])).toThrow('differ in length');
  });
});
