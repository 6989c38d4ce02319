/**
 * Parses and validates `plumbline.yaml` once, at the edge. Every problem is reported with the
 * file, the field path (`apps[1].target`), the line, what is wrong and what to write instead;
 * unknown fields are errors, so a typo is never silently ignored.
 */

import type { Document, Node } from 'yaml';
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import { ConfigError } from '../errors.ts';
import { normalizePath } from '../source/file-tree.ts';
import type { AppConfig, RepoConfig } from './repo-config.ts';
import { ALLOWED_FIELDS, RepoConfigSchema } from './schema.ts';

/** The name of the configuration file at the repository root. */
export const REPO_CONFIG_FILE = 'plumbline.yaml';

/**
 * The largest `plumbline.yaml` read: far above any real one (a few hundred bytes per app), and
 * small enough that parsing it costs milliseconds wherever it happens (the webhook included).
 */
export const MAX_REPO_CONFIG_BYTES = 256 * 1024;

/** Bounds alias expansion (YAML "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** At most this many problems are reported (and located) per file. */
const MAX_ISSUES = 20;

/** One problem found in the file. */
export interface RepoConfigIssue {
  /** Field path such as `apps[1].target`; `''` for the whole file. */
  field: string;
  /** 1-based line, when known. */
  line?: number | undefined;
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

/** How the file is read. */
export interface ParseRepoConfigOptions {
  /** The branch apps track when they name none: the trusted branch (default `main`). */
  defaultBranch?: string;
}

/** What to say about a `targets:` section, wherever one is found. */
export const REPOSITORY_TARGETS_REFUSED =
  "is not read from the repository: where a credential is sent is the operator's decision, so targets are bound in the runtime settings (targets: in the settings file, or PLUMBLINE_TARGETS), each with its server, CA, credential and the repositories and namespaces it serves. Remove this section, ask the operator to bind the target, and name the binding in apps[].target (see docs/security.md)";

/** Parses `text` (the contents of `file`) into a validated `RepoConfig`. */
export function parseRepoConfig(
  text: string,
  file = REPO_CONFIG_FILE,
  options: ParseRepoConfigOptions = {},
): RepoConfig {
  if (text.length > MAX_REPO_CONFIG_BYTES) {
    throw new RepoConfigError(file, [
      {
        field: '',
        message: `is larger than ${MAX_REPO_CONFIG_BYTES} bytes, the most Plumbline reads; keep plumbline.yaml to apps and their settings`,
      },
    ]);
  }
  const lineCounter = new LineCounter();
  // Duplicate keys are found below in one pass: the parser's own check is quadratic in the
  // number of keys of a mapping, which a hostile file would make huge.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new RepoConfigError(
      file,
      doc.errors.slice(0, MAX_ISSUES).map((error) => ({
        field: '',
        ...(error.linePos ? { line: error.linePos[0].line } : {}),
        message: `not valid YAML: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  }
  const duplicates = duplicateKeyIssues(doc, lineCounter);
  if (duplicates.length > 0) throw new RepoConfigError(file, duplicates);
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
        message: "is empty; it needs at least 'apps' (see docs/configuration.md)",
      },
    ]);
  }
  const result = RepoConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues: RepoConfigIssue[] = [];
    for (const issue of result.error.issues) {
      if (issues.length >= MAX_ISSUES) break;
      issues.push(...describeZodIssue(issue, raw, lineOf).slice(0, MAX_ISSUES - issues.length));
    }
    if (result.error.issues.length > 0 && Object.hasOwn(raw as object, 'targets')) {
      issues.push(targetsIssue(lineOf));
    }
    throw new RepoConfigError(file, sortIssues(issues));
  }
  const data = result.data;
  const issues = semanticIssues(data, lineOf);
  if (issues.length > 0) throw new RepoConfigError(file, sortIssues(issues));
  const defaultBranch = options.defaultBranch ?? 'main';
  return {
    allowForkPlans: data.allowForkPlans === true,
    apps: data.apps.map((app) => toApp(app, defaultBranch)),
  };
}

/** The typed app of a validated entry, defaults filled in, fields copied one by one. */
function toApp(app: RawConfig['apps'][number], defaultBranch: string): AppConfig {
  const common = {
    name: app.name,
    path: normalizePath(app.path),
    target: app.target,
    branch: app.branch ?? defaultBranch,
    prune: app.prune ?? true,
    selfHeal: app.selfHeal ?? false,
  };
  if (app.kind === 'kubernetes') {
    return {
      kind: 'kubernetes',
      ...common,
      namespace: app.namespace,
      requireReviewedPlan: app.requireReviewedPlan ?? false,
      failOnConflict: app.failOnConflict ?? false,
      pruneContents: app.pruneContents ?? false,
      ...(app.helm ? { helm: app.helm } : {}),
    };
  }
  return {
    kind: 'files',
    ...common,
    destination: app.destination.length > 1 ? app.destination.replace(/\/+$/, '') : app.destination,
    mode: Number.parseInt(app.mode ?? '0644', 8),
    modes: Object.entries(app.modes ?? {}).map(([pattern, value]) => ({
      pattern,
      mode: Number.parseInt(value, 8),
    })),
    ...(app.validate === undefined ? {} : { validate: app.validate }),
    ...(app.reload === undefined ? {} : { reload: app.reload }),
    adopt: app.adopt ?? false,
  };
}

type RawConfig = z.infer<typeof RepoConfigSchema>;
type LineOf = (path: readonly PathSegment[], key?: string) => number | undefined;

function targetsIssue(lineOf: LineOf): RepoConfigIssue {
  return { field: 'targets', line: lineOf([], 'targets'), message: REPOSITORY_TARGETS_REFUSED };
}

/** Checks that need the whole file: references between entries and uniqueness. */
function semanticIssues(data: RawConfig, lineOf: LineOf): RepoConfigIssue[] {
  const issues: RepoConfigIssue[] = [];
  if (data.targets !== undefined) issues.push(targetsIssue(lineOf));
  const seen = new Set<string>();
  data.apps.forEach((app, i) => {
    if (seen.has(app.name)) {
      issues.push({
        field: `apps[${i}].name`,
        line: lineOf(['apps', i, 'name']),
        message: `app '${app.name}' is defined more than once; give each app a unique name`,
      });
    }
    seen.add(app.name);
  });
  return issues.slice(0, MAX_ISSUES);
}

/**
 * Keys repeated within one mapping, found in one pass over the document (an explicit stack,
 * so deep nesting cannot overflow the call stack).
 */
function duplicateKeyIssues(doc: Document, lineCounter: LineCounter): RepoConfigIssue[] {
  const issues: RepoConfigIssue[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const node = stack.pop();
    if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        const name = isScalar(key) ? `${typeof key.value}:${String(key.value)}` : undefined;
        if (name !== undefined) {
          if (keys.has(name)) {
            const offset = (key as Node).range?.[0];
            issues.push({
              field: '',
              ...(offset === undefined ? {} : { line: lineCounter.linePos(offset).line }),
              message: `not valid YAML: key '${String((key as { value: unknown }).value).slice(0, 60)}' appears twice in one mapping; keep one`,
            });
            if (issues.length >= MAX_ISSUES) break;
          }
          keys.add(name);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return issues;
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
    return issue.keys.slice(0, MAX_ISSUES).map((key) => {
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
    // Own properties only: a path never reaches into a prototype.
    if (!Object.hasOwn(current, segment)) return undefined;
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
