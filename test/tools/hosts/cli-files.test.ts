/**
 * `plumbline files plan|apply|ca-key` from a checkout, with a `local` host binding in a
 * settings file: the plan's exit codes, the deploy, and the CA line for TrustedUserCAKeys.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli/dispatch.ts';
import { captureIo } from '../../env/cli-io.ts';
import { sshKeygen } from '../../env/sshd.ts';

describe('plumbline files', () => {
  let dir: string;
  let checkout: string;
  let dest: string;
  let settings: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumbline-cli-files-'));
    checkout = join(dir, 'repo');
    dest = join(dir, 'dest');
    mkdirSync(join(checkout, 'site'), { recursive: true });
    mkdirSync(dest);
    writeFileSync(
      join(checkout, 'plumbline.yaml'),
      `apps:\n  - name: site\n    kind: files\n    path: site\n    target: here\n    destination: ${dest}\n    validate: test -s {staged}/index.conf\n`,
    );
    writeFileSync(join(checkout, 'site', 'index.conf'), 'hello\n');
    settings = join(dir, 'settings.yaml');
    writeFileSync(
      settings,
      `targets:\n  - name: here\n    kind: local\n    repositories: [acme/site]\n    paths: [${dest}]\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (...args: string[]) => {
    const { out, io } = captureIo();
    const code = await runCli(['files', ...args], io);
    return { code, ...out };
  };
  const common = () => [
    checkout,
    '--app',
    'site',
    '--repo',
    'acme/site',
    '--config',
    settings,
    '--revision',
    'r1',
  ];

  it('plans (exit 1: changes), deploys, then plans nothing (exit 0)', async () => {
    const plan = await run('plan', ...common());
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(
      '# create index.conf\n--- host/index.conf\n+++ git/index.conf\n@@ -0,0 +1,1 @@\n+hello\n',
    );
    const apply = await run('apply', ...common());
    expect(apply).toMatchObject({ code: 0, stderr: '' });
    expect(apply.stdout).toBe(`index.conf created\nsite on here:${dest} at r1: deployed\n`);
    expect(readFileSync(join(dest, 'index.conf'), 'utf8')).toBe('hello\n');
    expect((await run('plan', ...common())).code).toBe(0);
  });

  it('refuses a repository the binding does not list, naming it', async () => {
    const result = await run(
      'plan',
      checkout,
      '--app',
      'site',
      '--repo',
      'evil/repo',
      '--config',
      settings,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "app site: host binding 'here' does not allow the repository evil/repo",
    );
  });

  it('prints the CA line of a private key', async () => {
    const [file, line] = sshKeygen(dir, 'ca');
    const result = await run('ca-key', '--private-key', file);
    expect(result.code).toBe(0);
    expect(result.stdout.split(' ').slice(0, 2)).toEqual(line.split(' ').slice(0, 2));
  });
});
