/**
 * A Git source read with the `git` command: a local path or any Git remote over HTTPS or SSH,
 * for servers without webhooks or behind a firewall. A poll is one `git ls-remote` (every
 * branch head in one round trip, no clone or fetch); only when a commit Plumbline has not seen
 * is asked for does it fetch, into its own bare cache repository (never the operator's work
 * tree, whose hooks and configuration take no part). Trees are read from the cache with
 * `ls-tree` and `cat-file` (not `git archive`, which would let the repository's
 * `.gitattributes` drop or rewrite files), and pass the same root and symlink checks as a
 * GitHub archive (`lib/github/archive-tree.ts`).
 *
 * Why the `git` command and not isomorphic-git on Node: it speaks SSH (isomorphic-git does
 * not), uses the operator's SSH keys and agent as they are, fetches incrementally into a cache
 * that survives restarts, and keeps packfiles out of the JavaScript heap.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGitRemote } from '../../lib/config/git-remote.ts';
import { SourceError } from '../../lib/errors.ts';
import { treeFromArchive } from '../../lib/github/archive-tree.ts';
import { LruCache } from '../../lib/github/lru-cache.ts';
import type { TarEntry } from '../../lib/github/tar-archive.ts';
import type {
  ChangedFile,
  ChangeStatus,
  CommitInfo,
  Comparison,
  GitSourceSetting,
  PolledGitSource,
  RemoteHeads,
  RepoRef,
} from '../../lib/ports/git-source.ts';
import { type FileTree, normalizePath } from '../../lib/source/file-tree.ts';
import { type GitResult, type GitRunOptions, runGit } from './git-cli.ts';

/** How a `GitCliSource` is built. */
export interface GitCliSourceOptions {
  /** The repository's name (`owner/name` of the settings), for messages. */
  name: string;
  source: GitSourceSetting;
  /** Directory holding the bare cache repositories (one per URL). */
  cacheDir: string;
  /** The HTTP password of `source.httpAuth`, read from the runtime secrets. */
  httpPassword?: string;
  /** The private key of `source.ssh`, read from the runtime secrets. */
  sshPrivateKey?: string;
  /** Deadline of commands that reach the remote (default 60 s). */
  networkTimeoutMs?: number;
  /** Bound on the bytes of one tree (default 256 MiB). */
  maxTreeBytes?: number;
}

const FULL_SHA = /^[0-9a-f]{40}$/;
/** How many lines of git's stderr a message quotes, and how long each may be. */
const STDERR_LINES = 2;
const STDERR_LINE_CHARS = 300;

/** A repository read with the `git` command. */
export class GitCliSource implements PolledGitSource {
  readonly location: string;
  readonly #name: string;
  readonly #url: string;
  readonly #kind: ReturnType<typeof parseGitRemote>['kind'];
  readonly #cache: string;
  readonly #config: Record<string, string>;
  readonly #networkTimeoutMs: number;
  readonly #maxTreeBytes: number;
  readonly #trees = new LruCache<string, Promise<FileTree>>(8);
  readonly #ssh: { key: string; knownHosts: string; dir: string } | undefined;
  #ready: Promise<void> | undefined;
  /** Fetches into the cache run one at a time (git locks its refs). */
  #fetching: Promise<unknown> = Promise.resolve();
  #heads: Promise<RemoteHeads> | undefined;

