/**
 * Parses and validates `plumbline.yaml` once, at the edge. Every problem is reported with the
 * file, the field path (`apps[1].target`), the line, what is wrong and what to write instead;
 * unknown fields are errors, so a typo is never silently ignored.
 */

import type { Document } from 'yaml';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { normalizePath } from '../source/file-tree.ts';
import type { AppConfig, RepoConfig, TargetCredentials } from './repo-config.ts';
import { ALLOWED_FIELDS, RepoConfigSchema } from './schema.ts';

/** The name of the configuration file at the repository root. */
export const REPO_CONFIG_FILE = 'plumbline.yaml';

/** Bounds alias expansion (YAML "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** One problem found in the file. */
export interface RepoConfigIssue {
  /** Field path such as `apps[1].target`; `''` for the whole file. */
  field: string;
  /** 1-based line, when known. */
  line?: number;
  /** What is wrong and what to write instead. */
  message: string;
}

/** `plumbline.yaml` is invalid; `issues` lists every problem found. */
export class RepoConfigError extends ConfigError {
  /** Every problem, in file order where known. */
  readonly issues: RepoConfigIssue[];
  constructor(file: string, issues: RepoConfigIssue[]) {
    const lines = issues.map((issue) => formatIssue(file, issue));
    const message =
      lines.length === 1
        ? (lines[0] as string)
        : `${file}: ${lines.length} problems\n${lines.map((l) => `  ${l}`).join('\n')}`;
    const first = issues[0];
    super(message, {
      file,
      ...(first?.line === undefined ? {} : { line: first.line }),
      hint: 'See docs/configuration.md for every field of plumbline.yaml.',
    });
    this.issues = issues;
  }
}

function formatIssue(file: string, issue: RepoConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}

type PathSegment = string | number;

/** `['apps', 1, 'target']` -> `apps[1].target`. */
function fieldPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** `['apps', 1, 'target']` -> `apps[].target`, the key of `ALLOWED_FIELDS`. */
function fieldPattern(path: readonly PathSegment[]): string {
  return fieldPath(path.map((s) => (typeof s === 'number' ? -1 : s))).replaceAll('[-1]', '[]');
}

