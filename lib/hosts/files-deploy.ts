/**
 * The host pipeline of a `files` app, the same shape as the Kubernetes one:
 * survey (the host's side, one round trip) -> `planFilesApp` (a `FilesPlan`) ->
 * `applyFilesPlan` (one round trip: stage, validate, swap, prune, record, reload, or roll
 * everything back) -> a `FilesChangeSet`. Guards as for an ApplySet: files Plumbline does not
 * own are refused, nothing is removed after a failure, and an empty set or a mass removal
 * needs opt-in. Every failure is a `HostError` naming the host, the app and the file.
 */

import type { FilesAppConfig } from '../config/repo-config.ts';
import { sha256Hex, toHex } from '../core/encoding.ts';
import { PlumblineError, type Stage } from '../errors.ts';
import { plumblineTooling } from '../inventory/applyset.ts';
import { SecretLedger } from '../secrets/secret-ledger.ts';
import { DEPLOY_EXIT, deployScript, stagedDirectory } from './deploy-script.ts';
import type { DesiredFiles } from './desired-files.ts';
import {
  type FilePlanEntry,
  type FilesPlan,
  planChangesHost,
  planFiles,
  surveyProbes,
} from './files-plan.ts';
import type { HostShell } from './host-shell.ts';
import {
  type FilesInventory,
  INVENTORY_API_VERSION,
  InventoryError,
  type OwnedFile,
  parseInventory,
  STATE_DIR,
  serializeInventory,
} from './inventory.ts';
import { shellQuote } from './shell-quote.ts';
import { runSurvey, type Survey, SurveyError } from './survey.ts';
import { writeTar } from './tar-writer.ts';

/** A host operation failed; names the host, the app and (when known) the file. */
export class HostError extends PlumblineError {
  override readonly name = 'HostError';
  readonly host: string;
  readonly app: string;
  /** Output of the command that failed (validate, reload), secrets masked. */
  readonly output: string | undefined;
  /** True when nothing on the host was changed (or everything was put back). */
  readonly unchanged: boolean;
  constructor(
    stage: Stage,
    where: { host: string; app: string; file?: string },
    message: string,
    options: { hint?: string; cause?: unknown; output?: string; unchanged?: boolean } = {},
  ) {
    const file = where.file ? `, file ${where.file}` : '';
    super(stage, `host ${where.host}, app ${where.app}${file}: ${message}`, {
      ...(options.hint ? { hint: options.hint } : {}),
      cause: options.cause,
      ...(where.file ? { file: where.file } : {}),
    });
    this.host = where.host;
    this.app = where.app;
    this.output = options.output;
    this.unchanged = options.unchanged ?? true;
  }
}

/** What the host pipeline works on. */
export interface FilesAppInput {
  repo: string;
  app: FilesAppConfig;
  /** The host binding's name. */
  host: string;
  revision: string;
  desired: DesiredFiles;
}

/** The host's side, read once and handed from plan to apply. */
export interface HostState {
  survey: Survey;
  inventory?: FilesInventory;
  /** Hex SHA-256 of the inventory's bytes, or `absent`: the apply's precondition. */
  inventorySha: string;
}

/** A plan and the host state it was made from. */
export interface PlannedFiles {
  plan: FilesPlan;
  state: HostState;
}

/** A path `loadDesiredFiles` could have produced (the inventory must list nothing else). */
const SAFE_PATH =
  /^(?!\.plumbline\/)(?:(?!\.{1,2}\/)[A-Za-z0-9._+@][A-Za-z0-9._+@-]*\/)*(?!\.{1,2}$)[A-Za-z0-9._+@][A-Za-z0-9._+@-]*$/;

function where(input: FilesAppInput, shell: HostShell, file?: string) {
  return { host: `${input.host} (${shell.label})`, app: input.app.name, ...(file ? { file } : {}) };
}

