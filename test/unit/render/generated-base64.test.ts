import { describe, expect, it } from 'vitest';
import { generatedBase64 } from '../../../lib/render/generators.ts';
import { renderApp } from '../../../lib/render/index.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

describe('generated base64', () => {
  it('stays on one line below 70 characters', () => {
    expect(generatedBase64('a'.repeat(51))).toBe(btoa('a'.repeat(51)));
    expect(generatedBase64('a'.repeat(51))).toHaveLength(68);
  });

  it('breaks 70 characters and more into lines of 70, each ending in a newline (kustomize 5.8)', () => {
    const encoded = btoa('b'.repeat(52));
    expect(generatedBase64('b'.repeat(52))).toBe(`${encoded.slice(0, 70)}\n${encoded.slice(70)}\n`);
    const exact = btoa('c'.repeat(105));
    expect(exact).toHaveLength(140);
    expect(generatedBase64('c'.repeat(105))).toBe(`${exact.slice(0, 70)}\n${exact.slice(70)}\n`);
  });

  it('wraps Secret data and binary ConfigMap data, so the name hash covers the breaks', async () => {
    const { objects } = await renderApp(
      new MemoryFileTree({
        'app/kustomization.yaml': `secretGenerator:\n- name: s\n  literals: [y=${'b'.repeat(52)}]\n`,
      }),
      'app',
    );
    expect(objects[0]?.data).toEqual({ y: generatedBase64('b'.repeat(52)) });
    // The name kustomize v5.8.2 gives this Secret (its data hashed with the line breaks).
    expect(objects[0]?.metadata.name).toBe('s-d97kc589c2');
  });
});
