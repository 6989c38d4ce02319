/**
 * Raw admin access to the shared test cluster, for setting up and inspecting state in tests
 * independently of the code under test.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import type { TestCluster } from './control-plane.ts';

/** A JSON request to the API server: `status` and the parsed body. */
export type AdminRequest = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: Record<string, unknown> }>;

/** Admin requests with the client certificate; `bearer` swaps in a token instead. */
export function adminClient(cluster: TestCluster, bearer?: string): AdminRequest {
  const dispatcher = new Agent({
    connect: bearer
      ? { ca: cluster.caPem }
      : { ca: cluster.caPem, cert: cluster.admin.certPem, key: cluster.admin.keyPem },
  });
  return async (method, path, body, headers = {}) => {
    const response = await undiciFetch(`${cluster.server}${path}`, {
      method,
      dispatcher,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  };
}

/** A namespace name unique to this test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
