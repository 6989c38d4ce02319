/**
 * Rebuilds a secret from Shamir shares the way sops splits data keys across key groups: each
 * share is the secret's bytes evaluated at one x, plus that x as a trailing byte; arithmetic
 * in GF(2^8) with the AES polynomial 0x11B; Lagrange interpolation at x = 0, byte by byte.
 */

function multiply(a: number, b: number): number {
  let product = 0;
  let x = a;
  let y = b;
  while (y > 0) {
    if (y & 1) product ^= x;
    x = x & 0x80 ? ((x << 1) ^ 0x11b) & 0xff : x << 1;
    y >>= 1;
  }
  return product;
}

function inverse(a: number): number {
  // a^254 = a^-1 in GF(2^8).
  let result = 1;
  let base = a;
  let e = 254;
  while (e > 0) {
    if (e & 1) result = multiply(result, base);
    base = multiply(base, base);
    e >>= 1;
  }
  return result;
}

/** Combines at least two distinct shares into the secret; throws when they are inconsistent. */
export function combineShares(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new Error('fewer than two Shamir shares');
  const length = shares[0]?.length ?? 0;
  if (length < 2) throw new Error('Shamir shares must be at least two bytes');
  if (shares.some((s) => s.length !== length)) throw new Error('Shamir shares differ in length');
  const xs = shares.map((s) => s[length - 1] as number);
  if (new Set(xs).size !== xs.length) throw new Error('duplicate Shamir share');
  const secret = new Uint8Array(length - 1);
  // Lagrange basis at 0 for each share; in characteristic 2, subtraction is xor.
  const basis = xs.map((xi, i) => {
    let b = 1;
    xs.forEach((xj, j) => {
      if (i !== j) b = multiply(b, multiply(xj, inverse(xi ^ xj)));
    });
    return b;
  });
  for (let byte = 0; byte < secret.length; byte++) {
    let value = 0;
    shares.forEach((share, i) => {
      value ^= multiply(share[byte] as number, basis[i] as number);
    });
    secret[byte] = value;
  }
  return secret;
}

/** Splits a secret into `parts` shares needing `threshold` of them (for tests and fixtures). */
export function splitSecret(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (threshold < 2 || parts < threshold || parts > 255)
    throw new Error('invalid Shamir parameters');
  const shares = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + 1);
    share[secret.length] = i + 1;
    return share;
  });
  const coefficients = new Uint8Array(threshold - 1);
  for (let byte = 0; byte < secret.length; byte++) {
    crypto.getRandomValues(coefficients);
    for (const share of shares) {
      const x = share[secret.length] as number;
      let y = 0;
      for (let c = coefficients.length - 1; c >= 0; c--)
        y = multiply(y, x) ^ (coefficients[c] as number);
      share[byte] = multiply(y, x) ^ (secret[byte] as number);
    }
  }
  return shares;
}