/** Parses `text` (the contents of `file`) into a validated `RepoConfig`. */
export function parseRepoConfig(text: string, file = REPO_CONFIG_FILE): RepoConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new RepoConfigError(
      file,
      doc.errors.map((error) => ({
        field: '',
        ...(error.linePos ? { line: error.linePos[0].line } : {}),
        message: `not valid YAML: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  }
  const lineOf = (path: readonly PathSegment[], key?: string) =>
    lineAt(doc, lineCounter, path, key);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new RepoConfigError(file, [
      { field: '', message: `cannot be read: ${(error as Error).message}` },
    ]);
  }
  if (raw === null || raw === undefined) {
    throw new RepoConfigError(file, [
      {
        field: '',
        message: "is empty; it needs at least 'targets' and 'apps' (see docs/configuration.md)",
      },
    ]);
  }
  const result = RepoConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new RepoConfigError(
      file,
      sortIssues(result.error.issues.flatMap((issue) => describeZodIssue(issue, raw, lineOf))),
    );
  }
  const data = result.data;
  const issues = semanticIssues(data, lineOf);
  if (issues.length > 0) throw new RepoConfigError(file, sortIssues(issues));
  return {
    allowForkPlans: data.allowForkPlans,
    targets: data.targets.map((target) => ({
      name: target.name,
      server: target.server,
      ...(target.ca === undefined ? {} : { ca: target.ca }),
      credentials: toCredentials(target.credentials),
    })),
    apps: data.apps.map(toApp),
  };
}

function toApp(app: RawConfig['apps'][number]): AppConfig {
  if (app.kind === 'kubernetes') return { ...app, path: normalizePath(app.path) };
  const { mode, modes, destination, ...rest } = app;
  return {
    ...rest,
    path: normalizePath(app.path),
    destination: destination.length > 1 ? destination.replace(/\/+$/, '') : destination,
    mode: Number.parseInt(mode, 8),
    modes: Object.entries(modes).map(([pattern, value]) => ({
      pattern,
      mode: Number.parseInt(value, 8),
    })),
  };
}

type RawConfig = z.infer<typeof RepoConfigSchema>;
type LineOf = (path: readonly PathSegment[], key?: string) => number | undefined;

function toCredentials(raw: RawConfig['targets'][number]['credentials']): TargetCredentials {
  if (raw.kubeconfig) return { kind: 'kubeconfig', ...raw.kubeconfig };
  if (raw.tokenRequest) {
    return { kind: 'tokenRequest', expirationSeconds: 600, ...raw.tokenRequest };
  }
  if (raw.eks) return { kind: 'eks', ...raw.eks };
  if (raw.token) return { kind: 'token', ...raw.token };
  throw new Error('unreachable: credentials were checked to name exactly one source');
}

/** Checks that need the whole file: references between entries and uniqueness. */
function semanticIssues(data: RawConfig, lineOf: LineOf): RepoConfigIssue[] {
  const issues: RepoConfigIssue[] = [];
  const credentialKinds = ALLOWED_FIELDS['targets[].credentials'] ?? [];
  data.targets.forEach((target, i) => {
    const given = credentialKinds.filter(
      (kind) => (target.credentials as Record<string, unknown>)[kind] !== undefined,
    );
    if (given.length !== 1) {
      const path = ['targets', i, 'credentials'];
      issues.push({
        field: fieldPath(path),
        line: lineOf(path),
        message:
          given.length === 0
            ? `names no credential source; write exactly one of: ${credentialKinds.join(', ')}`
            : `names ${given.length} credential sources (${given.join(', ')}); keep exactly one`,
      });
    }
  });
  const targetNames = data.targets.map((t) => t.name);
  duplicates(targetNames).forEach((i) => {
    issues.push({
      field: `targets[${i}].name`,
      line: lineOf(['targets', i, 'name']),
      message: `target '${targetNames[i]}' is defined more than once; give each target a unique name`,
    });
  });
  const appNames = data.apps.map((a) => a.name);
  duplicates(appNames).forEach((i) => {
    issues.push({
      field: `apps[${i}].name`,
      line: lineOf(['apps', i, 'name']),
      message: `app '${appNames[i]}' is defined more than once; give each app a unique name`,
    });
  });
  data.apps.forEach((app, i) => {
    // A files app names a host binding of the runtime settings, checked when it deploys.
    if (app.kind === 'kubernetes' && !targetNames.includes(app.target)) {
      issues.push({
        field: `apps[${i}].target`,
        line: lineOf(['apps', i, 'target']),
        message: `unknown target '${app.target}'; defined targets: ${targetNames.join(', ')}`,
      });
    }
  });
  return issues;
}

/** Indexes of the second and later occurrences of each repeated value. */
function duplicates(values: string[]): number[] {
  return values.flatMap((value, i) => (values.indexOf(value) < i ? [i] : []));
}

function sortIssues(issues: RepoConfigIssue[]): RepoConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

/** Turns one zod issue into messages a user can act on. */
function describeZodIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  lineOf: LineOf,
): RepoConfigIssue[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const field = fieldPath(path);
  if (issue.code === 'unrecognized_keys') {
    const pattern = fieldPattern(path);
    const kind = (valueAt(raw, path) as { kind?: unknown } | undefined)?.kind;
    const allowed =
      (pattern === 'apps[]' && kind === 'files'
        ? ALLOWED_FIELDS['apps[] (files)']
        : ALLOWED_FIELDS[pattern]) ?? [];
    return issue.keys.map((key) => {
      const suggestion = closest(key, allowed);
      return {
        field: fieldPath([...path, key]),
        line: lineOf(path, key),
        message: `unknown field '${key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; allowed fields here: ${allowed.join(', ')}`,
      };
    });
  }
  const value = valueAt(raw, path);
  if (issue.code === 'invalid_type') {
    if (value === undefined) {
      return [
        {
          field,
          line: lineOf(path.slice(0, -1)),
          message: `is required (${expectedText(issue.expected)})`,
        },
      ];
    }
    return [
      {
        field,
        line: lineOf(path),
        message: `must be ${expectedText(issue.expected)}, not ${describeValue(value)}`,
      },
    ];
  }
  return [{ field, line: lineOf(path), message: issue.message }];
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping of fields';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'false':
      return 'false';
    default:
      return `a ${expected}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(raw: unknown, path: readonly PathSegment[]): unknown {
  let current = raw;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment as string];
  }
  return current;
}

/** The line of the node at `path` (or of `key` inside it), else of its nearest ancestor. */
function lineAt(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  key?: string,
): number | undefined {
  for (let n = path.length; n >= 0; n -= 1) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (!isNode(node)) continue;
    let offset = node.range?.[0];
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key)) offset = pair.key.range?.[0];
    }
    if (offset !== undefined) return lineCounter.linePos(offset).line;
  }
  return undefined;
}

/** The allowed name nearest to `name` by edit distance, if it is close enough to be a typo. */
function closest(name: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of allowed) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
