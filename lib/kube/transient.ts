/**
 * Which API server answers are worth retrying. The server was briefly unable (429, 502-504,
 * a dropped connection, an etcd hiccup) or it decided (every 4xx, and a 500 caused by the
 * object itself: a value of the wrong type makes server-side apply answer 500 "failed to
 * create typed patch object", which fails the same way on every retry).
 */
import type { KubeStatus } from './status.ts';

const retryableReasons = new Set([
  'ServerTimeout',
  'Timeout',
  'TooManyRequests',
  'ServiceUnavailable',
]);

/** Messages of 500s that describe the object, not the server: permanent. */
const objectFault =
  /failed to create typed (patch|live) object|expected (numeric|string|map|list|bool|boolean)\b.*\bgot\b|unable to convert|cannot convert|no kind .* is registered|field not declared in schema/i;

/** True when an answer with HTTP `status` (and its `Status` body, if any) may pass on retry. */
export function isTransientAnswer(status: number, body: KubeStatus | undefined): boolean {
  if (status === 0 || status === 429 || status === 502 || status === 503 || status === 504) {
    return true;
  }
  if (status < 500) return false;
  if (!body) return true; // a proxy or load balancer's page: the server was not reached
  if (body.reason && retryableReasons.has(body.reason)) return true;
  if ((body.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds !== undefined)
    return true;
  return !objectFault.test(body.message ?? '');
}
