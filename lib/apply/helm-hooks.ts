/**
 * Helm hooks the way Argo CD runs them (gitops-engine's Helm hook mapping), since `helm
 * template` only prints them and no Helm release runs them:
 *
 * - `pre-install` and `pre-upgrade` run as PreSync: before anything of the app is applied;
 * - `post-install` and `post-upgrade` run as PostSync: after the apply, once it is healthy;
 * - every other hook (`test`, `test-success`, `pre-delete`, `post-delete`, `pre-rollback`,
 *   `post-rollback`) is never applied; `crd-install` is not a hook (an ordinary object);
 * - `helm.sh/hook-weight` orders hooks within a phase (lowest first);
 * - `helm.sh/hook-delete-policy` is honoured: `before-hook-creation` (the default when none is
 *   given, as in Argo CD) deletes the previous hook object first, `hook-succeeded` and
 *   `hook-failed` delete it once it finished that way.
 *
 * A hook finishes when a Job completes or a Pod succeeds (any other kind once applied). A failed
 * PreSync hook stops the run: nothing else is applied and nothing is pruned. Hooks are not
 * members of the app's ApplySet, so they are never pruned with it.
 */
import { describeRef, type KubeObject, refOf } from '../core/object.ts';
import { ApplyError, messageOf } from '../errors.ts';
import { applySetLabels } from '../inventory/applyset.ts';
import type { KubeClient } from '../kube/client.ts';
import { assessHealth } from './health.ts';

/** The phases Helm hooks map to. */
export type HookPhase = 'PreSync' | 'PostSync';

/** Delete policies Argo CD honours for Helm hooks. */
export type HookDeletePolicy = 'before-hook-creation' | 'hook-succeeded' | 'hook-failed';

/** One hook object and how it runs. */
export interface HelmHook {
  object: KubeObject;
  phases: HookPhase[];
  weight: number;
  deletePolicies: HookDeletePolicy[];
}

/** Rendered objects split into the app's resources, its hooks, and hooks never applied. */
export interface HookSplit {
  resources: KubeObject[];
  hooks: HelmHook[];
  /** Hooks with no phase (tests, delete and rollback hooks), with the reason they are skipped. */
  skipped: { object: KubeObject; reason: string }[];
}

const phaseOf: Record<string, HookPhase> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};
const policies = new Set<string>(['before-hook-creation', 'hook-succeeded', 'hook-failed']);

function csv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Splits rendered objects by their `helm.sh/hook` annotations. */
export function splitHelmHooks(objects: readonly KubeObject[]): HookSplit {
  const out: HookSplit = { resources: [], hooks: [], skipped: [] };
  for (const object of objects) {
    const annotations = object.metadata?.annotations ?? {};
    const types = csv(annotations['helm.sh/hook']);
    if (types.length === 0 || types.every((t) => t === 'crd-install')) {
      out.resources.push(object);
      continue;
    }
    const phases = [...new Set(types.map((t) => phaseOf[t]).filter((p) => p !== undefined))];
    if (phases.length === 0) {
      out.skipped.push({
        object,
        reason: `not applied: a Helm ${types.join(',')} hook (Plumbline runs pre-/post-install and -upgrade hooks only, as Argo CD does)`,
      });
      continue;
    }
    const weight = Number.parseInt(annotations['helm.sh/hook-weight'] ?? '0', 10);
    const given = csv(annotations['helm.sh/hook-delete-policy']).filter((p) => policies.has(p));
    out.hooks.push({
      object,
      phases,
      weight: Number.isFinite(weight) ? weight : 0,
      deletePolicies: (given.length > 0 ? given : ['before-hook-creation']) as HookDeletePolicy[],
    });
  }
  return out;
}

/** How a phase runs. */
export interface HookRun {
  client: KubeClient;
  /** Hook objects as applied (namespaces filled in). */
  resolve: (object: KubeObject) => KubeObject;
  force?: boolean;
  timeoutMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** What one hook did. */
export interface HookOutcome {
  object: KubeObject;
  ok: boolean;
  /** Why it failed (kube errors and Job/Pod failure reasons, never object data). */
  error?: string;
}

/**
 * Runs the hooks of `phase`, weight by weight (a weight's hooks together), stopping at the first
 * weight with a failure. Returns each hook run's outcome.
 */
export async function runHookPhase(
  phase: HookPhase,
  hooks: readonly HelmHook[],
  run: HookRun,
): Promise<HookOutcome[]> {
  const inPhase = hooks.filter((h) => h.phases.includes(phase));
  const weights = [...new Set(inPhase.map((h) => h.weight))].sort((a, b) => a - b);
  const outcomes: HookOutcome[] = [];
  for (const weight of weights) {
    const group = inPhase.filter((h) => h.weight === weight);
    const results = await Promise.all(group.map((hook) => runHook(phase, hook, run)));
    outcomes.push(...results);
    if (results.some((r) => !r.ok)) break;
  }
  return outcomes;
}

async function runHook(phase: HookPhase, hook: HelmHook, run: HookRun): Promise<HookOutcome> {
  const object = withoutMembership(run.resolve(hook.object));
  const ref = refOf(object);
  const name = `${phase} hook ${describeRef(ref)}`;
  try {
    if (hook.deletePolicies.includes('before-hook-creation')) await deleteAndWait(ref, run);
    await run.client.apply(object, { force: run.force });
    const failure = await waitFinished(object, run, name);
    const ok = failure === undefined;
    if (
      (ok && hook.deletePolicies.includes('hook-succeeded')) ||
      (!ok && hook.deletePolicies.includes('hook-failed'))
    ) {
      await run.client.delete(ref, { propagationPolicy: 'Background' });
    }
    return ok ? { object, ok } : { object, ok, error: `${name} failed: ${failure}` };
  } catch (error) {
    // Kube errors already start with the object; say it once.
    const message = messageOf(error).replace(`${describeRef(ref)}: `, '');
    return { object, ok: false, error: new ApplyError(`${name} failed: ${message}`).message };
  }
}

/** A hook is not an ApplySet member: it must never be pruned with the app. */
function withoutMembership(object: KubeObject): KubeObject {
  const labels = { ...object.metadata.labels };
  delete labels[applySetLabels.partOf];
  return { ...object, metadata: { ...object.metadata, labels } };
}

async function deleteAndWait(ref: ReturnType<typeof refOf>, run: HookRun): Promise<void> {
  const outcome = await run.client.delete(ref, { propagationPolicy: 'Background' });
  if (outcome === 'absent') return;
  const deadline = run.now() + run.timeoutMs;
  while (await run.client.get(ref)) {
    if (run.now() >= deadline) throw new Error('the previous hook object is still being deleted');
    await run.sleep(250);
  }
}

/** Undefined once the hook succeeded; the reason when it failed or timed out. */
async function waitFinished(
  object: KubeObject,
  run: HookRun,
  name: string,
): Promise<string | undefined> {
  if (object.kind !== 'Job' && object.kind !== 'Pod') return undefined;
  const deadline = run.now() + run.timeoutMs;
  for (;;) {
    const live = await run.client.get(refOf(object));
    if (!live) return 'it disappeared before it finished';
    if (object.kind === 'Job') {
      const health = assessHealth(live);
      if (health.state === 'healthy') return undefined;
      if (health.state === 'failed') return health.message;
    } else {
      const phase = (live.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Succeeded') return undefined;
      if (phase === 'Failed') return 'the pod failed';
    }
    if (run.now() >= deadline) return `not finished after ${run.timeoutMs} ms (${name})`;
    await run.sleep(500);
  }
}