/** Reads the host's side of the app: one round trip, two when files left Git. */
export async function surveyHost(shell: HostShell, input: FilesAppInput): Promise<HostState> {
  const { destination, name } = input.app;
  const inventoryPath = `${destination}/${STATE_DIR}/${name}/inventory.json`;
  const read = async (probes: ReturnType<typeof surveyProbes>) => {
    try {
      return await runSurvey(shell, destination, name, probes);
    } catch (error) {
      if (error instanceof SurveyError) {
        throw new HostError(
          'plan',
          where(input, shell),
          `cannot read the destination ${destination}: ${error.message}`,
          {
            hint: 'The host needs a POSIX sh with od, stat and sha256sum (coreutils or busybox), and the deploy user must be able to read the destination.',
            cause: error,
          },
        );
      }
      throw error;
    }
  };
  const first = await read(surveyProbes(input.desired));
  let inventory: FilesInventory | undefined;
  const parse = (bytes: Uint8Array) => {
    try {
      return parseInventory(bytes, inventoryPath, { repo: input.repo, app: name });
    } catch (error) {
      if (error instanceof InventoryError) {
        throw new HostError(
          'plan',
          where(input, shell, `${STATE_DIR}/${name}/inventory.json`),
          error.message,
          {
            ...(error.hint ? { hint: error.hint } : {}),
          },
        );
      }
      throw error;
    }
  };
  if (first.inventory) inventory = parse(first.inventory);
  const probed = new Set(first.paths.map((p) => p.path));
  const extra = Object.keys(inventory?.files ?? {}).filter((path) => !probed.has(path));
  for (const path of extra) {
    if (!SAFE_PATH.test(path)) {
      throw new HostError(
        'plan',
        where(input, shell, `${STATE_DIR}/${name}/inventory.json`),
        `the inventory lists a path Plumbline never writes ('${path.slice(0, 80)}')`,
        {
          hint: 'The inventory was edited by hand; restore it, or delete it and deploy with adopt: true.',
        },
      );
    }
  }
  let survey = first;
  if (extra.length > 0 && inventory) {
    const owned = inventory.files;
    const second = await read(extra.map((path) => ({ path, fetch: !owned[path]?.sensitive })));
    if (
      toHex(second.inventory ?? new Uint8Array()) !== toHex(first.inventory ?? new Uint8Array())
    ) {
      throw new HostError(
        'plan',
        where(input, shell),
        'the inventory changed while it was read: another deploy is running',
        {
          hint: 'Try again in a moment.',
        },
      );
    }
    survey = { ...first, paths: [...first.paths, ...second.paths] };
  }
  return {
    survey,
    ...(inventory ? { inventory } : {}),
    inventorySha: first.inventory ? await sha256Hex(first.inventory) : 'absent',
  };
}

/** Surveys the host and plans the app (read-only). */
export async function planFilesApp(shell: HostShell, input: FilesAppInput): Promise<PlannedFiles> {
  const state = await surveyHost(shell, input);
  const plan = planFiles(input.desired, state.survey, state.inventory, {
    app: input.app.name,
    host: input.host,
    destination: input.app.destination,
    revision: input.revision,
    prune: input.app.prune,
    adopt: input.app.adopt,
  });
  return { plan, state };
}

/** What happened to one file. */
export type FileChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped';

/** The outcome of deploying a `files` app: plain data, like the Kubernetes `ChangeSet`. */
export interface FilesChangeSet {
  app: string;
  host: string;
  destination: string;
  revision: string;
  entries: { path: string; action: FileChangeAction; note?: string }[];
  /** True when the new set is in place, reloaded, and pruning (if any) happened. */
  ok: boolean;
  errors: string[];
  /** Whether the host was written to at all (false: already up to date). */
  wrote: boolean;
  startedAt: string;
  finishedAt: string;
}

/** Options of `applyFilesPlan`. */
export interface ApplyFilesOptions {
  /** Allow deploying an empty set (which removes every owned file). */
  allowEmpty?: boolean;
  /** Allow removing more than half of the owned files in one run. */
  allowMassPrune?: boolean;
  now?: () => number;
}

/** Values a command's output must not show: the lines and values of secret files. */
export function secretNeedles(desired: DesiredFiles): string[] {
  const needles: string[] = [];
  for (const file of desired.files) {
    if (!file.sensitive) continue;
    for (const line of new TextDecoder().decode(file.content).split('\n')) {
      const trimmed = line.trim();
      if (trimmed) needles.push(trimmed);
      const value = /^[^=:#]+[=:]\s*(.+)$/.exec(trimmed)?.[1]?.replace(/^["']|["']$/g, '');
      if (value) needles.push(value);
    }
  }
  return needles;
}

interface ScriptOutput {
  steps: { step: string; index: string }[];
  failed?: { step: string; index: string };
  blobs: Map<string, string>;
  ok: boolean;
}

function parseDeployOutput(stdout: string): ScriptOutput {
  const out: ScriptOutput = { steps: [], blobs: new Map(), ok: false };
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const [tag, a = '', b = ''] = (lines[i] as string).split(' ');
    if (tag === 'S') out.steps.push({ step: a, index: b });
    else if (tag === 'F') out.failed = { step: a, index: b };
    else if (tag === 'OK') out.ok = true;
    else if (tag === 'B') {
      const end = lines.indexOf('E', i + 1);
      const hexText = lines
        .slice(i + 1, end < 0 ? lines.length : end)
        .join('')
        .replace(/\s+/g, '');
      const bytes = new Uint8Array(hexText.length / 2);
      for (let j = 0; j < bytes.length; j++)
        bytes[j] = Number.parseInt(hexText.slice(2 * j, 2 * j + 2), 16);
      out.blobs.set(a, new TextDecoder().decode(bytes));
      i = end < 0 ? lines.length : end;
    }
  }
  return out;
}

