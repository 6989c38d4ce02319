/**
 * The GitHub flows for `files` apps, beside the Kubernetes ones and shaped like them:
 * - push: the app's files at the branch head, deployed when the change affects them (or when
 *   the host's inventory records another digest), recorded as a GitHub Deployment and the
 *   commit status `plumbline/<app>`;
 * - sweep: a head the host does not have yet is deployed; otherwise the owned files are hashed
 *   on the host (one round trip) and any difference becomes the app's drift issue (file, masked
 *   diff, modification time, owner), healed through the same validate, swap and reload path
 *   where `selfHeal: true`;
 * - pull request: a read-only plan of the files, with unified diffs (masked for secret files).
 * Host operations are reported per app with their round trips, for the figures in the docs.
 */
import type { FilesAppConfig, RepoConfig } from '../config/repo-config.ts';
import { hostTargetFor } from '../config/trusted-config.ts';
import { ConfigError } from '../errors.ts';
import { appImpact, type ChangedFiles, changedFiles } from '../flows/affected-apps.ts';
import type { DeployOutcome } from '../flows/deploy-outcome.ts';
import { startDeploymentRecord, statusContext } from '../flows/deployment-record.ts';
import { type DriftIssueAction, syncDriftIssueBody } from '../flows/drift-issue.ts';
import { bestEffort } from '../flows/flow-deps.ts';
import { type FlowFailure, failureOf } from '../flows/flow-failure.ts';
import type { JobDeps } from '../flows/job-secrets.ts';
import type { ReconcileJob, SweepJob } from '../jobs/job.ts';
import type { ResolvedFilesJob } from '../jobs/resolve-job.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import { statusDescription } from '../report/github.ts';
import { driftMarker } from '../report/markdown.ts';
import { redacted } from '../report/redacted.ts';
import { createSopsDecryptor } from '../secrets/sops-decryptor.ts';
import type { FileTree } from '../source/file-tree.ts';
import { type DesiredFiles, loadDesiredFiles } from './desired-files.ts';
import {
  applyFilesPlan,
  type FilesAppInput,
  type FilesChangeSet,
  HostError,
  type PlannedFiles,
  planFilesApp,
} from './files-deploy.ts';
import type { FilesPlan } from './files-plan.ts';
import type { HostShell, HostStats } from './host-shell.ts';
import { driftedFiles, type FilesDriftFinding, renderFilesDriftIssue } from './render-files.ts';
import { SshError } from './ssh/client.ts';

/** Reads the app's files at the tree's commit with the runtime's SOPS keys. */
export function desiredFilesOf(
  repo: RegisteredRepo,
  tree: FileTree,
  app: FilesAppConfig,
  deps: JobDeps,
): Promise<DesiredFiles> {
  return loadDesiredFiles(tree, app, deps.decryptorFor?.(repo, app) ?? createSopsDecryptor());
}

