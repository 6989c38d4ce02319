/**
 * A small SSH client over any byte socket, with WebCrypto only: what Plumbline needs to run
 * commands on a host, and nothing more. It speaks the SSH transport (RFC 4253) with
 * curve25519-sha256 or ecdh-sha2-nistp256 key exchange, AES-GCM packets (RFC 5647) and strict
 * key exchange (the Terrapin countermeasure), authenticates with a public key or an OpenSSH
 * certificate (RFC 4252, PROTOCOL.certkeys), and runs `exec` on session channels (RFC 4254),
 * one at a time. The server's host key must be one of the pinned keys: there is no trust on
 * first use, and a changed key is refused before anything is sent.
 *
 * No pty, no forwarding, no agent, no compression, no re-keying (a server asking for one ends
 * the connection: a deploy moves kilobytes, far below any re-key limit).
 */
import { sha256 } from '../../core/encoding.ts';
import {
  type SshPublicKey,
  type SshSigner,
  signatureAlgorithmsFor,
  verifySignature,
} from './keys.ts';
import {
  type Bytes,
  concatBytes,
  equalBytes,
  SshFormatError,
  SshReader,
  SshWriter,
  utf8,
} from './wire.ts';

/** A bidirectional byte stream: a TCP socket on Node, `connect()` on Cloudflare Workers. */
export interface ByteSocket {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  close(): Promise<void>;
}

/** Opens a byte socket to `host:port`. */
export type Dial = (host: string, port: number) => Promise<ByteSocket>;

