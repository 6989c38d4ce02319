/**
 * A fault-injecting HTTPS proxy between Plumbline and the real API server: it terminates TLS
 * with the test cluster's own serving certificate (so clients trust it with the cluster CA),
 * forwards every request to the API server unchanged (bearer tokens pass through), and, where a
 * rule says so, answers instead: a 5xx `Status`, a 429 with `Retry-After`, a reset connection,
 * added latency, or an outage window (every request reset or answered 503 until it ends).
 *
 * Rules match on method, path and the request body, so a test can aim at one stage of a run:
 * before the lease (the first Lease request), mid-apply (the n-th PATCH of an app object), at
 * prune (DELETE), at release (the Lease PUT that clears the holder).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { TestCluster } from './control-plane.ts';

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  method: string;
  /** Path and query. */
  path: string;
  body: string;
  /** The answer sent (0: the connection was reset). */
  status: number;
  /** Which rule answered instead of the API server, if one did. */
  fault?: string;
  at: number;
}

/** What the proxy does with a matching request. */
export type FaultAction =
  | {
      kind: 'status';
      status: number;
      reason?: string;
      message?: string;
      retryAfterSeconds?: number;
    }
  | { kind: 'reset' }
  | { kind: 'delay'; ms: number }
  /** From this request on, for `ms`: every request reset (`reset`) or answered 503. */
  | { kind: 'outage'; ms: number; mode: 'reset' | '503' };

/** A rule: which requests, what to do, how many times. */
export interface FaultRule {
  name: string;
  match: (request: { method: string; path: string; body: string }) => boolean;
  action: FaultAction;
  /** How many matching requests it acts on (default 1). */
  times?: number;
  /** Matching requests to let through before acting (default 0). */
  after?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** A kubeconfig for the proxy authenticating with the admin bearer token. */
  kubeconfig: string;
  requests: ProxiedRequest[];
  inject(rule: FaultRule): void;
  /** Starts an outage now, for `ms`. */
  outage(ms: number, mode?: 'reset' | '503'): void;
  /** Drops every rule and ends any outage. */
  clear(): void;
  /** Rules that have not acted as often as they could (to assert a fault really happened). */
  pending(): string[];
  close(): Promise<void>;
}

interface LiveRule extends FaultRule {
  seen: number;
  acted: number;
}

/** Matches the Lease release: a PUT of the Lease without a holder. */
export function isLeaseRelease(method: string, path: string, body: string): boolean {
  if (method !== 'PUT' || !path.includes('/leases/')) return false;
  try {
    return (
      (JSON.parse(body) as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ===
      undefined
    );
  } catch {
    return false;
  }
}

/** Starts a proxy in front of `cluster` on a free loopback port. */
export async function startFaultProxy(cluster: TestCluster, dir: string): Promise<FaultProxy> {
  const upstream = new URL(cluster.server);
  const rules: LiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  let outageUntil = 0;
  let outageMode: 'reset' | '503' = 'reset';
  const sockets = new Set<Socket>();

  const status = (code: number, reason: string, message: string) =>
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    });

  const server: Server = createServer(
    {
      cert: readFileSync(join(cluster.dir, 'serving.crt')),
      key: readFileSync(join(cluster.dir, 'serving.key')),
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void (async () => {
          const method = req.method ?? 'GET';
          const path = req.url ?? '/';
          const body = Buffer.concat(chunks).toString('utf8');
          const record: ProxiedRequest = { method, path, body, status: 0, at: Date.now() };
          requests.push(record);
          const reset = () => {
            record.status = 0;
            req.socket.destroy();
          };
          const answer = (
            code: number,
            reason: string,
            message: string,
            headers: Record<string, string> = {},
          ) => {
            record.status = code;
            res.writeHead(code, { 'content-type': 'application/json', ...headers });
            res.end(status(code, reason, message));
          };
          if (Date.now() < outageUntil) {
            record.fault = 'outage';
            if (outageMode === 'reset') return reset();
            return answer(
              503,
              'ServiceUnavailable',
              'the server is currently unable to handle the request',
            );
          }
          for (const rule of rules) {
            if (rule.acted >= (rule.times ?? 1) || !rule.match({ method, path, body })) continue;
            rule.seen += 1;
            if (rule.seen <= (rule.after ?? 0)) continue;
            rule.acted += 1;
            record.fault = rule.name;
            const action = rule.action;
            if (action.kind === 'reset') return reset();
            if (action.kind === 'status') {
              return answer(
                action.status,
                action.reason ?? (action.status === 429 ? 'TooManyRequests' : 'InternalError'),
                action.message ?? `injected by ${rule.name}`,
                action.retryAfterSeconds === undefined
                  ? {}
                  : { 'retry-after': String(action.retryAfterSeconds) },
              );
            }
            if (action.kind === 'outage') {
              outageUntil = Date.now() + action.ms;
              outageMode = action.mode;
              if (action.mode === 'reset') return reset();
              return answer(
                503,
                'ServiceUnavailable',
                'the server is currently unable to handle the request',
              );
            }
            await new Promise((r) => setTimeout(r, action.ms));
            break;
          }
          const forwarded = httpsRequest(
            {
              host: upstream.hostname,
              port: upstream.port,
              method,
              path,
              headers: { ...req.headers, host: upstream.host },
              ca: cluster.caPem,
            },
            (upstreamResponse) => {
              record.status = upstreamResponse.statusCode ?? 0;
              res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
              upstreamResponse.pipe(res);
            },
          );
          forwarded.on('error', () => reset());
          forwarded.end(body);
        })();
      });
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(dir, 'proxy.kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: proxy',
      '    cluster:',
      `      server: ${url}`,
      `      certificate-authority-data: ${Buffer.from(cluster.caPem).toString('base64')}`,
      'users:',
      '  - name: admin',
      '    user:',
      `      token: ${cluster.admin.token}`,
      'contexts:',
      '  - name: proxy',
      '    context: {cluster: proxy, user: admin}',
      'current-context: proxy',
      '',
    ].join('\n'),
  );
  return {
    url,
    kubeconfig,
    requests,
    inject(rule) {
      rules.push({ ...rule, seen: 0, acted: 0 });
    },
    outage(ms, mode = 'reset') {
      outageUntil = Date.now() + ms;
      outageMode = mode;
    },
    clear() {
      rules.length = 0;
      outageUntil = 0;
    },
    pending() {
      return rules.filter((r) => r.acted === 0).map((r) => r.name);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
