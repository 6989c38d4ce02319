import { describe, expect, it } from 'vitest';
import { deployApp } from '../../../lib/flows/deploy-app.ts';
import { planPullRequest } from '../../../lib/flows/plan-pull-request.ts';
import { bindPlan, parseStamp, stampText } from '../../../lib/flows/reviewed-plan.ts';
import type { ReconcileJob } from '../../../lib/jobs/job.ts';
import { baseFiles, config, flowSetup, REPO } from './fixtures.ts';

const reconcile: ReconcileJob = {
  kind: 'reconcile',
  repo: REPO,
  app: 'web',
  branch: 'main',
  deliveryId: 'd-2',
};

/** Main applied at `blue`, a pull request to `green` planned, then merged (fast-forward). */
async function reviewedAndMerged(extraConfig = '') {
  const setup = flowSetup();
  const { git, deps } = setup;
  const files = (color: string) => ({
    ...baseFiles(color),
    'plumbline.yaml': config(extraConfig),
  });
  const baseSha = git.commit(REPO, 'main', files('blue'));
  await deployApp(reconcile, deps);
  const headSha = git.commit(REPO, 'feature', files('green'));
  git.openPullRequest(REPO, {
    number: 7,
    state: 'open',
    merged: false,
    headSha,
    headRef: 'feature',
    headRepo: REPO,
    baseRef: 'main',
    baseSha,
  });
  await planPullRequest({ kind: 'plan', repo: REPO, number: 7, deliveryId: 'd-1' }, deps);
  // The merge commit: the same tree, another sha, the pull request associated with it.
  const merged = git.commit(REPO, 'main', files('green'));
  git.commitPulls.set(`${REPO}@${merged}`, [{ number: 7, headSha, merged: true }]);
  return { ...setup, headSha, merged };
}