/** Turns a failure to reach the host into a `HostError` saying which host and why. */
export function reachError(
  error: unknown,
  host: string,
  shell: HostShell | undefined,
  app: string,
): unknown {
  if (error instanceof HostError || error instanceof ConfigError) return error;
  const label = shell ? `${host} (${shell.label})` : host;
  const at = { host: label, app };
  if (error instanceof SshError) {
    const why: Record<string, [string, string]> = {
      'host-key': [
        `refused: ${error.message}`,
        "The host's key is not the one pinned in the host binding: if the server was rebuilt, pin its new key (ssh-keyscan) in the runtime settings; otherwise someone may be in the middle.",
      ],
      auth: [
        `login refused: ${error.message}`,
        'Check TrustedUserCAKeys on the host holds the CA key, the certificate principal is the binding user, and the clocks agree (infra/ssh/README.md).',
      ],
    };
    const [message, hint] = why[error.reason] ?? [
      `cannot be reached: ${error.message}`,
      'Check the host is up and its SSH port is open to Plumbline.',
    ];
    return new HostError('apply', at, `${message}; nothing was changed`, { hint, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HostError('apply', at, `cannot be reached: ${message}; nothing was changed`, {
    hint: 'Check the host name, the port and the network path from Plumbline to the host.',
    cause: error,
  });
}

/** Opens the app's host, plans, and returns the shell for further steps. */
async function openAndPlan(
  resolved: Pick<ResolvedFilesJob, 'repo' | 'app' | 'sha'>,
  desired: DesiredFiles,
  deps: JobDeps,
): Promise<{ shell: HostShell; input: FilesAppInput; planned: PlannedFiles }> {
  const { repo, app } = resolved;
  if (!deps.hosts) {
    throw new ConfigError(`app ${app.name}: this runtime has no host targets configured`, {
      hint: "Bind the host (kind ssh or local) in the runtime settings' targets (infra/ssh/README.md).",
    });
  }
  const shell = await deps.hosts.open(app.target, {
    repo: repo.fullName,
    app: app.name,
    destination: app.destination,
  });
  const input: FilesAppInput = {
    repo: repo.fullName,
    app,
    host: app.target,
    revision: resolved.sha,
    desired,
  };
  try {
    return { shell, input, planned: await planFilesApp(shell, input) };
  } catch (error) {
    await shell.close();
    throw reachError(error, app.target, shell, app.name);
  }
}

function logStats(
  deps: JobDeps,
  what: string,
  fields: Record<string, unknown>,
  stats: HostStats,
): void {
  deps.logger.log('info', what, {
    ...fields,
    hostConnections: stats.connections,
    hostRoundTrips: stats.roundTrips,
    hostCommands: stats.commands,
  });
}

/** Deploys a `files` app for a reconcile job (the push flow). */
export async function deployFilesApp(
  resolved: ResolvedFilesJob,
  job: ReconcileJob,
  deps: JobDeps,
): Promise<DeployOutcome> {
  const { sha, app, repo, source } = resolved;
  const base = { repo: repo.fullName, app: app.name };
  let desired: DesiredFiles | undefined;
  let loadError: unknown;
  try {
    desired = await desiredFilesOf(repo, resolved.tree, app, deps);
  } catch (error) {
    loadError = error;
  }
  if (job.since !== undefined) {
    const change = await changedFiles(
      source,
      repo.ref,
      { base: job.since, head: sha, ...(job.forced ? { forced: true } : {}) },
      resolved.trusted,
    );
    const impact = appImpact(app, resolved.config, change, desired && { files: desired.sources });
    if (!impact.affected) {
      deps.logger.log('info', 'reconcile skipped', { ...base, sha, reason: impact.reason });
      return { status: 'skipped', ...base, sha, reason: `not affected: ${impact.reason}` };
    }
  }
  return deployAndRecord(resolved, desired, loadError, deps, job.since === undefined);
}

/**
 * Plans and deploys, recording a GitHub Deployment. With `skipWhenCurrent`, a host whose
 * inventory already records this digest and matches it costs one round trip and no record.
 */
export async function deployAndRecord(
  resolved: ResolvedFilesJob,
  desired: DesiredFiles | undefined,
  loadError: unknown,
  deps: JobDeps,
  skipWhenCurrent: boolean,
  known?: { shell: HostShell; input: FilesAppInput; planned: PlannedFiles },
): Promise<DeployOutcome> {
  const { sha, app } = resolved;
  const base = { repo: resolved.repo.fullName, app: app.name, sha };
  let opened = known;
  let failure: FlowFailure | undefined;
  if (desired && !opened) {
    try {
      opened = await openAndPlan(resolved, desired, deps);
    } catch (error) {
      failure = failureOf(error, 'apply');
    }
  }
  if (opened && skipWhenCurrent) {
    const { planned } = opened;
    const current =
      planned.state.inventory?.digest === planned.plan.digest &&
      planned.plan.summary.create + planned.plan.summary.update + planned.plan.summary.delete === 0;
    if (current) {
      logStats(
        deps,
        'reconcile skipped',
        { ...base, reason: 'the host has this digest' },
        opened.shell.stats(),
      );
      await opened.shell.close();
      return { status: 'skipped', ...base, reason: 'the host already has these files' };
    }
  }
  const { record, deploymentId } = await startDeploymentRecord(
    resolved,
    { kind: 'files-deployment', app: app.name, target: app.target, destination: app.destination },
    deps,
  );
  const withId = deploymentId === undefined ? {} : { deploymentId };
  await record('in_progress', { kind: 'deploying', sha });
  const fail = async (f: FlowFailure, changeSet?: FilesChangeSet): Promise<DeployOutcome> => {
    await record('failure', { kind: 'failed', failure: f });
    deps.logger.log('error', 'reconcile failed', { ...base, stage: f.stage, error: f.message });
    return {
      status: 'failed',
      ...base,
      failure: f,
      ...(changeSet ? { files: changeSet } : {}),
      ...withId,
    };
  };
  if (!desired) return fail(failureOf(loadError, 'render'));
  if (!opened) return fail(failure ?? { stage: 'apply', message: 'the host could not be planned' });
  const { shell, input, planned } = opened;
  let changeSet: FilesChangeSet;
  try {
    changeSet = await applyFilesPlan(shell, input, planned, { allowEmpty: false });
  } catch (error) {
    return fail(failureOf(reachError(error, app.target, shell, app.name), 'apply'));
  } finally {
    await shell.close();
  }
  logStats(deps, 'host round trips', { ...base, step: 'deploy' }, shell.stats());
  if (!changeSet.ok) {
    return fail({ stage: 'prune', message: changeSet.errors.join('; ') }, changeSet);
  }
  const counts: Record<string, number> = {};
  for (const entry of changeSet.entries) counts[entry.action] = (counts[entry.action] ?? 0) + 1;
  const summary = Object.entries(counts)
    .map(([action, n]) => `${n} ${action}`)
    .join(', ');
  await record('success', { kind: 'files-applied', sha, summary: summary || 'nothing to change' });
  deps.logger.log('info', 'reconciled', { ...base, counts, summary });
  return { status: 'applied', ...base, files: changeSet, ...withId };
}

/** How a `files` app's sweep ended (the sweep flow's outcome shape). */
export type FilesSweepOutcome =
  | { status: 'applied'; repo: string; app: string; deploy: DeployOutcome }
  | {
      status: 'in-sync' | 'drifted' | 'failed';
      repo: string;
      app: string;
      sha?: string;
      /** Kubernetes drift: never for a files app (the shape is shared with the sweep's). */
      finding?: undefined;
      filesFinding?: FilesDriftFinding;
      issue?: DriftIssueAction;
      error?: string;
    };

/** Sweeps a `files` app: reconcile a missed head, else report and heal drift. */
export async function sweepFilesApp(
  resolved: ResolvedFilesJob,
  _job: SweepJob,
  deps: JobDeps,
): Promise<FilesSweepOutcome> {
  const { sha, app, repo, github } = resolved;
  const base = { repo: repo.fullName, app: app.name };
  let desired: DesiredFiles;
  try {
    desired = await desiredFilesOf(repo, resolved.tree, app, deps);
  } catch (error) {
    const failure = failureOf(error, 'render');
    if (github) {
      await bestEffort(deps.logger, `${statusContext(app.name)}: commit status`, () =>
        github.createCommitStatus(repo.ref, sha, {
          state: 'failure',
          context: statusContext(app.name),
          description: statusDescription(redacted({ kind: 'failed', failure }, deps.ledger)),
        }),
      );
    }
    return { status: 'failed', ...base, sha, error: failure.message };
  }
  let opened: Awaited<ReturnType<typeof openAndPlan>>;
  try {
    opened = await openAndPlan(resolved, desired, deps);
  } catch (error) {
    const failure = failureOf(error, 'plan');
    deps.logger.log('error', 'sweep: host cannot be surveyed', {
      ...base,
      sha,
      error: failure.message,
    });
    return { status: 'failed', ...base, sha, error: failure.message };
  }
  const { plan, state } = opened.planned;
  if (state.inventory?.digest !== plan.digest) {
    // A head the host never got (a missed webhook): deploy it like a push.
    deps.logger.log('info', 'sweep: head differs from the deployed files', {
      ...base,
      sha,
      deployed: state.inventory?.revision,
    });
    const deploy = await deployAndRecord(resolved, desired, undefined, deps, false, opened);
    return { status: 'applied', ...base, deploy };
  }
  const files = driftedFiles(plan);
  let finding: FilesDriftFinding | undefined;
  if (files.length > 0) {
    finding = {
      repo: repo.fullName,
      app: app.name,
      sha,
      host: app.target,
      destination: app.destination,
      files,
    };
    if (app.selfHeal) {
      try {
        const healed = await applyFilesPlan(opened.shell, opened.input, opened.planned);
        finding.healed = { ok: healed.ok, errors: healed.errors };
      } catch (error) {
        const reached = reachError(error, app.target, opened.shell, app.name);
        finding.healed = {
          ok: false,
          errors: [reached instanceof Error ? reached.message : String(reached)],
        };
      }
    }
  }
  await opened.shell.close();
  logStats(
    deps,
    'host round trips',
    { ...base, step: finding?.healed ? 'sweep+heal' : 'sweep' },
    opened.shell.stats(),
  );
  // A Git source has no issues to open: its drift is in this log and in the history.
  const issue =
    github &&
    (await bestEffort(deps.logger, `${repo.fullName} ${app.name}: drift issue`, () =>
      syncDriftIssueBody(
        github,
        repo.ref,
        repo.fullName,
        app.name,
        // The reporting boundary: the finding is redacted with the job's ledger first.
        finding &&
          `${driftMarker(repo.fullName, app.name)}\n${renderFilesDriftIssue(redacted(finding, deps.ledger))}`,
      ),
    ));
  deps.logger.log('info', finding ? 'sweep: drift found' : 'sweep: in sync', {
    ...base,
    sha,
    drifted: files.length,
    ...(finding?.healed ? { healed: finding.healed.ok } : {}),
    ...(issue ? { issue: issue.action } : {}),
    // Without a GitHub issue to read, the log names the files (never their contents).
    ...(finding && !github
      ? { changes: files.map((file) => `${app.destination}/${file.path} ${file.action}`) }
      : {}),
  });
  return {
    status: finding ? 'drifted' : 'in-sync',
    ...base,
    sha,
    ...(finding ? { filesFinding: finding } : {}),
    ...(issue ? { issue: issue.action } : {}),
  };
}

/** A pull request's plan of one `files` app. */
export type FilesPlanResult =
  | { kind: 'planned-files'; app: string; target: string; plan: FilesPlan }
  | { kind: 'unaffected'; app: string; reason: string }
  | { kind: 'failed'; app: string; failure: FlowFailure };

/**
 * Plans a trusted `files` app against a pull request's head (read-only: one survey; no
 * command runs). The app, its host and its destination are the trusted configuration's; the
 * pull request only changes the files.
 */
export async function planFilesForPullRequest(
  repo: RegisteredRepo,
  tree: FileTree,
  app: FilesAppConfig,
  trustedConfig: RepoConfig,
  change: ChangedFiles,
  deps: JobDeps,
): Promise<FilesPlanResult> {
  let desired: DesiredFiles | undefined;
  let loadError: unknown;
  try {
    desired = await desiredFilesOf(repo, tree, app, deps);
  } catch (error) {
    loadError = error;
  }
  const impact = appImpact(app, trustedConfig, change, desired && { files: desired.sources });
  if (!impact.affected) return { kind: 'unaffected', app: app.name, reason: impact.reason };
  if (!desired) return { kind: 'failed', app: app.name, failure: failureOf(loadError, 'render') };
  try {
    hostTargetFor(app, repo, deps.targets);
    const { shell, planned } = await openAndPlan({ repo, app, sha: tree.revision }, desired, deps);
    await shell.close();
    logStats(
      deps,
      'host round trips',
      { repo: repo.fullName, app: app.name, step: 'plan' },
      shell.stats(),
    );
    return { kind: 'planned-files', app: app.name, target: app.target, plan: planned.plan };
  } catch (error) {
    return { kind: 'failed', app: app.name, failure: failureOf(error, 'plan') };
  }
}
