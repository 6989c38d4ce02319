import { describe, expect, it } from 'vitest';
import type { ApplyProgress } from '../../../lib/apply/apply-progress.ts';
import { assessHealth, waitHealthy } from '../../../lib/apply/health.ts';
import type { KubeObject } from '../../../lib/core/object.ts';
import { createFakeKubeClient } from '../../doubles/fake-kube-client.ts';

const workload = (
  kind: string,
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  generation = 2,
): KubeObject => ({
  apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
  kind,
  metadata: { name: 'w', namespace: 'shop', generation },
  spec,
  status,
});

describe('assessHealth', () => {
  it('waits for the controller to observe the latest generation', () => {
    expect(
      assessHealth(
        workload(
          'Deployment',
          { replicas: 2 },
          { observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2, replicas: 2 },
        ),
      ).state,
    ).toBe('progressing');
  });

  it('calls a Deployment healthy once every replica is updated and available', () => {
    const status = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    expect(assessHealth(workload('Deployment', { replicas: 2 }, status))).toEqual({
      state: 'healthy',
      message: '2 of 2 available',
    });
    expect(
      assessHealth(workload('Deployment', { replicas: 2 }, { ...status, availableReplicas: 1 }))
        .message,
    ).toBe('1 of 2 available');
    expect(
      assessHealth(workload('Deployment', { replicas: 2 }, { ...status, replicas: 3 })).message,
    ).toBe('1 old replicas pending termination');
  });

  it('fails a Deployment past its progress deadline', () => {
    const health = assessHealth(
      workload(
        'Deployment',
        { replicas: 1 },
        {
          observedGeneration: 2,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "w-1" has timed out progressing.',
            },
          ],
        },
      ),
    );
    expect(health.state).toBe('failed');
    expect(health.message).toContain('timed out progressing');
  });

  it('follows StatefulSet revisions and DaemonSet scheduling', () => {
    expect(
      assessHealth(
        workload(
          'StatefulSet',
          { replicas: 1 },
          { observedGeneration: 2, readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' },
        ),
      ).state,
    ).toBe('progressing');
    expect(
      assessHealth(
        workload(
          'StatefulSet',
          { replicas: 1 },
          { observedGeneration: 2, readyReplicas: 1, currentRevision: 'b', updateRevision: 'b' },
        ),
      ).state,
    ).toBe('healthy');
    expect(
      assessHealth(
        workload(
          'DaemonSet',
          {},
          {
            observedGeneration: 2,
            desiredNumberScheduled: 3,
            updatedNumberScheduled: 3,
            numberAvailable: 2,
          },
        ),
      ).message,
    ).toBe('2 of 3 available');
  });

  it('reports Jobs complete or failed from their conditions', () => {
    expect(
      assessHealth(workload('Job', {}, { conditions: [{ type: 'Complete', status: 'True' }] }))
        .state,
    ).toBe('healthy');
    expect(
      assessHealth(
        workload(
          'Job',
          {},
          { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
        ),
      ),
    ).toEqual({
      state: 'failed',
      message: 'failed: BackoffLimitExceeded',
    });
  });
});

describe('waitHealthy progress', () => {
  it('says after each round how many rollouts are ready and what the first pending one waits for', async () => {
    const ready = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    const deployment = (name: string, status: Record<string, unknown>): KubeObject => ({
      ...workload('Deployment', { replicas: 2 }, status),
      metadata: { name, namespace: 'shop', generation: 2 },
    });
    const client = createFakeKubeClient([
      deployment('api', ready),
      deployment('web', { ...ready, availableReplicas: 1 }),
    ]);
    const seen: ApplyProgress[] = [];
    let round = 0;
    await waitHealthy(
      client,
      ['api', 'web'].map((name) => ({
        group: 'apps',
        kind: 'Deployment',
        namespace: 'shop',
        name,
      })),
      {
        timeoutMs: 60_000,
        now: () => round,
        sleep: async () => {
          round += 1;
          await client.apply(deployment('web', ready), { force: true });
        },
        onProgress: (progress) => seen.push(progress),
      },
    );
    expect(seen).toEqual([
      {
        stage: 'health',
        ready: 1,
        total: 2,
        waitingFor: 'Deployment.apps shop/web: 1 of 2 available',
      },
      { stage: 'health', ready: 2, total: 2 },
    ]);
  });
});
