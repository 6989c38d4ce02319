/**
 * Chart sources for tests, all real: charts packaged by the test environment's helm, an HTTP
 * chart repository (`index.yaml` made by `helm repo index`) served on a loopback port, and a
 * distribution registry (`registry serve`) on a loopback port with filesystem storage under a
 * temporary directory, charts pushed to it by `helm push`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { binary } from './paths.ts';
import { freePort, startComponent, waitUntilReady } from './processes.ts';

/** Runs the test environment's helm with a throwaway home; throws with its output on failure. */
export function helmCli(args: string[], home: string): string {
  const run = spawnSync(binary('helm'), args, {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
  if (run.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${run.stderr}`);
  return run.stdout;
}

/** Writes a chart's files (chart-relative path -> text) and packages it; returns the archive. */
export function packageChart(
  files: Record<string, string>,
  work: string,
): { path: string; bytes: Buffer } {
  const src = mkdtempSync(join(work, 'chart-src-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, 'chart', path)), { recursive: true });
    writeFileSync(join(src, 'chart', path), text);
  }
  const out = join(src, 'out');
  mkdirSync(out);
  helmCli(['package', join(src, 'chart'), '-d', out], work);
  const name = spawnSync('ls', [out], { encoding: 'utf8' }).stdout.trim();
  return { path: join(out, name), bytes: readFileSync(join(out, name)) };
}

/** A chart repository over HTTP on loopback. */
export interface ChartRepository {
  /** `http://127.0.0.1:<port>/charts` */
  url: string;
  /** Packages a chart into the repository and re-indexes it; returns the archive's digest. */
  publish(files: Record<string, string>): string;
  /** Paths requested so far. */
  requests: string[];
  /** Answer every request with this status instead (0: serve normally). */
  refuseWith: number;
  stop(): Promise<void>;
}

/** Starts an HTTP chart repository on a free loopback port. */
export async function startChartRepository(): Promise<ChartRepository> {
  const work = mkdtempSync(join(tmpdir(), 'plumbline-chart-repo-'));
  const dir = join(work, 'charts');
  mkdirSync(dir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/charts`;
  const repo: ChartRepository = {
    url,
    requests: [],
    refuseWith: 0,
    publish(files) {
      const { path, bytes } = packageChart(files, work);
      const target = join(dir, path.slice(path.lastIndexOf('/') + 1));
      writeFileSync(target, bytes);
      helmCli(['repo', 'index', dir, '--url', url], work);
      return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      rmSync(work, { recursive: true, force: true });
    },
  };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', url).pathname;
    repo.requests.push(path);
    if (repo.refuseWith) {
      response.writeHead(repo.refuseWith).end('refused');
      return;
    }
    const file = path.startsWith('/charts/') ? join(dir, path.slice('/charts/'.length)) : '';
    try {
      const body = readFileSync(file);
      response.writeHead(200, { 'content-length': body.byteLength }).end(body);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return repo;
}

/** A distribution registry on loopback. */
export interface Registry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** Pushes a packaged chart to `oci://<host>/<path>`. */
  push(archive: string, path: string): void;
  stop(): Promise<void>;
}

/** Starts `registry serve` with filesystem storage under a temporary directory. */
export async function startRegistry(): Promise<Registry> {
  const work = mkdtempSync(join(tmpdir(), 'plumbline-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(work, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(work, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const component = startComponent(
    'registry',
    binary('registry'),
    ['serve', config],
    join(work, 'registry.log'),
    { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, OTEL_TRACES_EXPORTER: 'none' },
  );
  await waitUntilReady(component, async () => (await fetch(`http://${host}/v2/`)).status === 200, {
    port,
  });
  return {
    host,
    push(archive, path) {
      helmCli(['push', archive, `oci://${host}/${path}`, '--plain-http'], work);
    },
    async stop() {
      await component.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
