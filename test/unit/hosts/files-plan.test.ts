import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FilesAppConfig } from '../../../lib/config/repo-config.ts';
import type { FileDecryptor } from '../../../lib/core/decryptor.ts';
import { RenderError } from '../../../lib/errors.ts';
import { readTar } from '../../../lib/github/tar-archive.ts';
import { type DesiredFiles, loadDesiredFiles, modeOf } from '../../../lib/hosts/desired-files.ts';
import { planFiles, surveyProbes } from '../../../lib/hosts/files-plan.ts';
import {
  type FilesInventory,
  parseInventory,
  serializeInventory,
} from '../../../lib/hosts/inventory.ts';
import {
  renderFilesDriftIssue,
  renderFilesPlanMarkdown,
  renderFilesPlanText,
} from '../../../lib/hosts/render-files.ts';
import { parseSurvey, type Survey, surveyScript } from '../../../lib/hosts/survey.ts';
import { writeTar } from '../../../lib/hosts/tar-writer.ts';
import { MemoryFileTree } from '../../../lib/source/file-tree.ts';

const app: Pick<FilesAppConfig, 'path' | 'mode' | 'modes'> = {
  path: 'site',
  mode: 0o644,
  modes: [{ pattern: 'bin/**', mode: 0o755 }],
};

/** Decrypts files whose text starts with `sops:` (stands in for SOPS here; the real one is tested with sops). */
const fakeSops: FileDecryptor = {
  async decrypt(_path, content) {
    const text = new TextDecoder().decode(content);
    return text.startsWith('sops:')
      ? { plaintext: new TextEncoder().encode(text.slice(5)) }
      : undefined;
  },
};

async function desired(files: Record<string, string>): Promise<DesiredFiles> {
  const tree = new MemoryFileTree(
    Object.fromEntries(Object.entries(files).map(([p, t]) => [`site/${p}`, t])),
  );
  return loadDesiredFiles(tree, app, fakeSops);
}

