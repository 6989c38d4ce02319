/**
 * A real nginx for host-target tests (Debian's `nginx`, installed by `install.sh hosts`), run
 * unprivileged from a temporary prefix: `nginx -p <prefix>/ -c <config> -g 'daemon off;'` in
 * the foreground, its pid file, logs and temporary directories under the prefix, listening on a
 * free loopback port. `nginx -t` and `nginx -s reload` with the same prefix are the real
 * validate and reload commands of the tests' `files` apps.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { versions } from './paths.ts';
import {
  type Component,
  freePort,
  startComponent,
  TestEnvError,
  waitUntilReady,
} from './processes.ts';

/** The nginx binary, or a loud failure naming how to install it. */
export function nginxBinary(): string {
  const path = versions.NGINX_BINARY ?? '/usr/sbin/nginx';
  if (!existsSync(path)) {
    throw new TestEnvError(
      `test environment: ${path} is missing. Run 'bash test/env/install.sh hosts' as root (it installs Debian's nginx).`,
    );
  }
  return path;
}

/** A prefix for nginx and the port it will serve on; nginx itself starts later. */
export interface NginxPrefix {
  /** The prefix directory (ends without '/'). */
  prefix: string;
  /** Where the `files` app deploys its configuration: `<prefix>/conf`. */
  conf: string;
  port: number;
  /** `nginx -t` of a staged directory, for `validate`. */
  validateCommand: string;
  /** `nginx -s reload` of the live configuration, for `reload`. */
  reloadCommand: string;
  /** The main configuration a test repository deploys, serving `body` from `conf.d/`. */
  mainConfig(): string;
  /** A site config answering every request with `body`. */
  siteConfig(body: string): string;
  /** Starts nginx on the deployed configuration. */
  start(): Promise<void>;
  /** GET / on the served port: the body, or the error. */
  get(): Promise<string>;
  /**
   * The page once it is `expected` (a reload is asynchronous: old workers answer until the
   * new ones run), or what it still is after `timeoutMs`.
   */
  page(expected: string, timeoutMs?: number): Promise<string>;
  log(): string;
  stop(): Promise<void>;
}

/** Makes a prefix with its log directory; nothing runs yet. */
export async function nginxPrefix(): Promise<NginxPrefix> {
  const binary = nginxBinary();
  const prefix = mkdtempSync(join(tmpdir(), 'plumbline-nginx-'));
  const conf = join(prefix, 'conf');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const port = await freePort();
  const running = process.getuid?.() === 0;
  let component: Component | undefined;
  const self: NginxPrefix = {
    prefix,
    conf,
    port,
    validateCommand: `${binary} -t -q -p ${prefix}/ -c {staged}/nginx.conf`,
    reloadCommand: `${binary} -p ${prefix}/ -c ${conf}/nginx.conf -s reload`,
    mainConfig: () =>
      [
        // As root, workers would switch to nobody, who cannot read a private temp directory.
        ...(running ? ['user root;'] : []),
        'worker_processes 1;',
        'pid logs/nginx.pid;',
        'error_log logs/error.log;',
        'events { worker_connections 64; }',
        'http {',
        '  access_log off;',
        '  include conf.d/*.conf;',
        '}',
        '',
      ].join('\n'),
    siteConfig: (body) =>
      [
        'server {',
        `  listen 127.0.0.1:${port};`,
        `  location / { default_type text/plain; return 200 "${body}\\n"; }`,
        '}',
        '',
      ].join('\n'),
    async start() {
      component = startComponent(
        'nginx',
        binary,
        ['-p', `${prefix}/`, '-c', join(conf, 'nginx.conf'), '-g', 'daemon off;'],
        join(prefix, 'logs', 'stdout.log'),
      );
      await waitUntilReady(component, async () => (await self.get()).startsWith('version'), {
        timeoutMs: 20_000,
        port,
      });
    },
    async get() {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`, {
          signal: AbortSignal.timeout(2_000),
        });
        return (await response.text()).trim();
      } catch (error) {
        return `unreachable: ${(error as Error).message}`;
      }
    },
    async page(expected, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let body = await self.get();
      while (body !== expected && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        body = await self.get();
      }
      return body;
    },
    log: () => {
      const file = join(prefix, 'logs', 'error.log');
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    },
    async stop() {
      await component?.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
  return self;
}
