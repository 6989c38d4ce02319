/**
 * Runs the GitHub Action as the runner does: the built `dist/action/index.js` in a process of
 * its own on Node 24, with the Actions environment (`GITHUB_EVENT_PATH` holding the event,
 * `GITHUB_REPOSITORY`, `GITHUB_API_URL`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`) and the
 * inputs as `INPUT_*` variables.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../scripts/build.ts';

/** What one run of the Action did. */
export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Step outputs written to `$GITHUB_OUTPUT`. */
  outputs: Record<string, string>;
  /** What was appended to `$GITHUB_STEP_SUMMARY`. */
  summary: string;
}

/** How to run it. */
export interface ActionRunOptions {
  /** `GITHUB_EVENT_NAME`. */
  event: string;
  /** The event payload (`GITHUB_EVENT_PATH`'s content). */
  payload: string | object;
  repository: string;
  apiUrl: string;
  /** `with:` inputs by name (`github-token`, `command`, ...). */
  inputs: Record<string, string>;
  /** More environment (`PLUMBLINE_SECRET_*`, `KUBECONFIG`, ...). */
  env?: Record<string, string>;
}

/** The Action built into a temporary directory, and a way to run it. */
export interface BuiltAction {
  entry: string;
  run(options: ActionRunOptions): Promise<ActionRun>;
  remove(): void;
}

/** Reads `name<<DELIMITER\nvalue\nDELIMITER` entries as the runner does. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match) continue;
    const [, name, delimiter] = match as unknown as [string, string, string];
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
    outputs[name] = value.join('\n');
  }
  return outputs;
}

/** Builds the Action (as `npm run build` does) and returns a runner for it. */
export async function buildAction(): Promise<BuiltAction> {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-action-'));
  await build(join(dir, 'dist'));
  const entry = join(dir, 'dist', 'action', 'index.js');
  // The built files are ES modules, as the repository's package.json says of dist/.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  let runs = 0;
  return {
    entry,
    remove: () => rmSync(dir, { recursive: true, force: true }),
    async run(options) {
      runs += 1;
      const scratch = mkdtempSync(join(dir, `run-${runs}-`));
      const eventPath = join(scratch, 'event.json');
      const outputPath = join(scratch, 'output');
      const summaryPath = join(scratch, 'summary.md');
      writeFileSync(
        eventPath,
        typeof options.payload === 'string' ? options.payload : JSON.stringify(options.payload),
      );
      writeFileSync(outputPath, '');
      writeFileSync(summaryPath, '');
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: scratch,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: options.event,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_REPOSITORY: options.repository,
        GITHUB_API_URL: options.apiUrl,
        GITHUB_RUN_ID: String(1000 + runs),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_OUTPUT: outputPath,
        GITHUB_STEP_SUMMARY: summaryPath,
        ...options.env,
      };
      for (const [name, value] of Object.entries(options.inputs)) {
        env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
      }
      const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += String(chunk);
      });
      child.stderr.on('data', (chunk) => {
        stderr += String(chunk);
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      return {
        code,
        stdout,
        stderr,
        outputs: parseOutputs(readFileSync(outputPath, 'utf8')),
        summary: readFileSync(summaryPath, 'utf8'),
      };
    },
  };
}
