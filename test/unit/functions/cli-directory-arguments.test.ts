/**
 * The `[--root DIR] DIR...` arguments `plumbline render` and `plumbline lock` share: help on
 * stdout with 0, usage errors on stderr with the command's help and 2, and nothing run.
 */
import { describe, expect, it } from 'vitest';
import { parseDirectoryArguments } from '../../../functions/cli/directory-arguments.ts';
import { runCli } from '../../../functions/cli.ts';
import { captureIo } from '../../env/cli-io.ts';

const help = 'Usage: plumbline demo [options] DIR...\n';
const demo = { name: 'demo', help, noDirectory: 'name at least one directory' };

describe('parseDirectoryArguments', () => {
  it('returns the directories and --root', () => {
    const { out, io } = captureIo();
    expect(parseDirectoryArguments(['--root', '/repo', 'a', 'b'], io, demo)).toEqual({
      values: { root: '/repo' },
      positionals: ['a', 'b'],
    });
    expect(parseDirectoryArguments(['a'], io, demo)).toEqual({
      values: { root: undefined },
      positionals: ['a'],
    });
    expect(out).toEqual({ stdout: '', stderr: '' });
  });

  it('shows the help on stdout for -h and --help, and ends with 0', () => {
    for (const flag of ['-h', '--help']) {
      const { out, io } = captureIo();
      expect(parseDirectoryArguments([flag, 'a'], io, demo)).toEqual({ exitCode: 0 });
      expect(out).toEqual({ stdout: help, stderr: '' });
    }
  });

  it('refuses an unknown option, a --root without a value and no directory with 2', () => {
    const cases: [string[], string][] = [
      [['--bogus', 'a'], "plumbline demo: Unknown option '--bogus'"],
      [['a', '--root'], "plumbline demo: Option '--root <value>' argument missing"],
      [[], 'plumbline demo: name at least one directory'],
    ];
    for (const [args, message] of cases) {
      const { out, io } = captureIo();
      expect(parseDirectoryArguments(args, io, demo)).toEqual({ exitCode: 2 });
      expect(out.stdout).toBe('');
      expect(out.stderr.startsWith(message)).toBe(true);
      expect(out.stderr.endsWith(`\n\n${help}`)).toBe(true);
    }
  });
});

describe('plumbline render and lock usage', () => {
  it.each([
    ['render', 'name at least one directory'],
    ['lock', 'name at least one app directory'],
  ])('plumbline %s: help, no directory, unknown option', async (command, missing) => {
    const shown = captureIo();
    expect(await runCli([command, '--help'], shown.io)).toBe(0);
    expect(shown.out.stdout).toMatch(new RegExp(`^Usage: plumbline ${command} \\[options\\] DIR`));
    expect(shown.out.stdout).toContain('  --root DIR    repository root');
    expect(shown.out.stderr).toBe('');

    const none = captureIo();
    expect(await runCli([command], none.io)).toBe(2);
    expect(none.out.stderr).toBe(`plumbline ${command}: ${missing}\n\n${shown.out.stdout}`);
    expect(none.out.stdout).toBe('');

    const unknown = captureIo();
    expect(await runCli([command, '--bogus', '.'], unknown.io)).toBe(2);
    expect(unknown.out.stderr).toMatch(
      new RegExp(`^plumbline ${command}: Unknown option '--bogus'.*\\n\\n`),
    );
    expect(unknown.out.stderr.endsWith(`\n\n${shown.out.stdout}`)).toBe(true);
  });
});
