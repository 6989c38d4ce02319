/**
 * The embedded default end to end: the real CLI (`plumbline serve`, what `npm start` runs)
 * with nothing configured, on a temporary data directory, a real Git repository and the real
 * file system: the first commit is deployed, a hand edit is reported as drift and healed,
 * `git revert` rolls back (all of it in the history on the status page), and the server keeps
 * serving when the demo cannot be created.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url).pathname;
let dir: string;
let server: ChildProcess | undefined;
let output = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plumbline-first-run-'));
  output = '';
});
afterEach(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => server?.once('exit', resolve));
  }
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `plumbline serve` as `npm start` does, with nothing configured but the data dir. */
function start(args: string[] = [], env: Record<string, string> = {}): void {
  server = spawn(
    process.execPath,
    [join(ROOT, 'functions/cli.ts'), 'serve', '--port', '0', ...args],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        PLUMBLINE_DATA_DIR: join(dir, 'data'),
        PLUMBLINE_CACHE_DIR: join(dir, 'cache'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  server.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  server.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
}

/** Waits until `check` holds (polling), failing with the server's output when it never does. */
async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}; server output:\n${output}`);
}

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

describe('npm start with nothing configured', () => {
  it('deploys the demo, heals a hand edit, and rolls back a revert', async () => {
    start();
    const demo = join(dir, 'data', 'demo');
    const page = join(dir, 'data', 'live', 'site', 'html', 'index.html');
    await until('the URL', () => /Plumbline is running: (http:\/\/127\.0\.0\.1:\d+)/.test(output));
    const url = /Plumbline is running: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] as string;
    expect(output).toContain(`echo hacked >> ${page}`);
    expect(output).toContain(`git -C ${demo} revert --no-edit HEAD`);
    expect(output).toContain(`Open ${url} to see each deploy, drift healed and rollback`);
    // One URL, and the server behind it answers.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    await until('the first deploy', () => /reconciled repo=local\/demo/.test(output));
    expect(read(page)).toContain('second commit');
    expect(readFileSync(join(dir, 'data', 'live', 'site', 'nginx.conf'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'examples', 'nginx', 'nginx.conf'), 'utf8'),
    );
    expect(output).toMatch(/reconciled repo=local\/demo app=site sha=[0-9a-f]{7} .*4 created/);

    appendFileSync(page, '<p>hacked by hand</p>\n');
    await until('the drift healed', () => output.includes('sweep: drift found'));
    expect(read(page)).not.toContain('hacked by hand');
    expect(output).toMatch(
      new RegExp(
        `sweep: drift found repo=local/demo app=site .*healed=true changes=\\[${page} update\\]`,
      ),
    );

    execFileSync('git', ['-C', demo, 'revert', '--no-edit', 'HEAD'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'ada@example.com',
        GIT_COMMITTER_NAME: 'Ada',
        GIT_COMMITTER_EMAIL: 'ada@example.com',
      },
    });
    await until('the rollback', () => output.includes('1 configured'));
    expect(read(page)).toContain('first commit');
    expect(output).toMatch(/reconciled repo=local\/demo app=site .*1 configured/);
    // Nothing went to GitHub: the demo is a Git source, reported in the log.
    expect(output).not.toMatch(/api\.github\.com|drift issue failed|commit status failed/);

    // The whole loop is on the status page: the deploy, the drift healed, the revert rolled
    // back, each with its trigger, and the commits' authors and titles from git log.
    const revert = execFileSync('git', ['-C', demo, 'rev-parse', 'HEAD']).toString().trim();
    const api = (path: string) => fetch(`${url}${path}`).then((r) => r.json());
    type Run = {
      kind: string;
      trigger: string;
      outcome: string;
      commit?: { sha: string; author?: string; title?: string };
      drift?: { subject: string }[];
    };
    let done: Run[] = [];
    // The run is recorded as its job ends, just after the log line that says it.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { runs } = (await api('/api/v1/runs?repo=local%2Fdemo&app=site&limit=100')) as {
        runs: Run[];
      };
      done = runs.filter((r) => r.outcome !== 'skipped' && r.outcome !== 'in-sync');
      if (done[0]?.commit?.sha === revert) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(done.map((r) => [r.kind, r.trigger, r.outcome])).toEqual([
      ['deploy', 'poll', 'applied'],
      ['heal', 'sweep', 'healed'],
      ['deploy', 'poll', 'applied'],
    ]);
    const [rollback, heal, first] = done;
    expect(rollback?.commit).toEqual({
      sha: revert,
      author: 'Ada',
      title: 'Revert "Say which commit the page comes from"',
    });
    expect(first?.commit).toMatchObject({
      author: 'Plumbline demo',
      title: 'Say which commit the page comes from',
    });
    expect(heal?.drift?.[0]?.subject).toContain('index.html');
    const overview = (await api('/api/v1/overview')) as {
      apps: { repo: string; app: string; applied?: { sha: string }; sync: string }[];
    };
    expect(overview.apps).toEqual([
      expect.objectContaining({
        repo: 'local/demo',
        app: 'site',
        applied: { sha: revert, author: 'Ada', title: expect.stringMatching(/^Revert/) },
        sync: 'synced',
      }),
    ]);
    // The page a person opens shows the same.
    const html = await (await fetch(`${url}/apps/local%2Fdemo/site`)).text();
    expect(html).toContain('Revert &quot;Say which commit the page comes from&quot;');
    expect(html).toContain('Ada');

    server?.kill('SIGTERM');
    const code = await new Promise((resolve) => server?.once('exit', resolve));
    expect(code).toBe(0);
  });

  it('picks the demo up again on a second start, deploying nothing that is already there', async () => {
    start();
    const page = join(dir, 'data', 'live', 'site', 'html', 'index.html');
    await until('the first deploy', () => read(page).includes('second commit'));
    server?.kill('SIGTERM');
    await new Promise((resolve) => server?.once('exit', resolve));
    output = '';
    start();
    await until('the poll', () => output.includes('poll: new commits'));
    await until('the sweep', () => output.includes('sweep: in sync'));
    expect(output).not.toMatch(/reconciled/);
    expect(output).not.toMatch(/cannot be set up/);
  });

  it('says a demo directory that cannot be created cannot be, and keeps serving', async () => {
    const blocked = join(dir, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'notes.txt'), 'mine\n');
    start(['--demo-dir', blocked]);
    await until('the URL', () => output.includes('Plumbline is running:'));
    expect(output).toContain(
      `the demo repository ${blocked} cannot be set up: it exists and is not a Git repository; remove it, or name another with --demo-dir`,
    );
    const url = /Plumbline is running: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] as string;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(readFileSync(join(blocked, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('watches a repository named with --repo, and says clearly when it is not a Git repository', async () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    start(['--repo', plain]);
    await until('the poll error', () => output.includes('is not a Git repository'));
    expect(output).toContain(`ERROR poll: local/plain (${plain}): is not a Git repository`);
    const url = /Plumbline is running: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] as string;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // Once it is one, with an app for this machine, the next poll deploys it.
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', plain]);
    mkdirSync(join(plain, 'conf'));
    writeFileSync(join(plain, 'conf', 'app.conf'), 'port = 80\n');
    writeFileSync(
      join(plain, 'plumbline.yaml'),
      `apps:\n  - name: conf\n    kind: files\n    path: conf\n    target: this-machine\n    destination: ${join(dir, 'data', 'live', 'conf')}\n`,
    );
    execFileSync('git', ['-C', plain, 'add', '--all']);
    execFileSync('git', [
      '-C',
      plain,
      '-c',
      'user.name=A',
      '-c',
      'user.email=a@x',
      'commit',
      '-qm',
      'conf',
    ]);
    await until(
      'the deploy',
      () => read(join(dir, 'data', 'live', 'conf', 'app.conf')) === 'port = 80\n',
    );
  });
});
