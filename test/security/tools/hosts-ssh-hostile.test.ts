/**
 * The SSH client against hostile servers (plain TCP servers on loopback that speak wrongly on
 * purpose): every one ends in an `SshError` of a named kind, within its deadline, before any
 * credential is sent.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeDial } from '../../../functions/node/ssh-socket.ts';
import { SshConnection, SshError } from '../../../lib/hosts/ssh/client.ts';
import { generateEd25519Signer } from '../../../lib/hosts/ssh/keys.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
});

async function hostile(
  onConnect: (socket: Socket, received: Buffer[]) => void,
): Promise<{ port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => undefined);
    onConnect(socket, received);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, received };
}

async function connect(port: number, timeoutMs = 3_000): Promise<SshError> {
  const signer = await generateEd25519Signer();
  const socket = await nodeDial()('127.0.0.1', port);
  const error = await SshConnection.connect({
    socket,
    hostKeys: [signer.publicKey],
    username: 'deploy',
    identity: { signer },
    timeoutMs,
  }).catch((e) => e);
  expect(error).toBeInstanceOf(SshError);
  return error as SshError;
}

function packet(payload: Buffer): Buffer {
  let padding = 8 - ((5 + payload.length) % 8);
  if (padding < 4) padding += 8;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(1 + payload.length + padding);
  return Buffer.concat([length, Buffer.of(padding), payload, Buffer.alloc(padding)]);
}

describe('the SSH client against hostile servers', () => {
  it('refuses a server that is not SSH 2', async () => {
    const { port } = await hostile((s) => s.write('SSH-1.5-ancient\r\n'));
    expect((await connect(port)).reason).toBe('negotiation');
  });

  it('refuses a packet length that would make it buffer gigabytes', async () => {
    const { port } = await hostile((s) =>
      s.write(
        Buffer.concat([Buffer.from('SSH-2.0-evil\r\n'), Buffer.from([0x7f, 0xff, 0xff, 0xff])]),
      ),
    );
    const error = await connect(port);
    expect(error.reason).toBe('protocol');
    expect(error.message).toContain('packet of 2147483647 bytes');
  });

  it('times out on a server that never answers, and closes the socket', async () => {
    const { port } = await hostile(() => undefined);
    const started = Date.now();
    const error = await connect(port, 500);
    expect(error.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses a server offering only algorithms it does not trust, naming them', async () => {
    const nameList = (names: string) => {
      const b = Buffer.alloc(4 + names.length);
      b.writeUInt32BE(names.length);
      b.write(names, 4);
      return b;
    };
    const kexinit = Buffer.concat([
      Buffer.of(20),
      Buffer.alloc(16),
      nameList('diffie-hellman-group1-sha1'),
      nameList('ssh-dss'),
      nameList('3des-cbc'),
      nameList('3des-cbc'),
      nameList('hmac-md5'),
      nameList('hmac-md5'),
      nameList('none'),
      nameList('none'),
      nameList(''),
      nameList(''),
      Buffer.of(0),
      Buffer.alloc(4),
    ]);
    const { port, received } = await hostile((s) =>
      s.write(Buffer.concat([Buffer.from('SSH-2.0-weak\r\n'), packet(kexinit)])),
    );
    const error = await connect(port);
    expect(error.reason).toBe('negotiation');
    expect(error.message).toContain('no common key exchange algorithm');
    // Nothing but the version and the client's own offer went out: no key, no user name.
    expect(Buffer.concat(received).toString('latin1')).not.toContain('deploy');
  });
});
