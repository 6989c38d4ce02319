/**
 * Real Git repositories for tests of Git sources: a work tree made and committed to with the
 * `git` command, and git's own smart-HTTP server (`git http-backend`, the CGI program git
 * ships) on a loopback port, optionally behind HTTP basic authentication.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

/** The environment test commits are made with (no user or system git configuration). */
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Ada Author',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Author',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
};

/** A work tree to commit to. */
export class TestRepo {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** `git init` with `branch` as the first branch. */
  static init(dir: string, branch = 'main'): TestRepo {
    mkdirSync(dir, { recursive: true });
    const repo = new TestRepo(dir);
    repo.git('init', '--quiet', `--initial-branch=${branch}`);
    return repo;
  }

  /** Runs git in the work tree; returns its output, trimmed. */
  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, env: GIT_ENV, encoding: 'utf8' }).trim();
  }

  /** Writes files (`null` deletes), commits everything, and returns the new head. */
  commit(files: Record<string, string | null>, message = 'change'): string {
    for (const [path, content] of Object.entries(files)) {
      const file = join(this.dir, path);
      if (content === null) rmSync(file, { force: true, recursive: true });
      else {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
      }
    }
    this.git('add', '--all');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.head();
  }

  /** Adds a symlink at `path` pointing at `target`, and commits it. */
  commitSymlink(path: string, target: string): string {
    const file = join(this.dir, path);
    mkdirSync(dirname(file), { recursive: true });
    symlinkSync(target, file);
    this.git('add', '--all');
    this.git('commit', '--quiet', '-m', `link ${path}`);
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }
}

/** A git smart-HTTP server over the bare repositories of one directory. */
export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Requests served, as `METHOD path`. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves the repositories under `root` with `git http-backend`; with `auth`, every request
 * needs those basic credentials (answered 401 otherwise, as a Git host does).
 */
export async function startGitHttpServer(
  root: string,
  auth?: { username: string; password: string },
): Promise<GitHttpServer> {
  const backend = join(
    execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(),
    'git-http-backend',
  );
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push(`${request.method} ${url.pathname}`);
    if (auth) {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      if (request.headers.authorization !== expected) {
        response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
        response.end('authentication required\n');
        return;
      }
    }
    const child = spawn(backend, [], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        REQUEST_METHOD: request.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        ...(request.headers['git-protocol']
          ? { GIT_PROTOCOL: String(request.headers['git-protocol']) }
          : {}),
        ...(request.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: String(request.headers['content-encoding']) }
          : {}),
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    request.pipe(child.stdin);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('close', () => {
      const out = Buffer.concat(chunks);
      const end = out.indexOf('\r\n\r\n');
      const head = out.subarray(0, end).toString('utf8');
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else if (name) headers[name] = value;
      }
      response.writeHead(status, headers);
      response.end(out.subarray(end + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
