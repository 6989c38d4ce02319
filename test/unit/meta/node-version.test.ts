import { describe, expect, it } from 'vitest';

describe('the runtime', () => {
  it('is Node 24, brought by the project, not the machine', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    expect(process.execPath).toContain('node_modules');
  });
});
