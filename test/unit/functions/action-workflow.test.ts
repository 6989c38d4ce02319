/**
 * `action.yml` and the example workflow agree with the Action's code: every input the code
 * reads is declared, every step of the example passes only declared inputs, runs each command
 * on an event it accepts, and grants the permissions the command needs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const action = parse(read('action.yml')) as {
  inputs: Record<string, { required: boolean; default?: string }>;
  runs: { using: string; main: string };
};
const workflow = parse(read('examples/workflows/deploy.yml')) as {
  on: Record<string, unknown>;
  jobs: Record<
    string,
    {
      if: string;
      permissions: Record<string, string>;
      steps: { uses?: string; with?: Record<string, unknown> }[];
    }
  >;
};

const needs: Record<string, { events: string[]; permissions: Record<string, string> }> = {
  plan: {
    events: ['pull_request'],
    permissions: { contents: 'read', 'pull-requests': 'write', checks: 'write' },
  },
  apply: {
    events: ['push'],
    permissions: { contents: 'read', deployments: 'write', statuses: 'write' },
  },
  sweep: {
    events: ['schedule', 'workflow_dispatch'],
    permissions: { contents: 'read', issues: 'write', deployments: 'write', statuses: 'write' },
  },
};

describe('action.yml', () => {
  it('is a Node 24 action running the built entry', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/action/index.js' });
  });

  it('declares every input the Action reads', () => {
    const source = read('functions/action/action-inputs.ts');
    const read_ = [...source.matchAll(/(?:required|input)\(\s*env,\s*'([a-z-]+)'/g)].map(
      (m) => m[1],
    );
    expect(new Set(read_)).toEqual(new Set(Object.keys(action.inputs)));
    expect(action.inputs.command?.required).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an Actions expression, not a template
    expect(action.inputs['github-token']?.default).toBe('${{ github.token }}');
  });
});

describe('the example workflow', () => {
  it('deploys on push to main with paths filters, plans pull requests and sweeps on a schedule', () => {
    expect(workflow.on.push).toMatchObject({ branches: ['main'], paths: expect.any(Array) });
    expect(workflow.on.pull_request).toMatchObject({ paths: expect.any(Array) });
    expect(workflow.on.schedule).toBeDefined();
  });

  it('runs each command on its events, with declared inputs and the permissions it needs', () => {
    const commands = new Set<string>();
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const steps = job.steps.filter((step) => step.uses?.startsWith('OWNER/plumbline@'));
      expect(steps, name).toHaveLength(1);
      const inputs = steps[0]?.with ?? {};
      for (const input of Object.keys(inputs)) expect(Object.keys(action.inputs)).toContain(input);
      const command = String(inputs.command);
      commands.add(command);
      const need = needs[command];
      expect(need, `${name}: command ${command}`).toBeDefined();
      for (const event of need?.events ?? []) expect(job.if, name).toContain(`'${event}'`);
      expect(job.permissions, name).toMatchObject(need?.permissions ?? {});
    }
    expect([...commands].sort()).toEqual(['apply', 'plan', 'sweep']);
  });
});