  constructor(options: GitCliSourceOptions) {
    const remote = parseGitRemote(options.source.url);
    this.#name = options.name;
    this.#url = remote.url;
    this.#kind = remote.kind;
    this.location = remote.url;
    this.#cache = join(
      options.cacheDir,
      `${createHash('sha256').update(remote.url).digest('hex').slice(0, 24)}.git`,
    );
    this.#networkTimeoutMs = options.networkTimeoutMs ?? 60_000;
    this.#maxTreeBytes = options.maxTreeBytes ?? 256 * 1024 * 1024;
    this.#config = {};
    if (remote.kind === 'http') this.#config['protocol.http.allow'] = 'always';
    const ssh = options.source.ssh;
    if (ssh && options.sshPrivateKey !== undefined && remote.kind === 'ssh' && remote.host) {
      const port = remote.url.includes('://') ? new URL(remote.url).port || '22' : '22';
      const pattern = port === '22' ? remote.host : `[${remote.host}]:${port}`;
      this.#ssh = {
        key: options.sshPrivateKey,
        knownHosts: ssh.hostKeys
          .map((line) => `${pattern} ${line.split(' ').slice(0, 2).join(' ')}\n`)
          .join(''),
        dir: `${this.#cache.replace(/\.git$/, '')}.ssh`,
      };
    }
    const auth = options.source.httpAuth;
    if (auth && options.httpPassword !== undefined) {
      // Scoped to this URL: a redirect elsewhere does not carry it.
      const basic = Buffer.from(`${auth.username}:${options.httpPassword}`).toString('base64');
      this.#config[`http.${remote.url}.extraHeader`] = `Authorization: Basic ${basic}`;
    }
  }

  /** The SSH command of a remote with its own key and pinned host keys (files written once). */
  #sshCommand(): string | undefined {
    const ssh = this.#ssh;
    if (!ssh) return undefined;
    mkdirSync(ssh.dir, { recursive: true, mode: 0o700 });
    const key = join(ssh.dir, 'key');
    const knownHosts = join(ssh.dir, 'known_hosts');
    writeFileSync(key, ssh.key.endsWith('\n') ? ssh.key : `${ssh.key}\n`, { mode: 0o600 });
    writeFileSync(knownHosts, ssh.knownHosts, { mode: 0o600 });
    // No ssh_config, no default keys, no agent: this key, and only the pinned host keys.
    return [
      'ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=20 -o IdentitiesOnly=yes',
      `-o IdentityAgent=none -o IdentityFile=${key} -o UserKnownHostsFile=${knownHosts}`,
      '-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes',
    ].join(' ');
  }

  /** `<name> (<location>)`, how messages name this repository. */
  get #what(): string {
    return `${this.#name} (${this.location})`;
  }

  async heads(): Promise<RemoteHeads> {
    // Concurrent callers share one ls-remote; the next call asks again (level-triggered).
    this.#heads ??= this.#listHeads().finally(() => {
      this.#heads = undefined;
    });
    return this.#heads;
  }

  async #listHeads(): Promise<RemoteHeads> {
    await this.#ensureCache();
    if (this.#kind === 'local') this.#checkLocalPath();
    const result = await this.#git(['ls-remote', '--symref', this.#url, 'HEAD', 'refs/heads/*'], {
      timeoutMs: this.#networkTimeoutMs,
    });
    if (result.code !== 0) throw this.#remoteError('cannot list its branches', result);
    const branches = new Map<string, string>();
    let defaultBranch: string | undefined;
    for (const line of result.stdout.toString('utf8').split('\n')) {
      const symref = /^ref: refs\/heads\/(.+)\tHEAD$/.exec(line);
      if (symref) {
        defaultBranch = symref[1];
        continue;
      }
      const ref = /^([0-9a-f]{40})\trefs\/heads\/(.+)$/.exec(line);
      if (ref) branches.set(ref[2] as string, ref[1] as string);
    }
    return { ...(defaultBranch ? { defaultBranch } : {}), branches };
  }

  async defaultBranch(_repo: RepoRef): Promise<string> {
    const heads = await this.heads();
    if (heads.defaultBranch === undefined || !heads.branches.has(heads.defaultBranch)) {
      throw new SourceError(`${this.#what}: HEAD does not name a branch`, {
        hint: 'Name the branch whose plumbline.yaml is trusted in the settings (repositories[].trustedBranch).',
      });
    }
    return heads.defaultBranch;
  }

  async branchHead(_repo: RepoRef, branch: string): Promise<string> {
    const sha = (await this.heads()).branches.get(branch);
    if (sha === undefined) {
      throw new SourceError(`${this.#what}: branch '${branch}' does not exist`, {
        hint: 'Push the branch, or change the branch the app tracks (apps[].branch).',
      });
    }
    return sha;
  }

  async commitInfo(_repo: RepoRef, sha: string): Promise<CommitInfo> {
    await this.#ensureCommit(sha);
    const result = await this.#git(['log', '-1', '--no-show-signature', '--format=%an%x00%s', sha]);
    if (result.code !== 0) throw this.#localError(`cannot read commit ${sha.slice(0, 7)}`, result);
    const [author, title] = result.stdout.toString('utf8').replace(/\n$/, '').split('\0');
    return {
      sha,
      ...(author ? { author } : {}),
      ...(title ? { title } : {}),
    };
  }

  treeAt(_repo: RepoRef, sha: string): Promise<FileTree> {
    if (!FULL_SHA.test(sha)) {
      return Promise.reject(new SourceError(`${this.#what}: '${sha}' is not a full commit sha`));
    }
    const cached = this.#trees.get(sha);
    if (cached) return cached;
    const loading = this.#readTree(sha);
    this.#trees.set(sha, loading);
    loading.catch(() => this.#trees.delete(sha));
    return loading;
  }

  async readFile(repo: RepoRef, sha: string, path: string): Promise<Uint8Array | undefined> {
    if (!FULL_SHA.test(sha)) {
      throw new SourceError(`${this.#what}: '${sha}' is not a full commit sha`);
    }
    const file = normalizePath(path);
    const cached = this.#trees.get(sha);
    if (!cached) {
      await this.#ensureCommit(sha);
      const listed = await this.#git(['ls-tree', '-z', sha, '--', file]);
      if (listed.code !== 0) throw this.#localError(`cannot list ${file}`, listed);
      const entry = /^(\d+) (\w+) ([0-9a-f]{40})\t/.exec(listed.stdout.toString('utf8'));
      // A plain file is read alone; anything else (a link, a path under a link) goes through
      // the tree, which resolves links inside the root and refuses the others.
      if (entry && (entry[1] === '100644' || entry[1] === '100755')) {
        const [content] = await this.#readBlobs([entry[3] as string]);
        return content;
      }
      if (!entry && !file.includes('/')) return undefined;
    }
    const tree = await this.treeAt(repo, sha);
    return (await tree.stat(file))?.kind === 'file' ? tree.read(file) : undefined;
  }

  async compare(_repo: RepoRef, base: string, head: string): Promise<Comparison> {
    const incomplete = { base, head, files: [], truncated: true };
    if (!FULL_SHA.test(base) || !FULL_SHA.test(head)) return incomplete;
    await this.#ensureCommit(head);
    // A base that is gone (history rewritten) or not an ancestor of the head cannot say what
    // changed: every app is then affected, as for a force push to GitHub.
    if (!(await this.#hasCommit(base)) && !(await this.#fetchHas(base))) return incomplete;
    const ancestor = await this.#git(['merge-base', '--is-ancestor', base, head]);
    if (ancestor.code !== 0) return incomplete;
    const diff = await this.#git([
      'diff',
      '--no-ext-diff',
      '--no-textconv',
      '--name-status',
      '-z',
      '-M',
      base,
      head,
    ]);
    if (diff.code !== 0) throw this.#localError(`cannot compare ${base}...${head}`, diff);
    return { base, head, files: parseNameStatus(diff.stdout.toString('utf8')), truncated: false };
  }

  async #readTree(sha: string): Promise<FileTree> {
    await this.#ensureCommit(sha);
    const listed = await this.#git(['ls-tree', '-r', '-z', '--full-tree', sha]);
    if (listed.code !== 0) throw this.#localError(`cannot list commit ${sha.slice(0, 7)}`, listed);
    const entries: { mode: string; oid: string; path: string }[] = [];
    for (const record of listed.stdout.toString('utf8').split('\0')) {
      const match = /^(\d+) (\w+) ([0-9a-f]{40})\t([\s\S]+)$/.exec(record);
      if (!match) continue;
      const [, mode, type, oid, path] = match as unknown as [
        string,
        string,
        string,
        string,
        string,
      ];
      // Submodules (commits) are not part of this repository's content.
      if (type !== 'blob') continue;
      entries.push({ mode, oid, path });
    }
    const contents = await this.#readBlobs(entries.map((e) => e.oid));
    const tar: TarEntry[] = entries.map((entry, i) => {
      const content = contents[i] as Uint8Array;
      return entry.mode === '120000'
        ? {
            path: entry.path,
            type: 'symlink',
            content: new Uint8Array(),
            linkTarget: Buffer.from(content).toString('utf8'),
          }
        : { path: entry.path, type: 'file', content, linkTarget: '' };
    });
    const what = `${this.#name}@${sha.slice(0, 7)}`;
    return treeFromArchive(tar, { revision: sha, stripComponents: 0, what });
  }

  /** The contents of blobs, in order, from one `git cat-file --batch`. */
  async #readBlobs(oids: readonly string[]): Promise<Uint8Array[]> {
    if (oids.length === 0) return [];
    const result = await this.#git(['cat-file', '--batch'], {
      input: `${oids.join('\n')}\n`,
      maxOutputBytes: this.#maxTreeBytes + oids.length * 64,
    });
    if (result.code !== 0) throw this.#localError('cannot read file contents', result);
    const out = result.stdout;
    const blobs: Uint8Array[] = [];
    let at = 0;
    for (const oid of oids) {
      const newline = out.indexOf(10, at);
      const header = out.subarray(at, newline).toString('utf8');
      const match = /^([0-9a-f]{40}) (\w+) (\d+)$/.exec(header);
      if (newline < 0 || !match || match[1] !== oid) {
        throw new SourceError(`${this.#what}: object ${oid.slice(0, 7)} is missing from the cache`);
      }
      const size = Number(match[3]);
      blobs.push(new Uint8Array(out.subarray(newline + 1, newline + 1 + size)));
      at = newline + 1 + size + 1;
    }
    return blobs;
  }

  /** Makes sure `sha` is in the cache, fetching every branch when it is not. */
  async #ensureCommit(sha: string): Promise<void> {
    if (await this.#hasCommit(sha)) return;
    if (await this.#fetchHas(sha)) return;
    throw new SourceError(
      `${this.#what}: commit ${sha.slice(0, 7)} is not on any of its branches`,
      {
        hint: 'The branch may have been rewritten since; the next poll reads its new head.',
      },
    );
  }

  /** Fetches every branch, then says whether `sha` arrived. */
  async #fetchHas(sha: string): Promise<boolean> {
    const run = this.#fetching.then(async () => {
      if (await this.#hasCommit(sha)) return;
      if (this.#kind === 'local') this.#checkLocalPath();
      const result = await this.#git(
        ['fetch', '--quiet', '--no-tags', '--prune', this.#url, '+refs/heads/*:refs/heads/*'],
        { timeoutMs: this.#networkTimeoutMs * 5 },
      );
      if (result.code !== 0) throw this.#remoteError('cannot fetch its branches', result);
    });
    this.#fetching = run.catch(() => undefined);
    await run;
    return this.#hasCommit(sha);
  }

  async #hasCommit(sha: string): Promise<boolean> {
    await this.#ensureCache();
    const result = await this.#git(['cat-file', '-e', `${sha}^{commit}`]);
    return result.code === 0;
  }

  /** Creates the bare cache repository once. */
  #ensureCache(): Promise<void> {
    this.#ready ??= (async () => {
      try {
        mkdirSync(this.#cache, { recursive: true, mode: 0o700 });
      } catch (error) {
        throw new SourceError(
          `${this.#what}: cannot create the cache directory ${this.#cache}: ${(error as Error).message}`,
          { hint: 'Make the cache directory writable (PLUMBLINE_CACHE_DIR).', cause: error },
        );
      }
      const result = await runGit(['init', '--bare', '--quiet', this.#cache], {
        cwd: this.#cache,
        config: this.#config,
      });
      if (result.code !== 0) throw this.#localError('cannot create its cache repository', result);
    })();
    this.#ready.catch(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }

  /** A local path that is missing or not a directory, said plainly before git says it. */
  #checkLocalPath(): void {
    let isDirectory = false;
    try {
      isDirectory = statSync(this.#url).isDirectory();
    } catch {
      throw new SourceError(`${this.#what}: no such directory`, {
        hint: 'Create the repository (git init), or correct repositories[].url.',
      });
    }
    if (!isDirectory) {
      throw new SourceError(`${this.#what}: is not a directory`, {
        hint: 'Name the directory of a Git repository in repositories[].url.',
      });
    }
  }

  #git(args: readonly string[], options: Partial<GitRunOptions> = {}): Promise<GitResult> {
    this.#sshCommandLine ??= this.#sshCommand() ?? '';
    return runGit(args, {
      cwd: this.#cache,
      timeoutMs: 30_000,
      ...options,
      config: this.#config,
      ...(this.#sshCommandLine ? { sshCommand: this.#sshCommandLine } : {}),
    });
  }

  #sshCommandLine: string | undefined;

  /** A failure talking to the remote, with what git said. */
  #remoteError(what: string, result: GitResult): SourceError {
    const said = stderrLines(result.stderr);
    if (result.timedOut) {
      return new SourceError(`${this.#what}: ${what}: no answer within the deadline`, {
        hint: 'Check that the remote is reachable from this machine (network, firewall, proxy).',
      });
    }
    if (
      /host identification has changed|host key verification failed|no .*host key is known/i.test(
        result.stderr,
      )
    ) {
      return new SourceError(`${this.#what}: ${what}: the server's host key is not a pinned one`, {
        hint: this.#ssh
          ? 'A changed host key is refused. If the server really has a new key, pin it in repositories[].ssh.hostKeys (ssh-keyscan -t ed25519 HOST, checked out of band).'
          : 'A host key not in the known_hosts of the user Plumbline runs as is refused (no trust on first use): add it there, or pin it in repositories[].ssh.hostKeys.',
      });
    }
    if (
      /not a git repository|does not appear to be a git repository|repository .* not found/i.test(
        said,
      )
    ) {
      return new SourceError(`${this.#what}: is not a Git repository`, {
        hint:
          this.#kind === 'local'
            ? 'Name a directory created with git init (or git clone) in repositories[].url.'
            : 'Check the URL in repositories[].url.',
      });
    }
    if (
      /could not resolve|connection refused|timed out|network is unreachable|no route to host|failed to connect|couldn't connect/i.test(
        said,
      )
    ) {
      return new SourceError(`${this.#what}: ${what}: cannot be reached: ${said}`, {
        hint: 'Check that the remote is reachable from this machine (network, firewall, proxy).',
      });
    }
    if (
      /authentication failed|permission denied|host key verification failed|could not read username|403|401/i.test(
        said,
      )
    ) {
      return new SourceError(`${this.#what}: ${what}: access refused: ${said}`, {
        hint:
          this.#kind === 'ssh'
            ? "Give the SSH key of the user Plumbline runs as access to the repository, and its host key to that user's known_hosts."
            : 'Give repositories[].httpAuth a user name and a runtime secret holding a token that may read the repository.',
      });
    }
    return new SourceError(`${this.#what}: ${what}: ${said || `git exited with ${result.code}`}`);
  }

  /** A failure in the cache repository. */
  #localError(what: string, result: GitResult): SourceError {
    return new SourceError(
      `${this.#what}: ${what}: ${stderrLines(result.stderr) || `git exited with ${result.code}`}`,
    );
  }
}

/** The first lines of git's stderr, without its `fatal:`/`error:` prefixes, clipped. */
function stderrLines(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^(fatal|error|remote): /, '').trim())
    .filter((line) => line !== '' && !/^@+$/.test(line))
    .slice(0, STDERR_LINES)
    .map((line) =>
      line.length > STDERR_LINE_CHARS ? `${line.slice(0, STDERR_LINE_CHARS)}...` : line,
    )
    .join('; ');
}

const STATUS: Record<string, ChangeStatus> = {
  A: 'added',
  D: 'removed',
  M: 'modified',
  R: 'renamed',
  C: 'copied',
  T: 'changed',
};

/** Parses `git diff --name-status -z` output. */
export function parseNameStatus(text: string): ChangedFile[] {
  const fields = text.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length; ) {
    const code = fields[i] ?? '';
    if (code === '') {
      i += 1;
      continue;
    }
    const status = STATUS[code[0] as string] ?? 'changed';
    if (code[0] === 'R' || code[0] === 'C') {
      files.push({ path: fields[i + 2] as string, status, previousPath: fields[i + 1] as string });
      i += 3;
    } else {
      files.push({ path: fields[i + 1] as string, status });
      i += 2;
    }
  }
  return files;
}
