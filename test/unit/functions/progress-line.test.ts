import { describe, expect, it } from 'vitest';
import { applyProgressText, progressLine } from '../../../functions/cli/progress-line.ts';

describe('progressLine', () => {
  it('draws nothing off a terminal', () => {
    const written: string[] = [];
    const line = progressLine({ write: (t) => written.push(t), isTTY: false });
    line.update('sweeping 1/2');
    line.clear();
    expect(written).toEqual([]);
  });

  it('redraws one line in place, cut to the terminal, without control characters, and erases it', () => {
    const written: string[] = [];
    let clock = 0;
    const line = progressLine(
      { write: (t) => written.push(t), isTTY: true, columns: 30 },
      () => clock,
    );
    clock = 1000;
    line.update('sweeping 1/2: acme/deploy \x1b[31mweb\x1b[0m and a long tail of text');
    line.clear();
    expect(written).toEqual(['\r\x1b[2Ksweeping 1/2: acme/deploy  […', '\r\x1b[2K']);
  });

  it('coalesces updates faster than its redraw rate, the last one winning', async () => {
    const written: string[] = [];
    const line = progressLine({ write: (t) => written.push(t), isTTY: true, columns: 80 });
    for (let i = 1; i <= 50; i++) line.update(`web: ${i}/50 objects applied`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(written.length).toBeLessThanOrEqual(3);
    expect(written.at(-1)).toBe('\r\x1b[2Kweb: 50/50 objects applied');
  });
});

describe('applyProgressText', () => {
  it('says how far an apply is, and what the health wait waits for', () => {
    expect(applyProgressText('web', { stage: 'apply', done: 12, total: 40 })).toBe(
      'web: 12/40 objects applied',
    );
    expect(applyProgressText('web', { stage: 'prune', done: 1, total: 3 })).toBe('web: 1/3 pruned');
    expect(
      applyProgressText('web', {
        stage: 'health',
        ready: 1,
        total: 2,
        waitingFor: 'Deployment.apps shop/web: 1 of 2 available',
      }),
    ).toBe('web: 1/2 rollouts ready, waiting for Deployment.apps shop/web: 1 of 2 available');
  });
});
