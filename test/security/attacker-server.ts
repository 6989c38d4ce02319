/**
 * An HTTPS listener playing the attacker's API server in the hostile tests: its own CA and a
 * serving certificate for 127.0.0.1 (made with openssl, like the test cluster's), and a record
 * of every request it receives, headers included. A test that points a branch's configuration
 * at it asserts it received nothing, in particular no `Authorization`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki } from '../env/pki.ts';

/** One request the attacker saw. */
export interface StolenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A running attacker listener. */
export interface AttackerServer {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  /** The attacker's own CA, which a hostile `plumbline.yaml` would put in `ca:`. */
  caPem: string;
  /** Every request received, in order. */
  requests: StolenRequest[];
  close(): Promise<void>;
}

/** Starts the listener on a free loopback port; it answers every request like an API server. */
export async function startAttackerServer(): Promise<AttackerServer> {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-attacker-'));
  const pki = createPki(dir);
  const requests: StolenRequest[] = [];
  const server: Server = createServer(
    { cert: readFileSync(pki.servingCert), key: readFileSync(pki.servingKey) },
    (request, response) => {
      requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: { ...request.headers },
      });
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"kind":"Status","apiVersion":"v1","status":"Success"}');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: pki.caPem,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