const hex = async (text: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString(
    'hex',
  );

async function liveFile(path: string, text: string, mode = 0o644) {
  return {
    path,
    state: 'file' as const,
    sha256: await hex(text),
    mtime: 1_700_000_000,
    owner: 'deploy',
    mode,
    content: new TextEncoder().encode(text),
  };
}

const options = {
  app: 'site',
  host: 'web-1',
  destination: '/etc/site',
  revision: 'a'.repeat(40),
  prune: true,
  adopt: false,
};

function inventoryOf(
  files: Record<string, { text: string; sensitive?: boolean }>,
  shas: Record<string, string>,
): FilesInventory {
  return {
    apiVersion: 'plumbline.dev/files/v1',
    tooling: 'plumbline/0',
    repo: 'acme/web',
    app: 'site',
    revision: 'b'.repeat(40),
    digest: 'old',
    appliedAt: '2026-01-01T00:00:00.000Z',
    files: Object.fromEntries(
      Object.entries(files).map(([p, f]) => [
        p,
        { sha256: shas[p] as string, mode: 0o644, sensitive: f.sensitive ?? false },
      ]),
    ),
  };
}

describe('the desired files of an app', () => {
  it('reads every file with its mode and hash, decrypts SOPS files to 0600, skips .sops.yaml', async () => {
    const set = await desired({
      'a.conf': 'a',
      'bin/x/run': '#!',
      'secret.env': 'sops:TOKEN=1',
      '.sops.yaml': 'rules',
    });
    expect(set.files.map((f) => [f.path, f.mode.toString(8), f.sensitive])).toEqual([
      ['a.conf', '644', false],
      ['bin/x/run', '755', false],
      ['secret.env', '600', true],
    ]);
    expect(new TextDecoder().decode(set.files[2]?.content)).toBe('TOKEN=1');
    expect(set.files[0]?.sha256).toBe(await hex('a'));
    expect(set.sources).toEqual(['site/a.conf', 'site/bin/x/run', 'site/secret.env']);
    expect(
      (await desired({ 'a.conf': 'a', 'bin/x/run': '#!', 'secret.env': 'sops:TOKEN=1' })).digest,
    ).toBe(set.digest);
    expect(
      (await desired({ 'a.conf': 'b', 'bin/x/run': '#!', 'secret.env': 'sops:TOKEN=1' })).digest,
    ).not.toBe(set.digest);
  });

  it('refuses names a shell or the host could misread, naming the file', async () => {
    for (const name of [
      'a b.conf',
      '$(id).conf',
      'a;b',
      '-rf',
      'x\n.conf',
      '.plumbline/x',
      "it's",
      'a/-x/b',
    ]) {
      const error = await desired({ [name]: 'x' }).catch((e) => e);
      expect(error, name).toBeInstanceOf(RenderError);
      expect(error.message).toContain('this file name cannot be deployed to a host');
    }
    expect((await desired({ '.env': 'x', 'a/.hidden': 'y' })).files.map((f) => f.path)).toEqual([
      '.env',
      'a/.hidden',
    ]);
  });

  it('matches mode patterns by segment', () => {
    const rules = [
      { pattern: '*.sh', mode: 0o755 },
      { pattern: 'keys/**/*.pem', mode: 0o600 },
    ];
    expect(modeOf('run.sh', rules, 0o644)).toBe(0o755);
    expect(modeOf('sub/run.sh', rules, 0o644)).toBe(0o644);
    expect(modeOf('keys/a/b/c.pem', rules, 0o644)).toBe(0o600);
    expect(modeOf('keys/c.pem', rules, 0o644)).toBe(0o600);
  });
});

describe('planFiles', () => {
  it('creates, updates with a diff, keeps, deletes and reports hand edits', async () => {
    const set = await desired({ 'a.conf': 'one\ntwo\n', 'b.conf': 'same\n', 'new.conf': 'new\n' });
    const inventory = inventoryOf(
      { 'a.conf': { text: 'one\n' }, 'b.conf': { text: 'same\n' }, 'old.conf': { text: 'old\n' } },
      {
        'a.conf': await hex('one\n'),
        'b.conf': await hex('same\n'),
        'old.conf': await hex('old\n'),
      },
    );
    const survey: Survey = {
      destinationExists: true,
      paths: [
        await liveFile('a.conf', 'one\nhand\n'),
        await liveFile('b.conf', 'same\n'),
        { path: 'new.conf', state: 'missing' },
        await liveFile('old.conf', 'old\n'),
      ],
    };
    const plan = planFiles(set, survey, inventory, options);
    expect(plan.entries.map((e) => `${e.path} ${e.action}${e.drifted ? ' drifted' : ''}`)).toEqual([
      'a.conf update drifted',
      'b.conf unchanged',
      'new.conf create',
      'old.conf delete',
    ]);
    expect(plan.entries[0]?.diff).toBe(
      '--- host/a.conf\n+++ git/a.conf\n@@ -1,2 +1,2 @@\n one\n-hand\n+two\n',
    );
    expect(plan.summary).toEqual({ create: 1, update: 1, unchanged: 1, delete: 1, errors: 0 });
    expect(renderFilesPlanText(plan)).toContain(
      'Plan for site on web-1:/etc/site at aaaaaaaaaaaa: 1 to create, 1 to update, 1 to delete, 1 unchanged',
    );
  });

  it('masks secret files in diffs, whichever side they are on', async () => {
    const set = await desired({ 'secret.env': 'sops:TOKEN=new-value' });
    const survey: Survey = {
      destinationExists: true,
      paths: [await liveFile('secret.env', 'TOKEN=old-value', 0o600)],
    };
    const inventory = inventoryOf(
      { 'secret.env': { text: '', sensitive: true } },
      { 'secret.env': await hex('TOKEN=old-value') },
    );
    const plan = planFiles(set, survey, inventory, options);
    expect(plan.entries[0]?.diff).toBe(
      '--- host/secret.env\n+++ git/secret.env\n@@ secret file: content masked @@\n-*** (before)\n+*** (after)\n',
    );
    const markdown = renderFilesPlanMarkdown(plan);
    expect(markdown).not.toMatch(/new-value|old-value/);
    expect(surveyProbes(set, inventory)).toEqual([
      { path: 'secret.env', expected: set.files[0]?.sha256, fetch: false },
    ]);
  });

  it('refuses files it does not own, symbolic links and directories in the way', async () => {
    const set = await desired({ 'a.conf': 'x', 'b.conf': 'y', 'c.conf': 'z', 'd.conf': 'same' });
    const survey: Survey = {
      destinationExists: true,
      paths: [
        await liveFile('a.conf', 'hand'),
        { path: 'b.conf', state: 'symlink' },
        { path: 'c.conf', state: 'other' },
        await liveFile('d.conf', 'same'),
      ],
    };
    const plan = planFiles(set, survey, undefined, options);
    expect(plan.entries.map((e) => [e.path, e.error ?? e.note])).toEqual([
      [
        'a.conf',
        'exists on the host and Plumbline does not own it; remove or rename it there, or set adopt: true on the app to take it over',
      ],
      ['b.conf', 'is a symbolic link on the host; Plumbline never writes through links'],
      ['c.conf', 'is not a regular file on the host (a directory or device)'],
      ['d.conf', 'identical on the host: Plumbline takes ownership'],
    ]);
    expect(plan.summary.errors).toBe(3);
    expect(planFiles(set, survey, undefined, { ...options, adopt: true }).entries[0]?.note).toBe(
      'not owned yet: adopted (adopt: true)',
    );
  });

  it('shows mode changes and keeps files that left Git when prune is off', async () => {
    const set = await desired({ 'a.conf': 'a' });
    const inventory = inventoryOf(
      { 'a.conf': { text: 'a' }, 'gone.conf': { text: 'g' } },
      { 'a.conf': await hex('a'), 'gone.conf': await hex('g') },
    );
    const survey: Survey = {
      destinationExists: true,
      paths: [await liveFile('a.conf', 'a', 0o666), await liveFile('gone.conf', 'g')],
    };
    const plan = planFiles(set, survey, inventory, { ...options, prune: false });
    expect(plan.entries[0]).toMatchObject({
      action: 'update',
      mode: { from: 0o666, to: 0o644 },
      drifted: true,
    });
    expect(plan.entries[1]).toMatchObject({ path: 'gone.conf', action: 'unchanged' });
    expect(plan.released).toEqual(['gone.conf']);
  });

  it('renders drift as an issue body naming file, change, time, owner and mode', async () => {
    const set = await desired({ 'a.conf': 'git\n' });
    const inventory = inventoryOf({ 'a.conf': { text: '' } }, { 'a.conf': await hex('git\n') });
    const plan = planFiles(
      set,
      { destinationExists: true, paths: [await liveFile('a.conf', 'hand\n')] },
      inventory,
      options,
    );
    const body = renderFilesDriftIssue({
      repo: 'acme/web',
      app: 'site',
      sha: 'c'.repeat(40),
      host: 'web-1',
      destination: '/etc/site',
      files: plan.entries,
    });
    expect(body).toContain(
      '| `a.conf` | content changed | 2023-11-14T22:13:20Z | `deploy` | `0644` |',
    );
    expect(body).toContain('-hand\n+git');
    expect(body).toContain('`selfHeal` is off');
  });
});

describe('the survey', () => {
  it('parses hashes, stats and contents, and refuses partial answers', async () => {
    const probes = [
      { path: 'a.conf', expected: 'f'.repeat(64), fetch: true },
      { path: 'b.conf', fetch: false },
    ];
    const out = [
      'P1',
      'D 1',
      'B inventory',
      ' 7b 7d',
      'E',
      `H 0 file ${'a'.repeat(64)} 1700000000 deploy 640`,
      'B 0',
      ' 68 69 0a',
      'E',
      'H 1 missing',
      'Z',
    ].join('\n');
    const survey = parseSurvey(out, probes);
    expect(new TextDecoder().decode(survey.inventory)).toBe('{}');
    expect(survey.paths[0]).toMatchObject({
      state: 'file',
      mtime: 1_700_000_000,
      owner: 'deploy',
      mode: 0o640,
    });
    expect(new TextDecoder().decode((survey.paths[0] as { content: Uint8Array }).content)).toBe(
      'hi\n',
    );
    expect(survey.paths[1]).toEqual({ path: 'b.conf', state: 'missing' });
    expect(() => parseSurvey(out.replace('\nZ', ''), probes)).toThrow(
      'did not run the whole survey',
    );
    expect(() => parseSurvey(out.replace('H 1 missing\n', ''), probes)).toThrow(
      'skipped some paths',
    );
    expect(() =>
      parseSurvey(out.replace('X', '').replace('P1', 'X no sha256sum\nP1'), probes),
    ).toThrow('no sha256sum');
  });

  it('quotes the destination and paths it puts in the script', () => {
    const script = surveyScript("/srv/it's", 'site', [{ path: 'a.conf', fetch: true }]);
    expect(script).toContain(`D='/srv/it'\\''s'`);
    expect(script).toContain("probe 0 'a.conf' - 1");
  });
});

describe('inventories and archives', () => {
  it('round-trips an inventory and refuses one of another app or a forged entry', () => {
    const inventory = inventoryOf({ 'a.conf': { text: '' } }, { 'a.conf': 'a'.repeat(64) });
    const bytes = serializeInventory(inventory);
    expect(parseInventory(bytes, 'inv', { repo: 'acme/web', app: 'site' })).toEqual(inventory);
    expect(() => parseInventory(bytes, 'inv', { repo: 'acme/web', app: 'other' })).toThrow(
      "belong to app 'site' of acme/web",
    );
    const forged = new TextDecoder().decode(bytes).replace('a'.repeat(64), 'nope');
    expect(() =>
      parseInventory(new TextEncoder().encode(forged), 'inv', { repo: 'acme/web', app: 'site' }),
    ).toThrow("entry 'a.conf' is malformed");
    const polluted = JSON.stringify({
      ...inventory,
      files: { __proto__: { sha256: 'a'.repeat(64), mode: 1, sensitive: false } },
    });
    const parsed = parseInventory(new TextEncoder().encode(polluted), 'inv', {
      repo: 'acme/web',
      app: 'site',
    });
    expect(({} as Record<string, unknown>).sha256).toBeUndefined();
    expect(Object.keys(parsed.files)).toEqual([]);
  });

  it('writes tar archives any tar reads back byte for byte', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 6 }), (contents) => {
        const members = contents.map((content, i) => ({ name: String(i), content }));
        const entries = readTar(writeTar(members));
        expect(
          entries.map((e) => [e.path, e.type, Buffer.from(e.content).toString('hex')]),
        ).toEqual(members.map((m) => [m.name, 'file', Buffer.from(m.content).toString('hex')]));
      }),
    );
  });
});
