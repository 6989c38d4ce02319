import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../functions/node/settings.ts';
import {
  gitRemoteProblem,
  parseGitRemote,
  suggestedRepoName,
} from '../../../lib/config/git-remote.ts';
import { ConfigError } from '../../../lib/errors.ts';

describe('Git source locations', () => {
  it.each([
    ['/srv/git/site', 'local', 'local/site'],
    ['https://git.example.com/team/site.git', 'https', 'team/site'],
    ['ssh://git@git.example.com:2222/team/site.git', 'ssh', 'team/site'],
    ['git@git.example.com:team/site.git', 'ssh', 'team/site'],
    ['http://127.0.0.1:8080/site.git', 'http', undefined],
  ])('accepts %s as %s', (url, kind, name) => {
    const remote = parseGitRemote(url);
    expect(remote.kind).toBe(kind);
    expect(suggestedRepoName(remote)).toBe(name);
  });

  it.each([
    ['-uupload-pack=touch /tmp/x', "must not start with '-'"],
    ['ext::sh -c touch% /tmp/pwned', 'remote helper'],
    ['fd::17', 'remote helper'],
    ['site', 'relative path'],
    ['./site', 'relative path'],
    ['file:///srv/git/site', 'not a file:// URL'],
    ['git://git.example.com/site.git', 'not git://'],
    ['https://user:hunter2@git.example.com/site.git', 'must not contain a password'],
    ['https://token@git.example.com/site.git', 'httpAuth.username'],
    ['http://git.example.com/site.git', 'plain http://'],
    ['https://169.254.169.254/latest/meta-data', 'link-local'],
    ['git@metadata.google.internal:x', 'link-local'],
    ['/srv/git/../../etc', "'..'"],
    ['/srv/git/site\nx', 'control characters'],
    ['https://git.example.com/site.git?x=1', 'query'],
  ])('refuses %s', (url, problem) => {
    expect(gitRemoteProblem(url)).toContain(problem);
  });

  it('never accepts an option, a helper transport or a control character, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const problem = gitRemoteProblem(text);
        if (problem !== undefined) return;
        expect(text.startsWith('-')).toBe(false);
        expect(/^[A-Za-z][A-Za-z0-9+.-]*::/.test(text)).toBe(false);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the property under test
        expect(/[\x00-\x1f\x7f]/.test(text)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Git sources in the runtime settings', () => {
  const load = (repositories: unknown[]) =>
    loadSettings({ env: { PLUMBLINE_REPOSITORIES: JSON.stringify(repositories) }, flags: {} });

  it('reads a Git source, naming it from its URL unless named, with the default poll interval', () => {
    const settings = load([
      { url: '/srv/git/site', trustedBranch: 'main' },
      { fullName: 'ops/site', url: 'git@git.example.com:team/site.git', pollIntervalSeconds: 15 },
      'acme/deploy',
    ]);
    expect(settings.repositories.map((r) => [r.fullName, r.git])).toEqual([
      ['local/site', { url: '/srv/git/site', pollIntervalSeconds: 60 }],
      ['ops/site', { url: 'git@git.example.com:team/site.git', pollIntervalSeconds: 15 }],
      ['acme/deploy', undefined],
    ]);
  });

  it('refuses a bad location, naming the setting and never quoting a password', () => {
    const error = (() => {
      try {
        load([{ url: 'https://ci:s3cret-token@git.example.com/team/site.git' }]);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'PLUMBLINE_REPOSITORIES[0].url: must not contain a password: name a runtime secret in httpAuth.passwordSecret instead',
    );
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses Git-only fields on a GitHub repository and GitHub-only fields on a Git source', () => {
    expect(() => load([{ fullName: 'acme/deploy', pollIntervalSeconds: 5 }])).toThrow(
      'PLUMBLINE_REPOSITORIES[0].pollIntervalSeconds: is only for a Git source: add its url, or remove this field',
    );
    expect(() => load([{ url: '/srv/git/site', installationId: 3 }])).toThrow(
      'PLUMBLINE_REPOSITORIES[0].installationId: is for GitHub repositories',
    );
    expect(() =>
      load([{ url: '/srv/git/site', httpAuth: { username: 'x', passwordSecret: 'tok' } }]),
    ).toThrow('PLUMBLINE_REPOSITORIES[0].httpAuth: is for https remotes; this url is a local path');
    expect(() =>
      load([
        {
          url: 'https://git.example.com/a/b.git',
          ssh: { privateKeySecret: 'k', hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA'] },
        },
      ]),
    ).toThrow('PLUMBLINE_REPOSITORIES[0].ssh: is for SSH remotes');
    expect(() =>
      load([{ url: 'git@git.example.com:a/b.git', ssh: { privateKeySecret: 'k', hostKeys: [] } }]),
    ).toThrow('PLUMBLINE_REPOSITORIES[0].ssh.hostKeys: must pin at least one host key');
    expect(() => load([{ url: 'http://127.0.0.1/x' }])).toThrow(
      'PLUMBLINE_REPOSITORIES[0].fullName: is required: the url does not suggest a name',
    );
  });
});
