/**
 * The render benchmark's repository on disk (`app-files.ts` says what is in it): `apps`
 * overlays over `bases` shared bases, one kustomization listing every app, and one large app
 * per size in `bigApps`. Deterministic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  allAppsFiles,
  appDir,
  appFiles,
  baseFiles,
  bigAppDir,
  bigAppFiles,
  type Files,
} from './app-files.ts';

/** What was generated. */
export interface Monorepo {
  root: string;
  /** Repository-relative app directories. */
  apps: string[];
  /** The kustomization listing every app. */
  allApps: string;
  /** Repository-relative directory of each large app, by its object count. */
  bigApps: Map<number, string>;
}

/** How large a repository to write. */
export interface MonorepoShape {
  apps?: number;
  bases?: number;
  bigApps?: number[];
}

/** Writes the monorepo under `root` (which must be empty or absent). */
export function generateMonorepo(root: string, shape: MonorepoShape = {}): Monorepo {
  const apps = shape.apps ?? 220;
  const bases = shape.bases ?? 12;
  const bigApps = shape.bigApps ?? [1000, 5000];
  mkdirSync(join(root, '.git'), { recursive: true });
  const files: Files = {};
  for (let b = 0; b < bases; b++) Object.assign(files, baseFiles(b));
  const dirs: string[] = [];
  for (let i = 0; i < apps; i++) {
    Object.assign(files, appFiles(i, bases));
    dirs.push(appDir(i));
  }
  Object.assign(files, allAppsFiles(apps));
  for (const objects of bigApps) Object.assign(files, bigAppFiles(objects));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return {
    root,
    apps: dirs,
    allApps: 'apps/all',
    bigApps: new Map(bigApps.map((n) => [n, bigAppDir(n)])),
  };
}