describe('plans bound to applies', () => {
  it('stamps the pull request head with each app’s plan digest', async () => {
    const { git, headSha } = await reviewedAndMerged();
    const stamp = git.statuses.find((s) => s.sha === headSha && s.context === 'plumbline/plan/web');
    expect(stamp?.state).toBe('success');
    expect(parseStamp(stamp?.description ?? '')).toEqual({
      desired: expect.stringMatching(/^[0-9a-f]{32}$/),
      live: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('applies on merge what was reviewed, and says so', async () => {
    const { git, deps, merged } = await reviewedAndMerged();
    const outcome = await deployApp(reconcile, deps);
    expect(outcome).toMatchObject({
      status: 'applied',
      sha: merged,
      plan: { binding: { kind: 'matched' } },
    });
    expect(git.deployments.at(-1)?.statuses.at(-1)?.description).toBe(
      `Applied ${merged.slice(0, 7)}: 1 configured; as reviewed in #7`,
    );
  });

  it('says when live state moved since the reviewed plan, and links a fresh plan', async () => {
    const { git, deps, kube, merged } = await reviewedAndMerged();
    // Someone edits the ConfigMap behind Git's back after the review.
    const live = kube.objects.get('|ConfigMap|web|settings');
    await kube.apply({ ...live, data: { color: 'purple' } } as never, {
      fieldManager: 'kubectl-edit',
    });
    const outcome = await deployApp(reconcile, deps);
    expect(outcome).toMatchObject({
      status: 'applied',
      plan: { binding: { kind: 'moved', moved: 'live' } },
    });
    const status = git.deployments.at(-1)?.statuses.at(-1);
    expect(status?.description).toBe(
      `Applied ${merged.slice(0, 7)}: 1 configured; live state moved since the plan reviewed in #7 (fresh plan linked)`,
    );
    const fresh = (git.comments.get(`${REPO}#7`) ?? []).at(-1);
    expect(fresh?.body).toContain('live state moved since the plan reviewed in #7');
    expect(fresh?.body).toContain('Fresh plan at merge');
    expect(status?.logUrl).toBe(fresh?.url);
  });
});

describe('requireReviewedPlan', () => {
  const held = (files: Record<string, string>) => ({
    ...files,
    'plumbline.yaml': files['plumbline.yaml']?.replace(
      '    namespace: web\n',
      '    namespace: web\n    requireReviewedPlan: true\n',
    ) as string,
  });

  it('holds the deploy when live state moved since the review, shows a fresh plan, and applies it on the next run', async () => {
    const { git, deps, kube } = flowSetup();
    const baseSha = git.commit(REPO, 'main', held(baseFiles('blue')));
    // First deploy of a new app: no pull request, so it is held until reviewed.
    const first = await deployApp(reconcile, deps);
    expect(first).toMatchObject({
      status: 'held',
      reason: 'held: no plan was shown for this commit on a pull request',
    });
    expect(kube.objects.has('|ConfigMap|web|settings')).toBe(false);
    expect(git.deployments.at(-1)?.statuses.map((s) => s.state)).toEqual(['queued']);
    expect(git.statuses.at(-1)).toMatchObject({
      context: 'plumbline/web',
      state: 'pending',
      description: expect.stringMatching(
        /^Held \(plan [0-9a-f]{12}\): no plan was shown for this commit on a pull request; merge through a pull request$/,
      ),
    });
    // Held again on the next sweep or push: reported once, not again.
    const deployments = git.deployments.length;
    expect((await deployApp(reconcile, deps)).status).toBe('held');
    expect(git.deployments).toHaveLength(deployments);

    // Reviewed through a pull request, then merged: applied.
    const headSha = git.commit(REPO, 'feature', held(baseFiles('green')));
    git.openPullRequest(REPO, {
      number: 8,
      state: 'open',
      merged: false,
      headSha,
      headRef: 'feature',
      headRepo: REPO,
      baseRef: 'main',
      baseSha,
    });
    await planPullRequest({ kind: 'plan', repo: REPO, number: 8, deliveryId: 'd-3' }, deps);
    const merged = git.commit(REPO, 'main', held(baseFiles('green')));
    git.commitPulls.set(`${REPO}@${merged}`, [{ number: 8, headSha, merged: true }]);
    expect(await deployApp(reconcile, deps)).toMatchObject({ status: 'applied', sha: merged });
    expect(kube.objects.get('|ConfigMap|web|settings')?.data).toEqual({
      color: 'green',
    });

    // Reviewed again, but the cluster moves between review and merge: held, with a fresh plan.
    const headTwo = git.commit(REPO, 'feature', held(baseFiles('yellow')));
    git.openPullRequest(REPO, {
      number: 9,
      state: 'open',
      merged: false,
      headSha: headTwo,
      headRef: 'feature',
      headRepo: REPO,
      baseRef: 'main',
      baseSha: merged,
    });
    await planPullRequest({ kind: 'plan', repo: REPO, number: 9, deliveryId: 'd-4' }, deps);
    const live = kube.objects.get('|ConfigMap|web|settings');
    await kube.apply({ ...live, data: { color: 'purple' } } as never, {
      fieldManager: 'kubectl-edit',
    });
    const mergedTwo = git.commit(REPO, 'main', held(baseFiles('yellow')));
    git.commitPulls.set(`${REPO}@${mergedTwo}`, [{ number: 9, headSha: headTwo, merged: true }]);
    const holding = await deployApp(reconcile, deps);
    expect(holding).toMatchObject({
      status: 'held',
      reason: 'held: live state moved since the plan reviewed in #9',
      plan: { freshPlanUrl: expect.stringContaining('#issuecomment-') },
    });
    expect(kube.objects.get('|ConfigMap|web|settings')?.data).toEqual({
      color: 'purple',
    });
    const status = git.deployments.at(-1)?.statuses.at(-1);
    expect(status?.state).toBe('queued');
    expect(status?.description).toMatch(
      /^Held \(plan [0-9a-f]{12}\): live state moved since the plan reviewed in #9; fresh plan shown on the pull request$/,
    );
    expect(status?.logUrl).toBe((git.comments.get(`${REPO}#9`) ?? []).at(-1)?.url);

    // The fresh plan was shown on the pull request: the next run applies it, if nothing moved.
    expect(await deployApp(reconcile, deps)).toMatchObject({ status: 'applied', sha: mergedTwo });
    expect(kube.objects.get('|ConfigMap|web|settings')?.data).toEqual({
      color: 'yellow',
    });
  });

  it('binds by both halves and names what moved', () => {
    const plan = (desired: string, live: string) => ({
      digests: { desired: `sha256:${desired.repeat(64)}`, live: `sha256:${live.repeat(64)}` },
    });
    const shown = [
      {
        ...parseStamp(stampText({ desired: 'a'.repeat(32), live: 'b'.repeat(32) })),
        source: 'pull' as const,
        number: 3,
        sha: 'x',
      },
    ] as never;
    expect(bindPlan(plan('a', 'b'), shown).kind).toBe('matched');
    expect(bindPlan(plan('a', 'c'), shown)).toMatchObject({ kind: 'moved', moved: 'live' });
    expect(bindPlan(plan('c', 'b'), shown)).toMatchObject({ kind: 'moved', moved: 'base' });
    expect(bindPlan(plan('c', 'c'), shown)).toMatchObject({ kind: 'moved', moved: 'both' });
    expect(bindPlan(plan('a', 'b'), []).kind).toBe('none');
  });
});
