import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTransientResponse, parseStatus } from '../../../lib/kube/errors.ts';
import { isTransientAnswer } from '../../../lib/kube/transient.ts';

/** Bodies an API server, a proxy or a load balancer might answer with. */
const body = fc.oneof(
  fc.string(),
  fc.constant('<html>502 Bad Gateway</html>'),
  fc.constant('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a"}}'),
  fc
    .record(
      {
        kind: fc.constantFrom('Status', 'List', 'Other'),
        reason: fc.constantFrom(
          'ServerTimeout',
          'Timeout',
          'TooManyRequests',
          'ServiceUnavailable',
          'InternalError',
          'Conflict',
          '',
        ),
        message: fc.oneof(
          fc.string(),
          fc.constant('failed to create typed patch object: expected string, got int'),
          fc.constant('etcdserver: leader changed'),
        ),
        details: fc.oneof(fc.constant({}), fc.record({ retryAfterSeconds: fc.nat(30) })),
      },
      { requiredKeys: ['kind'] },
    )
    .map((value) => JSON.stringify(value)),
);
const status = fc.oneof(
  fc.constantFrom(0, 200, 201, 204, 304, 400, 404, 409, 422, 429, 500, 501, 502, 503, 504),
  fc.integer({ min: 0, max: 599 }),
);

describe('isTransientResponse', () => {
  it('decides as isTransientAnswer on the parsed Status, for every status and body', () => {
    fc.assert(
      fc.property(status, body, (code, text) => {
        expect(isTransientResponse(code, text)).toBe(isTransientAnswer(code, parseStatus(text)));
      }),
      { numRuns: 2000 },
    );
  });

  it('retries a 500 the server did not pin on the object, not one it did', () => {
    const status500 = (message: string) =>
      JSON.stringify({ kind: 'Status', reason: 'InternalError', message });
    expect(isTransientResponse(500, status500('etcdserver: request timed out'))).toBe(true);
    expect(
      isTransientResponse(500, status500('failed to create typed patch object: expected map')),
    ).toBe(false);
    expect(isTransientResponse(500, 'not json')).toBe(true);
  });

  it('never retries a success or a client error, whatever its body says', () => {
    const unavailable = JSON.stringify({ kind: 'Status', reason: 'ServiceUnavailable' });
    expect(isTransientResponse(200, unavailable)).toBe(false);
    expect(isTransientResponse(409, unavailable)).toBe(false);
    expect(isTransientResponse(429, '')).toBe(true);
  });
});
