/**
 * A counting HTTPS proxy in front of the test cluster's API server, so kubectl and Plumbline
 * are counted the same way, by what reaches the server: it terminates TLS with the cluster's own
 * serving certificate (clients trust it with the cluster CA), forwards each request unchanged
 * over a pooled connection (the admin bearer token passes through), and counts requests by
 * method. Both tools pay the same extra hop.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { TestCluster } from '../../test/env/control-plane.ts';

/** Requests seen since a mark. */
export interface RequestCount {
  total: number;
  byMethod: Record<string, number>;
  /** Server-side dry runs (`dryRun=All`): what `kubectl diff` and a plan send per object. */
  dryRuns: number;
}

/** A running proxy. */
export interface CountingProxy {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** A kubeconfig for the proxy, authenticating with the admin bearer token. */
  kubeconfig: string;
  /** Requests counted since the previous `take()` (or the start). */
  take(): RequestCount;
  close(): Promise<void>;
}

function emptyCount(): RequestCount {
  return { total: 0, byMethod: {}, dryRuns: 0 };
}

/** Starts a proxy in front of `cluster`; its kubeconfig is written into `dir`. */
export async function startCountingProxy(
  cluster: TestCluster,
  dir: string,
): Promise<CountingProxy> {
  const upstream = new Agent({
    connect: { ca: cluster.caPem },
    connections: 64,
    pipelining: 0,
  });
  let count = emptyCount();
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    {
      cert: readFileSync(join(cluster.dir, 'serving.crt')),
      key: readFileSync(join(cluster.dir, 'serving.key')),
    },
    (req, res) => {
      const method = req.method ?? 'GET';
      count.total++;
      count.byMethod[method] = (count.byMethod[method] ?? 0) + 1;
      if ((req.url ?? '').includes('dryRun=')) count.dryRuns++;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || name === 'host' || name === 'connection') continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const hasBody = method !== 'GET' && method !== 'HEAD';
      request(`${cluster.server}${req.url ?? '/'}`, {
        method: method as 'GET',
        headers,
        dispatcher: upstream,
        ...(hasBody ? { body: req } : {}),
      })
        .then(async (answer) => {
          const out: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && name !== 'connection' && name !== 'transfer-encoding')
              out[name] = value;
          }
          res.writeHead(answer.statusCode, out);
          for await (const chunk of answer.body) res.write(chunk);
          res.end();
        })
        .catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`proxy: ${String(error)}`);
        });
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dir, `proxy-${port}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: bench',
      '  cluster:',
      `    server: ${url}`,
      `    certificate-authority-data: ${Buffer.from(cluster.caPem).toString('base64')}`,
      'users:',
      '- name: admin',
      '  user:',
      `    token: ${cluster.admin.token}`,
      'contexts:',
      '- name: bench',
      '  context: {cluster: bench, user: admin}',
      'current-context: bench',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return {
    url,
    kubeconfig,
    take() {
      const taken = count;
      count = emptyCount();
      return taken;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
    },
  };
}