/** Why an SSH connection failed; `reason` says which kind of failure, for callers and tests. */
export class SshError extends Error {
  override readonly name = 'SshError';
  readonly reason: SshFailure;
  constructor(reason: SshFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** The kinds of SSH failure a caller may act on. */
export type SshFailure =
  | 'host-key'
  | 'auth'
  | 'protocol'
  | 'closed'
  | 'timeout'
  | 'negotiation'
  | 'channel'
  | 'output-limit';

/** What a connection authenticates with. */
export interface SshIdentity {
  signer: SshSigner;
  /** An OpenSSH certificate for `signer`'s key (authenticate with it instead of the bare key). */
  certificate?: Bytes;
}

/** Options of `connectSsh`. */
export interface SshConnectOptions {
  socket: ByteSocket;
  /** The host keys to accept (one of them must be the server's); never empty. */
  hostKeys: readonly SshPublicKey[];
  username: string;
  identity: SshIdentity;
  /** Deadline for the handshake and authentication (default 15 s). */
  timeoutMs?: number;
}

/** What one command returned. */
export interface ExecResult {
  /** Exit status; `null` when the command was killed by a signal or the status never came. */
  code: number | null;
  signal?: string;
  stdout: Bytes;
  stderr: Bytes;
}

/** What a connection cost, for round-trip figures. */
export interface SshStats {
  /** Times the client waited for the server after sending (network round trips). */
  roundTrips: number;
  /** Round trips spent on the handshake and authentication. */
  handshakeRoundTrips: number;
  channels: number;
  commands: number;
  bytesSent: number;
  bytesReceived: number;
}

const MSG = {
  DISCONNECT: 1,
  IGNORE: 2,
  UNIMPLEMENTED: 3,
  DEBUG: 4,
  SERVICE_REQUEST: 5,
  SERVICE_ACCEPT: 6,
  EXT_INFO: 7,
  KEXINIT: 20,
  NEWKEYS: 21,
  KEX_ECDH_INIT: 30,
  KEX_ECDH_REPLY: 31,
  USERAUTH_REQUEST: 50,
  USERAUTH_FAILURE: 51,
  USERAUTH_SUCCESS: 52,
  USERAUTH_BANNER: 53,
  GLOBAL_REQUEST: 80,
  REQUEST_FAILURE: 82,
  CHANNEL_OPEN: 90,
  CHANNEL_OPEN_CONFIRMATION: 91,
  CHANNEL_OPEN_FAILURE: 92,
  CHANNEL_WINDOW_ADJUST: 93,
  CHANNEL_DATA: 94,
  CHANNEL_EXTENDED_DATA: 95,
  CHANNEL_EOF: 96,
  CHANNEL_CLOSE: 97,
  CHANNEL_REQUEST: 98,
  CHANNEL_SUCCESS: 99,
  CHANNEL_FAILURE: 100,
} as const;

const CLIENT_VERSION = 'SSH-2.0-Plumbline_1.0';
const KEX_ALGORITHMS = ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256'];
const STRICT_CLIENT = 'kex-strict-c-v00@openssh.com';
const STRICT_SERVER = 'kex-strict-s-v00@openssh.com';
const CIPHERS = ['aes256-gcm@openssh.com', 'aes128-gcm@openssh.com'];
const MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'];
/** Largest packet accepted from the server (RFC 4253 requires at least 35000). */
const MAX_PACKET = 256 * 1024;
/** Our receive window per channel, and the largest data packet we ask for. */
const WINDOW = 2 * 1024 * 1024;
const CHANNEL_PACKET = 32 * 1024;
/** Output kept per command before it is cut off (a hostile server could send forever). */
const MAX_OUTPUT = 32 * 1024 * 1024;

interface Direction {
  key: CryptoKey;
  iv: Bytes;
}

/** Negotiates one algorithm list: the client's first choice the server also offers. */
function choose(category: string, client: readonly string[], server: readonly string[]): string {
  const chosen = client.find((name) => server.includes(name));
  if (!chosen) {
    throw new SshError(
      'negotiation',
      `no common ${category} algorithm (we offer ${client.join(', ')}; the server offers ${server.join(', ') || 'none'})`,
    );
  }
  return chosen;
}

/** The 12-byte GCM nonce after one packet: the 64-bit invocation counter plus one. */
function nextIv(iv: Bytes): void {
  for (let i = 11; i >= 4; i--) {
    iv[i] = ((iv[i] ?? 0) + 1) & 0xff;
    if (iv[i] !== 0) break;
  }
}

function messageName(type: number): string {
  return Object.entries(MSG).find(([, value]) => value === type)?.[0] ?? `#${type}`;
}

/** One authenticated SSH connection; see the module comment. */
export class SshConnection {
  readonly stats: SshStats = {
    roundTrips: 0,
    handshakeRoundTrips: 0,
    channels: 0,
    commands: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  readonly #socket: ByteSocket;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #buffer: Bytes = new Uint8Array();
  #sendSeq = 0;
  #recvSeq = 0;
  #send: Direction | undefined;
  #recv: Direction | undefined;
  #writes: Promise<void> = Promise.resolve();
  #waiting = false;
  #closed = false;
  #strict = false;
  #inInitialKex = true;
  #nextChannel = 0;
  #busy: Promise<unknown> = Promise.resolve();

  private constructor(socket: ByteSocket) {
    this.#socket = socket;
    this.#reader = socket.readable.getReader();
    this.#writer = socket.writable.getWriter();
  }

  /** Connects, checks the host key against the pinned ones, and authenticates. */
  static async connect(options: SshConnectOptions): Promise<SshConnection> {
    if (options.hostKeys.length === 0) {
      throw new SshError('host-key', 'no pinned host key: refusing to trust on first use');
    }
    const connection = new SshConnection(options.socket);
    const timeoutMs = options.timeoutMs ?? 15_000;
    try {
      await connection.#deadline(timeoutMs, 'the SSH handshake', async () => {
        const sessionId = await connection.#keyExchange(options.hostKeys);
        await connection.#authenticate(sessionId, options.username, options.identity);
      });
    } catch (error) {
      await connection.close();
      throw error;
    }
    connection.stats.handshakeRoundTrips = connection.stats.roundTrips;
    return connection;
  }

  /** Runs `command` (through the user's login shell, as sshd does), feeding it `stdin`. */
  exec(command: string, stdin?: Uint8Array, options: { timeoutMs?: number } = {}) {
    const run = this.#busy.then(() =>
      this.#deadline(options.timeoutMs ?? 300_000, 'the remote command', () =>
        this.#exec(command, stdin ?? new Uint8Array()),
      ),
    );
    this.#busy = run.catch(() => undefined);
    return run;
  }

  /** Says goodbye and closes the socket; safe to call more than once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#send) {
      await this.#sendPacket(
        new SshWriter()
          .byte(MSG.DISCONNECT)
          .uint32(11)
          .string('plumbline is done')
          .string('')
          .bytes(),
      ).catch(() => undefined);
      await this.#writes.catch(() => undefined);
    }
    this.#closed = true;
    await this.#writer.close().catch(() => undefined);
    await this.#reader.cancel().catch(() => undefined);
    await this.#socket.close().catch(() => undefined);
  }

  async #deadline<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new SshError('timeout', `${what} did not finish within ${Math.round(ms / 1000)} s`));
        void this.close();
      }, ms);
    });
    try {
      return await Promise.race([work(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- bytes in and out ----

  async #fill(n: number): Promise<void> {
    while (this.#buffer.length < n) {
      // Waiting on the network after sending is one round trip; data already here is not.
      if (this.#waiting) {
        this.stats.roundTrips += 1;
        this.#waiting = false;
      }
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await this.#reader.read();
      } catch (error) {
        throw new SshError('closed', 'the connection broke', { cause: error });
      }
      if (chunk.done || this.#closed) {
        throw new SshError('closed', 'the server closed the connection');
      }
      this.stats.bytesReceived += chunk.value.length;
      this.#buffer = concatBytes(this.#buffer, chunk.value);
    }
  }

  #take(n: number): Bytes {
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return out;
  }

  #write(bytes: Bytes): void {
    this.stats.bytesSent += bytes.length;
    this.#waiting = true;
    this.#writes = this.#writes.then(() => this.#writer.write(bytes));
  }

  /** Encrypts (once keys are set) and queues one packet, in order. */
  #sendPacket(payload: Bytes): Promise<void> {
    const seal = async () => {
      const direction = this.#send;
      const block = direction ? 16 : 8;
      // Under GCM the length is not encrypted, so padding covers only the rest.
      const covered = direction ? 1 + payload.length : 5 + payload.length;
      let padding = block - (covered % block);
      if (padding < 4) padding += block;
      const body = concatBytes(
        Uint8Array.of(padding),
        payload,
        crypto.getRandomValues(new Uint8Array(padding)),
      );
      const length = new SshWriter().uint32(body.length).bytes();
      this.#sendSeq = (this.#sendSeq + 1) >>> 0;
      if (!direction) return concatBytes(length, body);
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: 'AES-GCM', iv: direction.iv, additionalData: length, tagLength: 128 },
          direction.key,
          body,
        ),
      );
      nextIv(direction.iv);
      return concatBytes(length, sealed);
    };
    // Sealing is asynchronous: chain it so packets leave in sequence-number order.
    const sealedPacket = this.#writes.then(seal);
    const done = sealedPacket.then((bytes) => {
      this.stats.bytesSent += bytes.length;
      return this.#writer.write(bytes);
    });
    this.#waiting = true;
    this.#writes = done.catch(() => undefined);
    return done;
  }

  /** Reads one packet's payload (decrypting and checking it once keys are set). */
  async #readPacket(): Promise<Bytes> {
    await this.#fill(4);
    const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getUint32(0);
    if (length < 5 || length > MAX_PACKET) {
      throw new SshError('protocol', `the server sent a packet of ${length} bytes`);
    }
    const direction = this.#recv;
    const total = 4 + length + (direction ? 16 : 0);
    await this.#fill(total);
    const packet = this.#take(total);
    let body: Bytes;
    if (direction) {
      if (length % 16 !== 0) throw new SshError('protocol', 'packet length is not block-aligned');
      try {
        body = new Uint8Array(
          await crypto.subtle.decrypt(
            {
              name: 'AES-GCM',
              iv: direction.iv,
              additionalData: packet.subarray(0, 4),
              tagLength: 128,
            },
            direction.key,
            packet.subarray(4),
          ),
        );
      } catch (error) {
        throw new SshError('protocol', 'a packet failed its integrity check', { cause: error });
      }
      nextIv(direction.iv);
    } else {
      body = packet.subarray(4);
    }
    this.#recvSeq = (this.#recvSeq + 1) >>> 0;
    const padding = body[0] ?? 0;
    if (padding < 4 || padding + 1 > body.length) {
      throw new SshError('protocol', 'bad packet padding');
    }
    return body.slice(1, body.length - padding);
  }

  /**
   * The next message that is not transport chatter: IGNORE and DEBUG are dropped, DISCONNECT
   * ends the connection with the server's reason, a global request is declined.
   */
  async #next(): Promise<Bytes> {
    for (;;) {
      const payload = await this.#readPacket();
      const type = payload[0] ?? 0;
      if (
        this.#inInitialKex &&
        this.#strict &&
        type !== MSG.NEWKEYS &&
        type !== MSG.KEX_ECDH_REPLY
      ) {
        throw new SshError(
          'protocol',
          `unexpected ${messageName(type)} during strict key exchange`,
        );
      }
      switch (type) {
        case MSG.IGNORE:
        case MSG.DEBUG:
        case MSG.UNIMPLEMENTED:
        case MSG.EXT_INFO:
          continue;
        case MSG.DISCONNECT: {
          const reader = new SshReader(payload.subarray(1));
          reader.uint32();
          const reason = reader.text();
          throw new SshError('closed', `the server disconnected: ${reason}`);
        }
        case MSG.GLOBAL_REQUEST: {
          const reader = new SshReader(payload.subarray(1));
          reader.text();
          if (reader.boolean()) await this.#sendPacket(Uint8Array.of(MSG.REQUEST_FAILURE));
          continue;
        }
        case MSG.KEXINIT:
          if (!this.#inInitialKex) {
            throw new SshError(
              'protocol',
              'the server asked for a key re-exchange, which Plumbline does not do',
            );
          }
          return payload;
        default:
          return payload;
      }
    }
  }

  /** The next message, which must be of type `expected`. */
  async #expect(expected: number, during: string): Promise<SshReader> {
    const payload = await this.#next();
    if (payload[0] !== expected) {
      throw new SshError(
        'protocol',
        `expected ${messageName(expected)} during ${during}, got ${messageName(payload[0] ?? 0)}`,
      );
    }
    return new SshReader(payload.subarray(1));
  }

  // ---- key exchange ----

  async #versionLine(): Promise<string> {
    // Servers may send other lines before their version (RFC 4253 §4.2).
    for (let lines = 0; lines < 50; lines++) {
      let end = -1;
      for (;;) {
        end = this.#buffer.indexOf(0x0a);
        if (end >= 0) break;
        if (this.#buffer.length > 8192) throw new SshError('protocol', 'no SSH version line');
        await this.#fill(this.#buffer.length + 1);
      }
      const line = new TextDecoder().decode(this.#take(end + 1)).replace(/\r?\n$/, '');
      if (line.startsWith('SSH-')) {
        if (!/^SSH-(2\.0|1\.99)-/.test(line)) {
          throw new SshError('negotiation', `the server speaks ${line.slice(0, 40)}, not SSH 2`);
        }
        return line;
      }
    }
    throw new SshError('protocol', 'no SSH version line');
  }

  async #keyExchange(hostKeys: readonly SshPublicKey[]): Promise<Bytes> {
    const hostKeyAlgorithms = [...new Set(hostKeys.flatMap((k) => signatureAlgorithmsFor(k.type)))];
    const clientInit = new SshWriter()
      .byte(MSG.KEXINIT)
      .raw(crypto.getRandomValues(new Uint8Array(16)))
      .nameList([...KEX_ALGORITHMS, STRICT_CLIENT])
      .nameList(hostKeyAlgorithms)
      .nameList(CIPHERS)
      .nameList(CIPHERS)
      .nameList(MACS)
      .nameList(MACS)
      .nameList(['none'])
      .nameList(['none'])
      .nameList([])
      .nameList([])
      .boolean(false)
      .uint32(0)
      .bytes();
    this.#write(utf8(`${CLIENT_VERSION}\r\n`));
    await this.#sendPacket(clientInit);
    const serverVersion = await this.#versionLine();
    const serverInit = await this.#readPacket();
    if (serverInit[0] !== MSG.KEXINIT) {
      throw new SshError('protocol', 'the server did not start the key exchange');
    }
    const offer = new SshReader(serverInit.subarray(17));
    const server = {
      kex: offer.nameList(),
      hostKey: offer.nameList(),
      cipherOut: offer.nameList(),
      cipherIn: offer.nameList(),
    };
    offer.nameList();
    offer.nameList();
    const compressionOut = offer.nameList();
    const compressionIn = offer.nameList();
    offer.nameList();
    offer.nameList();
    const guessFollows = offer.boolean();
    this.#strict = server.kex.includes(STRICT_SERVER);
    const kex = choose('key exchange', KEX_ALGORITHMS, server.kex);
    const hostKeyAlgorithm = choose('host key', hostKeyAlgorithms, server.hostKey);
    const cipherOut = choose('cipher', CIPHERS, server.cipherOut);
    const cipherIn = choose('cipher', CIPHERS, server.cipherIn);
    choose('compression', ['none'], compressionOut);
    choose('compression', ['none'], compressionIn);
    if (guessFollows && (server.kex[0] !== kex || server.hostKey[0] !== hostKeyAlgorithm)) {
      await this.#readPacket(); // the server's wrong guess, to be ignored
    }

    const x25519 = kex !== 'ecdh-sha2-nistp256';
    const algorithm = x25519 ? { name: 'X25519' } : { name: 'ECDH', namedCurve: 'P-256' };
    const ephemeral = (await crypto.subtle.generateKey(algorithm, false, [
      'deriveBits',
    ])) as CryptoKeyPair;
    const clientPublic = new Uint8Array(await crypto.subtle.exportKey('raw', ephemeral.publicKey));
    await this.#sendPacket(new SshWriter().byte(MSG.KEX_ECDH_INIT).string(clientPublic).bytes());
    const reply = await this.#expect(MSG.KEX_ECDH_REPLY, 'the key exchange');
    const hostKey = reply.string();
    const serverPublic = reply.string();
    const signature = reply.string();

    if (!hostKeys.some((pinned) => equalBytes(pinned.blob, hostKey))) {
      throw new SshError('host-key', 'the server presented a host key that is not pinned');
    }
    let shared: Bytes;
    try {
      const peer = await crypto.subtle.importKey('raw', serverPublic, algorithm, false, []);
      shared = new Uint8Array(
        await crypto.subtle.deriveBits(
          { name: algorithm.name, public: peer },
          ephemeral.privateKey,
          256,
        ),
      );
    } catch (error) {
      throw new SshError('protocol', 'the server sent an invalid key exchange value', {
        cause: error,
      });
    }
    if (shared.every((b) => b === 0)) {
      throw new SshError('protocol', 'the key exchange produced an all-zero secret');
    }
    const secret = new SshWriter().mpint(shared).bytes();
    const exchangeHash = await sha256(
      new SshWriter()
        .string(CLIENT_VERSION)
        .string(serverVersion)
        .string(clientInit)
        .string(serverInit)
        .string(hostKey)
        .string(clientPublic)
        .string(serverPublic)
        .raw(secret)
        .bytes(),
    );
    const signatureAlgorithm = new SshReader(signature).text();
    if (
      signatureAlgorithm !== hostKeyAlgorithm ||
      !(await verifySignature(hostKey, signature, exchangeHash))
    ) {
      throw new SshError('host-key', "the server's host key signature does not verify");
    }
    const sessionId = exchangeHash;
    await this.#sendPacket(Uint8Array.of(MSG.NEWKEYS));
    if (this.#strict) this.#sendSeq = 0;
    await this.#expect(MSG.NEWKEYS, 'the key exchange');
    if (this.#strict) this.#recvSeq = 0;
    const derive = async (letter: string, size: number): Promise<Bytes> => {
      let out = await sha256(concatBytes(secret, exchangeHash, utf8(letter), sessionId));
      while (out.length < size) {
        out = concatBytes(out, await sha256(concatBytes(secret, exchangeHash, out)));
      }
      return out.slice(0, size);
    };
    const keySize = (cipher: string) => (cipher.startsWith('aes256') ? 32 : 16);
    const importKey = async (letter: string, cipher: string) =>
      crypto.subtle.importKey('raw', await derive(letter, keySize(cipher)), 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ]);
    this.#send = { iv: await derive('A', 12), key: await importKey('C', cipherOut) };
    this.#recv = { iv: await derive('B', 12), key: await importKey('D', cipherIn) };
    this.#inInitialKex = false;
    return sessionId;
  }

  // ---- user authentication ----

  async #authenticate(sessionId: Bytes, username: string, identity: SshIdentity): Promise<void> {
    await this.#sendPacket(
      new SshWriter().byte(MSG.SERVICE_REQUEST).string('ssh-userauth').bytes(),
    );
    const accepted = await this.#expect(MSG.SERVICE_ACCEPT, 'authentication');
    if (accepted.text() !== 'ssh-userauth') {
      throw new SshError('protocol', 'the server did not accept the authentication service');
    }
    const keyType = identity.signer.publicKey.type;
    const certificate = identity.certificate;
    const algorithm = certificate ? new SshReader(certificate).text() : keyType;
    const blob = certificate ?? identity.signer.publicKey.blob;
    const request = new SshWriter()
      .byte(MSG.USERAUTH_REQUEST)
      .string(username)
      .string('ssh-connection')
      .string('publickey')
      .boolean(true)
      .string(algorithm)
      .string(blob)
      .bytes();
    const signature = await identity.signer.sign(
      new SshWriter().string(sessionId).raw(request).bytes(),
    );
    await this.#sendPacket(new SshWriter().raw(request).string(signature).bytes());
    for (;;) {
      const payload = await this.#next();
      const type = payload[0];
      if (type === MSG.USERAUTH_BANNER) continue;
      if (type === MSG.USERAUTH_SUCCESS) return;
      if (type === MSG.USERAUTH_FAILURE) {
        const methods = new SshReader(payload.subarray(1)).nameList();
        throw new SshError(
          'auth',
          `the server refused the login of '${username}' with ${certificate ? 'the certificate' : 'the key'} (it allows: ${methods.join(', ') || 'nothing'})`,
        );
      }
      throw new SshError('protocol', `unexpected ${messageName(type ?? 0)} during authentication`);
    }
  }

  // ---- channels ----

  async #exec(command: string, stdin: Uint8Array): Promise<ExecResult> {
    const local = this.#nextChannel++;
    this.stats.channels += 1;
    await this.#sendPacket(
      new SshWriter()
        .byte(MSG.CHANNEL_OPEN)
        .string('session')
        .uint32(local)
        .uint32(WINDOW)
        .uint32(CHANNEL_PACKET)
        .bytes(),
    );
    const opened = await this.#next();
    if (opened[0] === MSG.CHANNEL_OPEN_FAILURE) {
      const reader = new SshReader(opened.subarray(1));
      reader.uint32();
      reader.uint32();
      throw new SshError('channel', `the server refused a session: ${reader.text()}`);
    }
    if (opened[0] !== MSG.CHANNEL_OPEN_CONFIRMATION) {
      throw new SshError('protocol', `expected a channel, got ${messageName(opened[0] ?? 0)}`);
    }
    const confirmation = new SshReader(opened.subarray(1));
    if (confirmation.uint32() !== local) throw new SshError('protocol', 'wrong channel confirmed');
    const remote = confirmation.uint32();
    let sendWindow = confirmation.uint32();
    const maxPacket = Math.max(1, Math.min(confirmation.uint32(), CHANNEL_PACKET));

    this.stats.commands += 1;
    await this.#sendPacket(
      new SshWriter()
        .byte(MSG.CHANNEL_REQUEST)
        .uint32(remote)
        .string('exec')
        .boolean(true)
        .string(command)
        .bytes(),
    );

    const stdout: Uint8Array[] = [];
    const stderr: Uint8Array[] = [];
    let outputBytes = 0;
    let receiveWindow = WINDOW;
    let sent = 0;
    let eofSent = false;
    let closed = false;
    let code: number | null = null;
    let signal: string | undefined;
    let execAnswered = false;

    const pump = async () => {
      while (sent < stdin.length && sendWindow > 0) {
        const size = Math.min(maxPacket, sendWindow, stdin.length - sent);
        const chunk = stdin.subarray(sent, sent + size);
        await this.#sendPacket(
          new SshWriter().byte(MSG.CHANNEL_DATA).uint32(remote).string(chunk).bytes(),
        );
        sent += size;
        sendWindow -= size;
      }
      if (sent >= stdin.length && !eofSent) {
        eofSent = true;
        await this.#sendPacket(new SshWriter().byte(MSG.CHANNEL_EOF).uint32(remote).bytes());
      }
    };
    await pump();

    while (!closed) {
      const payload = await this.#next();
      const type = payload[0];
      const reader = new SshReader(payload.subarray(1));
      if (reader.uint32() !== local) {
        throw new SshError('protocol', `${messageName(type ?? 0)} for a channel we did not open`);
      }
      switch (type) {
        case MSG.CHANNEL_WINDOW_ADJUST:
          sendWindow += reader.uint32();
          await pump();
          break;
        case MSG.CHANNEL_DATA:
        case MSG.CHANNEL_EXTENDED_DATA: {
          const stream = type === MSG.CHANNEL_DATA ? 0 : reader.uint32();
          const data = reader.string();
          outputBytes += data.length;
          if (outputBytes > MAX_OUTPUT) {
            throw new SshError(
              'output-limit',
              `the command printed more than ${MAX_OUTPUT / 1024 / 1024} MiB`,
            );
          }
          (stream === 0 ? stdout : stderr).push(data);
          receiveWindow -= data.length;
          if (receiveWindow < WINDOW / 2) {
            await this.#sendPacket(
              new SshWriter()
                .byte(MSG.CHANNEL_WINDOW_ADJUST)
                .uint32(remote)
                .uint32(WINDOW - receiveWindow)
                .bytes(),
            );
            receiveWindow = WINDOW;
          }
          break;
        }
        case MSG.CHANNEL_SUCCESS:
          execAnswered = true;
          break;
        case MSG.CHANNEL_FAILURE:
          if (!execAnswered) throw new SshError('channel', 'the server refused to run the command');
          break;
        case MSG.CHANNEL_REQUEST: {
          const name = reader.text();
          const wantReply = reader.boolean();
          if (name === 'exit-status') code = reader.uint32();
          else if (name === 'exit-signal') signal = reader.text();
          if (wantReply) {
            await this.#sendPacket(
              new SshWriter().byte(MSG.CHANNEL_FAILURE).uint32(remote).bytes(),
            );
          }
          break;
        }
        case MSG.CHANNEL_EOF:
          break;
        case MSG.CHANNEL_CLOSE:
          closed = true;
          await this.#sendPacket(new SshWriter().byte(MSG.CHANNEL_CLOSE).uint32(remote).bytes());
          break;
        default:
          throw new SshError('protocol', `unexpected ${messageName(type ?? 0)} on a channel`);
      }
    }
    return {
      code,
      ...(signal ? { signal } : {}),
      stdout: concatBytes(...stdout),
      stderr: concatBytes(...stderr),
    };
  }
}

/** Thrown for malformed data from the server; re-exported for callers that classify errors. */
export { SshFormatError };
