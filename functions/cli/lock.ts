/**
 * `plumbline lock DIR...`: renders each app, downloading its remote Helm charts, and records
 * every chart's digest in `plumbline.lock.yaml` at the repository root, for commit. Entries
 * already recorded are kept and verified, so a chart whose digest changed under the same
 * version fails here as it would in a deploy.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { PlumblineError } from '../../lib/errors.ts';
import {
  chartLockFile,
  formatChartLock,
  type LockedChart,
  lockKey,
  parseChartLock,
} from '../../lib/render/helm-lock.ts';
import { defaultLimits, renderApp } from '../../lib/render/index.ts';
import { DirectoryFileTree } from '../node/directory-tree.ts';
import { helmSupportFromEnv } from '../node/helm-support.ts';
import { sopsDecryptorFromEnv } from '../node/sops-env.ts';
import type { CommandMain } from './command.ts';
import { parseDirectoryArguments, repositoryRoot } from './directory-arguments.ts';

const help = `Usage: plumbline lock [options] DIR...

Renders each app and records the digest of every remote Helm chart it uses in
${chartLockFile} at the repository root. Commit that file: deploys and pull request
plans refuse a remote chart it does not record, and a chart whose digest changes
under the same version.

Options:
  --root DIR    repository root (default: the nearest .git above the first DIR)
  -h, --help    show this help
`;

/** Entry point. */
export const main: CommandMain = async (args, io) => {
  const parsed = parseDirectoryArguments(args, io, {
    name: 'lock',
    help,
    noDirectory: 'name at least one app directory',
  });
  if ('exitCode' in parsed) return parsed.exitCode;
  const first = resolve(parsed.positionals[0] as string);
  const root = resolve(parsed.values.root ?? repositoryRoot(first));
  const lockPath = join(root, chartLockFile);
  const entries = existsSync(lockPath)
    ? parseChartLock(readFileSync(lockPath, 'utf8'), defaultLimits)
    : new Map<string, LockedChart>();
  const tree = new DirectoryFileTree(root);
  const helm = helmSupportFromEnv(process.env, { lock: 'record' });
  const decryptor = sopsDecryptorFromEnv(process.env);
  let added = 0;
  for (const dir of parsed.positionals) {
    const app = relative(root, resolve(dir));
    if (app === '..' || app.startsWith(`..${sep}`)) {
      io.stderr(`plumbline lock: ${dir} is outside the root ${root}\n`);
      return 1;
    }
    try {
      const result = await renderApp(tree, app.split(sep).join('/'), { decryptor, helm });
      for (const chart of result.charts) {
        if (!chart.repo || !chart.version || chart.locked) continue;
        const entry = {
          repo: chart.repo,
          name: chart.name,
          version: chart.version,
          digest: chart.digest,
        };
        if (entries.has(lockKey(entry))) continue;
        entries.set(lockKey(entry), entry);
        added += 1;
        io.stdout(`recorded ${chart.name} ${chart.version} from ${chart.repo}: ${chart.digest}\n`);
      }
    } catch (error) {
      io.stderr(`${error instanceof PlumblineError ? error.describe() : String(error)}\n`);
      return 1;
    }
  }
  if (added > 0 || !existsSync(lockPath))
    writeFileSync(lockPath, formatChartLock(entries.values()));
  io.stdout(`${chartLockFile}: ${entries.size} chart(s), ${added} new\n`);
  return 0;
};
