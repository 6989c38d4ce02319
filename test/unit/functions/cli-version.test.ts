import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MINIMUM_NODE,
  nodeSupported,
  unsupportedNodeMessage,
} from '../../../functions/cli/node-version.ts';
import { runCli } from '../../../functions/cli.ts';
import { plumblineVersion } from '../../../lib/inventory/applyset.ts';
import { captureIo } from '../../env/cli-io.ts';

const manifest = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string; engines: { node: string } };

describe('plumbline --version', () => {
  it('prints the package version and the commit of the checkout', async () => {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    for (const flag of ['--version', '-V', 'version']) {
      const { out, io } = captureIo();
      expect(await runCli([flag], io)).toBe(0);
      expect(out.stdout).toMatch(
        new RegExp(
          `^plumbline ${manifest.version.replaceAll('.', '\\.')} \\(commit ${commit}(-dirty)?\\)\\n$`,
        ),
      );
    }
  });

  it('is the version the ApplySet tooling annotation records', () => {
    expect(plumblineVersion).toBe(manifest.version);
  });

  it('is named in the usage text', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(out.stdout).toContain("'plumbline --version'");
  });
});

describe('the Node version check of the packaged bin', () => {
  it('is the minimum package.json states', () => {
    expect(manifest.engines.node).toBe(`>=${MINIMUM_NODE}`);
  });

  it('accepts the minimum and every later version, and refuses older ones', () => {
    for (const version of [
      '22.19.0',
      'v22.19.0',
      '22.19.1',
      '22.20.0',
      '23.0.0',
      '24.21.0',
      '26.1.0',
    ]) {
      expect(nodeSupported(version), version).toBe(true);
    }
    for (const version of ['22.18.9', 'v22.0.0', '20.20.2', '18.20.8', '16.0.0', '0.10.48']) {
      expect(nodeSupported(version), version).toBe(false);
    }
  });

  it('refuses in one line that names the minimum and the version found', () => {
    const message = unsupportedNodeMessage('v20.20.2');
    expect(message.trimEnd().split('\n')).toHaveLength(1);
    expect(message).toContain(`Node.js ${MINIMUM_NODE} or later`);
    expect(message).toContain('this is Node.js v20.20.2');
  });
});
