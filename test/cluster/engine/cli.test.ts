import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../functions/cli.ts';
import { captureIo } from '../../env/cli-io.ts';
import { adminKube, cluster, freshNamespace } from './cluster.ts';

function appDir(manifests: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-cli-'));
  writeFileSync(join(dir, 'app.yaml'), manifests);
  return dir;
}

const cm = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  level: ${value}\n`;

describe('plumbline plan and apply', () => {
  it('exits like kubectl diff: 1 with changes, 0 without, and applies in between', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'cli');
    const dir = appDir(cm('info'));
    const flags = [
      '--kubeconfig',
      cluster.kubeconfig,
      '--namespace',
      ns,
      '--app',
      'conf-app',
      '--revision',
      'abc123',
    ];

    let c = captureIo();
    expect(await runCli(['plan', dir, ...flags], c.io)).toBe(1);
    expect(c.out.stdout).toContain(`# create ConfigMap ${ns}/conf`);
    expect(c.out.stdout).toContain('+  level: info');

    c = captureIo();
    expect(await runCli(['apply', dir, ...flags], c.io)).toBe(0);
    expect(c.out.stdout).toContain(`ConfigMap ${ns}/conf created`);

    c = captureIo();
    expect(await runCli(['plan', dir, ...flags, '--output', 'json'], c.io)).toBe(0);
    expect(JSON.parse(c.out.stdout).summary).toMatchObject({ unchanged: 1, create: 0 });

    writeFileSync(join(dir, 'app.yaml'), cm('debug'));
    c = captureIo();
    expect(await runCli(['plan', dir, ...flags, '--output', 'markdown'], c.io)).toBe(1);
    expect(c.out.stdout).toContain('| update | 1 |');
    expect(c.out.stdout).toContain('<details>');
  });

  it('shows how far an apply is on a terminal, and nothing of it off one', async () => {
    const { client } = adminKube();
    const ns = await freshNamespace(client, 'cli-progress');
    const dir = appDir(`${cm('info')}---\n${cm('info').replace('name: conf', 'name: conf-2')}`);
    const flags = ['--kubeconfig', cluster.kubeconfig, '--namespace', ns, '--app', 'progress-app'];
    const tty = captureIo();
    tty.io.stderrIsTTY = true;
    tty.io.columns = 100;
    expect(await runCli(['apply', dir, ...flags], tty.io)).toBe(0);
    expect(tty.out.stderr).toContain('\r\x1b[2Kprogress-app: 0/2 objects applied');
    // The line is erased before the result is printed.
    expect(tty.out.stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect(tty.out.stdout).toContain(`ConfigMap ${ns}/conf-2 created`);
    const pipe = captureIo();
    expect(await runCli(['apply', dir, ...flags], pipe.io)).toBe(0);
    expect(pipe.out.stderr).toBe('');
  });

  it('exits above 1 naming the problem for an unknown context', async () => {
    const dir = appDir(cm('info'));
    const c = captureIo();
    expect(
      await runCli(['plan', dir, '--kubeconfig', cluster.kubeconfig, '--context', 'nope'], c.io),
    ).toBe(2);
    expect(c.out.stderr).toContain(`${cluster.kubeconfig}: no context 'nope' (contexts: test)`);
  });
});