/** Keeps the end of a command's output: where the error usually is. */
function tail(text: string, max = 4_000): string {
  const trimmed = text.trimEnd();
  return trimmed.length <= max ? trimmed : `…${trimmed.slice(-max)}`;
}

/**
 * Deploys a plan made just before from `state`. Throws `HostError` (nothing changed, or
 * everything put back) for a refused plan, a moved host, an I/O error, a failing validate or
 * reload; returns a change set otherwise (not ok when a mass removal was held back).
 */
export async function applyFilesPlan(
  shell: HostShell,
  input: FilesAppInput,
  planned: PlannedFiles,
  options: ApplyFilesOptions = {},
): Promise<FilesChangeSet> {
  const now = options.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  const { plan, state } = planned;
  const { app } = input;
  const refused = plan.entries.filter((e) => e.error);
  if (refused.length > 0) {
    const first = refused[0] as FilePlanEntry;
    throw new HostError(
      'apply',
      where(input, shell, first.path),
      `${first.error}${
        refused.length > 1
          ? ` (and ${refused.length - 1} more file(s): ${refused
              .slice(1)
              .map((e) => e.path)
              .join(', ')})`
          : ''
      }`,
      {
        hint: 'Nothing was changed on the host.',
      },
    );
  }
  if (input.desired.files.length === 0 && !options.allowEmpty) {
    throw new HostError(
      'prune',
      where(input, shell),
      `the app's directory has no files; deploying it would remove every file Plumbline owns in ${app.destination}`,
      {
        hint: 'If that is intended, allow an empty set (plumbline apply --allow-empty).',
      },
    );
  }
  const errors: string[] = [];
  const ownedCount = Object.keys(state.inventory?.files ?? {}).length;
  const deletions = plan.entries.filter((e) => e.action === 'delete' && e.live);
  let heldBack: FilePlanEntry[] = [];
  if (deletions.length > 0 && deletions.length * 2 > ownedCount && !options.allowMassPrune) {
    heldBack = deletions;
    errors.push(
      `host ${input.host}, app ${app.name}: ${deletions.length} of ${ownedCount} owned files would be removed: more than half of the set; they were kept (allow a mass removal to remove them)`,
    );
  }
  const held = new Set(heldBack.map((e) => e.path));
  const released = new Set(plan.released);
  const desiredByPath = new Map(input.desired.files.map((f) => [f.path, f]));
  const newSet = input.desired.files;
  const finishedEntries = () =>
    plan.entries.map((entry) => {
      if (held.has(entry.path))
        return {
          path: entry.path,
          action: 'skipped' as const,
          note: 'not removed: mass removal needs opt-in',
        };
      if (released.has(entry.path))
        return {
          path: entry.path,
          action: 'skipped' as const,
          note: 'kept on the host, no longer owned (prune: false)',
        };
      const action: FileChangeAction =
        entry.action === 'create'
          ? 'created'
          : entry.action === 'update'
            ? 'configured'
            : entry.action === 'delete'
              ? 'deleted'
              : 'unchanged';
      return { path: entry.path, action, ...(entry.note ? { note: entry.note } : {}) };
    });
  const result = (wrote: boolean): FilesChangeSet => ({
    app: app.name,
    host: input.host,
    destination: app.destination,
    revision: input.revision,
    entries: finishedEntries(),
    ok: errors.length === 0,
    errors,
    wrote,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
  });
  if (!planChangesHost(plan, state.inventory) && heldBack.length === 0) return result(false);

  // The new inventory: the new set, plus files whose removal was held back (still owned).
  // No prototype: a file may be called `__proto__` or `constructor`.
  const files: Record<string, OwnedFile> = Object.create(null);
  for (const file of newSet)
    files[file.path] = { sha256: file.sha256, mode: file.mode, sensitive: file.sensitive };
  for (const entry of heldBack) {
    const owned = state.inventory?.files[entry.path];
    if (owned) files[entry.path] = owned;
  }
  const inventory: FilesInventory = {
    apiVersion: INVENTORY_API_VERSION,
    tooling: plumblineTooling(),
    repo: input.repo,
    app: app.name,
    revision: input.revision,
    digest: plan.digest,
    appliedAt: new Date(now()).toISOString(),
    files,
  };
  const entryByPath = new Map(plan.entries.map((e) => [e.path, e]));
  const scriptFiles = newSet.map((file) => {
    const entry = entryByPath.get(file.path);
    return {
      path: file.path,
      mode: file.mode,
      sha256: file.sha256,
      send: entry?.action === 'create' || entry?.action === 'update',
    };
  });
  const members = scriptFiles.flatMap((file, i) =>
    file.send
      ? [
          {
            name: String(i),
            content: (desiredByPath.get(file.path) as { content: Uint8Array }).content,
          },
        ]
      : [],
  );
  members.push({ name: 'inventory', content: serializeInventory(inventory) });
  const id = toHex(crypto.getRandomValues(new Uint8Array(6)));
  const staged = shellQuote(stagedDirectory(app.destination, app.name, id));
  const deletes = deletions.filter((e) => !held.has(e.path)).map((e) => e.path);
  const script = deployScript({
    destination: app.destination,
    app: app.name,
    id,
    expectedInventory: state.inventorySha,
    files: scriptFiles,
    deletes,
    ...(app.validate ? { validate: app.validate.replaceAll('{staged}', staged) } : {}),
    ...(app.reload ? { reload: app.reload.replaceAll('{staged}', staged) } : {}),
  });
  const outcome = await shell.run(script, writeTar(members));
  const stdout = new TextDecoder().decode(outcome.stdout);
  const parsed = parseDeployOutput(stdout);
  if (outcome.code === 0 && parsed.ok) return result(true);

  // The job's ledger masks decrypted values in flows; this one also covers the CLI.
  const ledger = new SecretLedger();
  ledger.record(secretNeedles(input.desired));
  const clean = (text: string) => ledger.text(text);
  const stderr = clean(tail(new TextDecoder().decode(outcome.stderr)));
  const failed = parsed.failed ?? parsed.steps.at(-1);
  const fileOf = (index: string | undefined): string | undefined => {
    if (!index || index === '-') return undefined;
    if (index.startsWith('d')) return deletes[Number(index.slice(1))];
    return scriptFiles[Number(index)]?.path;
  };
  const file = fileOf(failed?.index);
  const at = where(input, shell, file);
  const output = (name: string) => {
    const text = parsed.blobs.get(name);
    return text === undefined ? undefined : clean(tail(text));
  };
  const withOutput = (text: string | undefined) => (text ? `\n${text}` : '');
  switch (outcome.code) {
    case DEPLOY_EXIT.locked:
      throw new HostError('apply', at, 'another deploy of this app holds the lock on the host', {
        hint: `Try again later; a lock older than 15 minutes is taken over (${STATE_DIR}/${app.name}/lock).`,
      });
    case DEPLOY_EXIT.inventoryMoved:
      throw new HostError(
        'apply',
        at,
        'the inventory on the host changed since the plan (another deploy ran)',
        {
          hint: 'Nothing was changed; the next run plans again.',
        },
      );
    case DEPLOY_EXIT.changedSincePlan:
      throw new HostError(
        'apply',
        at,
        'the file changed on the host between the plan and the deploy; nothing was changed',
        {
          hint: 'Run again: the next plan sees the new content.',
        },
      );
    case DEPLOY_EXIT.io:
      throw new HostError(
        'apply',
        at,
        `could not ${failed?.step ?? 'write'} the new files (a full disk or a permission error?); the previous files are in place${withOutput(stderr)}`,
        {
          hint: `The deploy user needs write access to ${app.destination} and to ${STATE_DIR}/ in it.`,
        },
      );
    case DEPLOY_EXIT.validate: {
      const text = output('validate');
      throw new HostError(
        'apply',
        at,
        `validate refused the new files; the previous files are in place${withOutput(text)}`,
        {
          hint: 'Fix the files in Git; nothing was swapped and the service was not reloaded.',
          ...(text ? { output: text } : {}),
        },
      );
    }
    case DEPLOY_EXIT.swap:
      throw new HostError(
        'apply',
        at,
        `swapping the new files in failed; the previous files were put back${withOutput(stderr)}`,
        {
          hint: `Check free space and permissions in ${app.destination}.`,
        },
      );
    case DEPLOY_EXIT.reload:
    case DEPLOY_EXIT.reloadAfterRollback: {
      const text = output('reload');
      const again =
        outcome.code === DEPLOY_EXIT.reload
          ? 'and reloaded them'
          : `but reloading them failed too:${withOutput(output('rereload'))}`;
      throw new HostError(
        'apply',
        at,
        `reload failed; the previous files were put back ${again}${withOutput(text)}`,
        {
          hint: 'Nothing of this commit stays on the host; fix the files or the reload command and push again.',
          ...(text ? { output: text } : {}),
          unchanged: outcome.code === DEPLOY_EXIT.reload,
        },
      );
    }
    default:
      throw new HostError(
        'apply',
        at,
        `the deploy script ended unexpectedly (${outcome.signal ? `signal ${outcome.signal}` : `exit ${outcome.code}`})${withOutput(stderr)}`,
        {
          hint: 'Check the host (a POSIX sh, tar, sha256sum and stat are needed); staging and backups are cleaned up on every exit.',
          unchanged: false,
        },
      );
  }
}
