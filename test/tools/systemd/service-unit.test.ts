/**
 * `infra/systemd/plumbline.service` as systemd reads it: `systemd-analyze verify` (the test
 * environment installs Debian's systemd for it), its sandbox scored by `systemd-analyze
 * security`, and its ExecStart run with the environment the unit gives it and the example
 * settings file, to show what a service started without settings says.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const unitPath = join(root, 'infra/systemd/plumbline.service');
const unit = readFileSync(unitPath, 'utf8');
let work: string;
let systemdAnalyze: string;

/** Every `Key=value` of the unit, in order (comments and sections left out). */
function directives(): [string, string][] {
  return unit
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}

function values(key: string): string[] {
  return directives()
    .filter(([k]) => k === key)
    .map(([, v]) => v);
}

beforeAll(() => {
  const found = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(
      "systemd-analyze is not installed: run 'bash test/env/install.sh systemd' (Debian's systemd package)",
    );
  }
  systemdAnalyze = found.stdout.trim();
  work = mkdtempSync(join(tmpdir(), 'plumbline-systemd-'));
  // The plumbline the unit starts: this checkout's CLI on the project's Node.
  const bin = join(work, 'plumbline');
  writeFileSync(
    bin,
    `#!/bin/sh\nexec '${process.execPath}' '${join(root, 'functions/cli.ts')}' "$@"\n`,
  );
  chmodSync(bin, 0o755);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The unit with ExecStart's binary at `bin` (verify checks that it exists and runs). */
function unitWith(bin: string): string {
  const path = join(work, 'plumbline.service');
  writeFileSync(path, unit.replace('ExecStart=/usr/local/bin/plumbline', `ExecStart=${bin}`));
  return path;
}

describe('the systemd unit', () => {
  it('passes systemd-analyze verify', () => {
    const result = spawnSync(systemdAnalyze, ['verify', unitWith(join(work, 'plumbline'))], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // And verify does fail a broken unit: the check can fail.
    const broken = spawnSync(systemdAnalyze, ['verify', unitWith(join(work, 'missing'))], {
      encoding: 'utf8',
    });
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain('is not executable');
  });

  it('runs a dedicated user in a tight sandbox', () => {
    expect(values('User')).toEqual(['plumbline']);
    expect(values('NoNewPrivileges')).toEqual(['yes']);
    expect(values('ProtectSystem')).toEqual(['strict']);
    expect(values('ProtectHome')).toEqual(['yes']);
    expect(values('PrivateTmp')).toEqual(['yes']);
    expect(values('CapabilityBoundingSet')).toEqual(['']);
    expect(values('RestrictAddressFamilies')).toEqual(['AF_INET AF_INET6 AF_UNIX']);
    expect(values('SystemCallFilter')).toContain('@system-service');
    const security = spawnSync(
      systemdAnalyze,
      ['security', '--offline=true', unitWith(join(work, 'plumbline'))],
      { encoding: 'utf8' },
    );
    const score = /Overall exposure level for plumbline\.service: ([\d.]+)/.exec(
      security.stdout + security.stderr,
    );
    expect(score, security.stdout + security.stderr).not.toBeNull();
    expect(Number(score?.[1])).toBeLessThanOrEqual(2);
  });

  it('reads its settings from a root-only environment file that it names to plumbline', () => {
    const [envFile] = values('EnvironmentFile');
    expect(envFile).toBe('/etc/plumbline/plumbline.env');
    expect(values('Environment')).toContain(`PLUMBLINE_ENV_FILE=${envFile}`);
    expect(values('RestartPreventExitStatus')).toEqual(['78']);
    const sysusers = readFileSync(join(root, 'infra/systemd/plumbline.sysusers'), 'utf8');
    expect(sysusers).toMatch(/^u plumbline /m);
  });

  it('started without settings, says which file it read and what is missing, and exits 78', () => {
    // What systemd would give the process: the unit's Environment= lines, then the example
    // settings file (every value still empty), then ExecStart.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const assignment of values('Environment')) {
      const eq = assignment.indexOf('=');
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
    env.NODE_COMPILE_CACHE = join(work, 'compile-cache');
    const example = readFileSync(join(root, 'infra/systemd/plumbline.env.example'), 'utf8');
    for (const line of example.split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line);
      if (match) env[match[1] as string] = match[2] as string;
    }
    const [execStart] = values('ExecStart');
    const args = (execStart ?? '').split(' ').slice(1);
    expect(args.slice(0, 1)).toEqual(['serve']);
    const result = spawnSync(join(work, 'plumbline'), args, {
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
    expect(result.status).toBe(78);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'plumbline serve: settings read from the environment file /etc/plumbline/plumbline.env lack',
    );
    for (const variable of [
      'PLUMBLINE_WEBHOOK_SECRETS',
      'PLUMBLINE_REPOSITORIES',
      'GITHUB_TOKEN',
    ]) {
      expect(result.stderr).toContain(variable);
    }
    expect(result.stderr).toContain('hint: set them in /etc/plumbline/plumbline.env');
  });

  it('is checked by a systemd-analyze that exists', () => {
    expect(execFileSync(systemdAnalyze, ['--version'], { encoding: 'utf8' })).toMatch(
      /^systemd \d+/,
    );
  });
});
