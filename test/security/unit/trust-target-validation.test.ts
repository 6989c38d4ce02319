/**
 * Finding 6, targets: a binding's server URL carries no user info and names no link-local or
 * cloud metadata address (in any of the forms a URL parser accepts for one) unless the
 * operator allows it; its CA parses as X.509 (junk between the markers, a private key, a
 * truncated copy are refused). Generated widely with fast-check, not just hand-picked cases.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { certificatePemProblem, isX509Der } from '../../../lib/config/certificate-pem.ts';
import {
  isLinkLocalAddress,
  isLinkLocalHost,
  serverAddressProblem,
} from '../../../lib/config/server-address.ts';
import { TargetBindingSchema } from '../../../lib/config/target-binding.ts';

const CA = readFileSync(new URL('../../fixtures/config/ca.pem', import.meta.url), 'utf8');
const DER = Buffer.from(CA.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');

/** The four spellings of an IPv4 address a URL parser turns into the dotted one. */
function spellings(octets: readonly number[]): string[] {
  const value = octets.reduce((n, o) => n * 256 + o, 0);
  return [
    octets.join('.'),
    String(value),
    `0x${value.toString(16)}`,
    octets.map((o) => `0${o.toString(8)}`).join('.'),
  ];
}

const byte = fc.integer({ min: 0, max: 255 });

describe('server addresses', () => {
  it('refuses every 169.254.0.0/16 address in every spelling, and its IPv6-mapped forms', () => {
    fc.assert(
      fc.property(byte, byte, (c, d) => {
        for (const host of spellings([169, 254, c, d])) {
          expect(serverAddressProblem(`https://${host}:6443`)).toMatchObject({
            kind: 'link-local',
          });
        }
        const mapped = `[::ffff:169.254.${c}.${d}]`;
        expect(serverAddressProblem(`https://${mapped}`)).toMatchObject({ kind: 'link-local' });
        expect(serverAddressProblem(`https://${mapped}`, true)).toBeUndefined();
      }),
    );
  });

  it('refuses every fe80::/10 address and the AWS metadata IPv6 address', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0xfe80, max: 0xfebf }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 7, maxLength: 7 }),
        (first, rest) => {
          const address = [first, ...rest].map((g) => g.toString(16)).join(':');
          expect(isLinkLocalAddress(address)).toBe(true);
          expect(serverAddressProblem(`https://[${address}]`)).toMatchObject({
            kind: 'link-local',
          });
        },
      ),
    );
    for (const host of ['[fd00:ec2::254]', '[FD00:EC2:0:0:0:0:0:254]', '[fe80::1%25eth0]']) {
      expect(serverAddressProblem(`https://${host}`)?.kind).toMatch(/link-local|not-url/);
    }
    expect(isLinkLocalHost('[fd00:ec2::254]')).toBe(true);
  });

  it('refuses metadata host names, however they are cased or dotted', () => {
    for (const host of [
      'metadata.google.internal',
      'METADATA.GOOGLE.INTERNAL.',
      'metadata.goog',
      'instance-data.ec2.internal',
      '100.100.100.200',
      '169.254.169.254',
      '169.254.170.2',
    ]) {
      expect(serverAddressProblem(`https://${host}`)).toMatchObject({ kind: 'link-local' });
    }
  });

  it('accepts ordinary public and private addresses', () => {
    fc.assert(
      fc.property(byte, byte, byte, byte, (a, b, c, d) => {
        fc.pre(!(a === 169 && b === 254));
        fc.pre(![`${a}.${b}.${c}.${d}`].includes('100.100.100.200'));
        fc.pre(`${a}.${b}.${c}.${d}` !== '192.0.0.192');
        expect(serverAddressProblem(`https://${a}.${b}.${c}.${d}:6443`)).toBeUndefined();
      }),
    );
    expect(serverAddressProblem('https://k8s.example.com/k8s/clusters/c-1')).toBeUndefined();
    expect(serverAddressProblem('https://[2001:db8::1]:6443')).toBeUndefined();
  });

  it('refuses user info, other schemes and query strings', () => {
    fc.assert(
      fc.property(fc.webSegment(), fc.webSegment(), (user, password) => {
        fc.pre(user.length > 0);
        const url = `https://${user}:${password}@k8s.example.com`;
        expect(serverAddressProblem(url)).toEqual({ kind: 'userinfo' });
      }),
    );
    expect(serverAddressProblem('http://k8s.example.com')).toEqual({ kind: 'not-https' });
    expect(serverAddressProblem('https://k8s.example.com/?x=1')).toEqual({ kind: 'query' });
    expect(serverAddressProblem('k8s.example.com')).toEqual({ kind: 'not-url' });
  });
});

describe('CA certificates', () => {
  it('accepts a real certificate, and a bundle of them', () => {
    expect(certificatePemProblem(CA)).toBeUndefined();
    expect(certificatePemProblem(`${CA}\n${CA}`)).toBeUndefined();
    expect(isX509Der(new Uint8Array(DER))).toBe(true);
  });

  it('refuses junk inserted anywhere between the markers', () => {
    const body = CA.split('\n').slice(1, -2);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: body.length }),
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => /[^A-Za-z0-9+/=\s]/.test(s)),
        (at, junk) => {
          const lines = [...body];
          lines.splice(at, 0, junk);
          const pem = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
          expect(certificatePemProblem(pem)).toBeDefined();
        },
      ),
    );
  });

  it('refuses base64 that is not a certificate, and any truncated or extended certificate', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) => {
        fc.pre(!isX509Der(bytes));
        const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(bytes).toString('base64')}\n-----END CERTIFICATE-----`;
        expect(certificatePemProblem(pem)).toBe('not-x509');
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: DER.length - 1 }), (cut) => {
        expect(isX509Der(new Uint8Array(DER.subarray(0, cut)))).toBe(false);
      }),
    );
    expect(isX509Der(new Uint8Array([...DER, 0]))).toBe(false);
  });

  it('refuses a private key, text outside the blocks, and an unterminated block', () => {
    expect(
      certificatePemProblem('-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n'),
    ).toBe('not-certificate-block');
    expect(certificatePemProblem(`subject=CN=ca\n${CA}`)).toBe('outside-text');
    expect(certificatePemProblem(CA.replace('-----END CERTIFICATE-----', ''))).toBe('unterminated');
    expect(certificatePemProblem('')).toBe('empty');
  });

  it('refuses a binding whose CA does not parse, naming the field and not the text', () => {
    const result = TargetBindingSchema.safeParse({
      kind: 'kubernetes',
      name: 'dev',
      server: 'https://k8s.example.com',
      ca: CA.replace('MII', 'MII!secret-junk!'),
      credentials: { token: { secret: 'dev-token' } },
      repositories: ['*'],
      namespaces: ['*'],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['ca']);
    expect(JSON.stringify(result.error?.issues)).not.toContain('secret-junk');
  });
});
