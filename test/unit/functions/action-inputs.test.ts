import { describe, expect, it } from 'vitest';
import { actionInputs, inputVariable } from '../../../functions/action/action-inputs.ts';
import { ConfigError } from '../../../lib/errors.ts';

const token = { 'INPUT_GITHUB-TOKEN': 'ghs_token' };

function refusal(env: Record<string, string>): ConfigError {
  try {
    actionInputs(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('the Action inputs', () => {
  it('are read from the variables the runner sets', () => {
    expect(inputVariable('github-token')).toBe('INPUT_GITHUB-TOKEN');
    expect(inputVariable('config branch')).toBe('INPUT_CONFIG_BRANCH');
    expect(
      actionInputs({
        ...token,
        INPUT_COMMAND: ' apply ',
        INPUT_WAIT: '300',
        INPUT_KUBECONFIG: '/tmp/kubeconfig',
        INPUT_CONFIG: '',
      }),
    ).toEqual({
      command: 'apply',
      githubToken: 'ghs_token',
      waitMs: 300_000,
      kubeconfig: '/tmp/kubeconfig',
    });
  });

  it('refuse a missing command by its name', () => {
    const error = refusal({ ...token });
    expect(error.message).toBe("input 'command' is required and was not supplied");
    expect(error.hint).toContain('command: plan');
    expect(refusal({ ...token, INPUT_COMMAND: '   ' }).message).toContain("input 'command'");
  });

  it('refuse a missing token by its name, and never echo one', () => {
    expect(refusal({ INPUT_COMMAND: 'plan' }).message).toBe(
      "input 'github-token' is required and was not supplied",
    );
  });

  it('refuse an unknown command and a wait that is not seconds', () => {
    expect(refusal({ ...token, INPUT_COMMAND: 'destroy' }).message).toBe(
      "input 'command': 'destroy' is not one of plan, apply, sweep",
    );
    expect(refusal({ ...token, INPUT_COMMAND: 'apply', INPUT_WAIT: 'soon' }).message).toBe(
      "input 'wait': 'soon' is not a number of seconds",
    );
    expect(refusal({ ...token, INPUT_COMMAND: 'apply', INPUT_WAIT: '-1' }).message).toContain(
      "input 'wait'",
    );
  });
});
