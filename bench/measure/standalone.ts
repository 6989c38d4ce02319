/**
 * A benchmark that is also a command of its own (`npm run bench:helm`, `npm run bench:hosts`),
 * run by `npm run bench` as a child process that writes its figures as JSON (BENCH_JSON), so
 * its rows join the one table without two copies of the measurement.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `bench/<script>` with `env`, its report going to the log, and returns its JSON. */
export async function runStandalone<T>(
  script: string,
  dir: string,
  env: Record<string, string>,
  log: (message: string) => void,
): Promise<T> {
  const json = join(dir, `${script.replace(/\W/g, '-')}.json`);
  const child = spawn(process.execPath, [join(repository, 'bench', script)], {
    cwd: repository,
    env: { ...process.env, ...env, BENCH_JSON: json },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  for (const line of output.trimEnd().split('\n')) log(`  ${script}: ${line}`);
  if (status !== 0) throw new Error(`bench/${script} exited ${status}`);
  return JSON.parse(readFileSync(json, 'utf8')) as T;
}
