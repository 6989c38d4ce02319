import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  actionsLogger,
  annotation,
  escapeData,
  setOutput,
} from '../../../functions/action/workflow-commands.ts';
import { parseOutputs } from '../../env/action-process.ts';

const hostile = 'apps/web\n::add-mask::x\r\n::stop-commands::abc\n%0A::error::pwned';

/** Lines of `text` that the runner would read as workflow commands. */
function commands(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('::'));
}

describe('workflow commands', () => {
  it('escape data so a message stays on one line', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
  });

  it('never let a hostile message start a command of its own', () => {
    let out = '';
    const logger = actionsLogger((text) => {
      out += text;
    });
    logger.log('info', hostile, { file: hostile });
    logger.log('warn', hostile);
    logger.log('error', hostile, { object: hostile });
    out += annotation('error', hostile, { file: hostile, title: hostile, line: 3 });
    expect(out.split('\n').filter(Boolean)).toHaveLength(4);
    expect(commands(out).map((line) => line.slice(0, line.indexOf('::', 2) + 2))).toEqual([
      '::warning::',
      '::error::',
      '::error file=apps/web%0A%3A%3Aadd-mask%3A%3Ax%0D%0A%3A%3Astop-commands%3A%3Aabc%0A%250A%3A%3Aerror%3A%3Apwned,line=3,title=apps/web%0A%3A%3Aadd-mask%3A%3Ax%0D%0A%3A%3Astop-commands%3A%3Aabc%0A%250A%3A%3Aerror%3A%3Apwned::',
    ]);
    expect(out).toContain('plumbline: apps/web%0A::add-mask::x');
  });

  it('redact secret-looking fields in log lines', () => {
    let out = '';
    actionsLogger((text) => {
      out += text;
    }).log('info', 'connected', { token: 'ghs_secret', app: 'web' });
    expect(out).not.toContain('ghs_secret');
    expect(out).toContain('"app":"web"');
  });

  it('write outputs the runner reads back whole, even when a value holds a delimiter-like line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-output-'));
    try {
      const file = join(dir, 'output');
      setOutput(file, 'apps', '[{"app":"web"}]');
      setOutput(file, 'tricky', 'line one\nplumbline_x\nresult<<EOF\nEOF');
      expect(parseOutputs(readFileSync(file, 'utf8'))).toEqual({
        apps: '[{"app":"web"}]',
        tricky: 'line one\nplumbline_x\nresult<<EOF\nEOF',
      });
      setOutput(undefined, 'ignored', 'no file: nothing to do');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
