/** Reads `plumbline.yaml` from a repository tree: what the webhook and the consumer share. */
import type { FileTree } from '../source/file-tree.ts';
import { readText } from '../source/file-tree.ts';
import { parseRepoConfig, REPO_CONFIG_FILE } from './parse-repo-config.ts';
import type { RepoConfig } from './repo-config.ts';

/**
 * The repository's configuration, or `undefined` when it has no `plumbline.yaml` (the
 * repository has not opted in at this commit). Throws `RepoConfigError` when it is invalid.
 */
export async function loadRepoConfig(tree: FileTree): Promise<RepoConfig | undefined> {
  if ((await tree.stat(REPO_CONFIG_FILE))?.kind !== 'file') return undefined;
  return parseRepoConfig(await readText(tree, REPO_CONFIG_FILE), REPO_CONFIG_FILE);
}
