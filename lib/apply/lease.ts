/**
 * A lease on the app's ApplySet parent so two invocations never apply one app at once. The
 * holder and expiry live in `plumbline.dev/lease-*` annotations, owned by their own field
 * manager, and are taken by compare-and-swap on the parent's resourceVersion (or by create
 * when the parent does not exist yet): of two racing takers, exactly one wins.
 */

import { describeRef, type KubeObject } from '../core/object.ts';
import { ApplyError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { isKubeStatus } from '../kube/errors.ts';
import {
  applySetLabels,
  type Inventory,
  plumblineAnnotations,
  plumblineTooling,
} from './applyset.ts';

/** The field manager that owns the lease annotations (separate from the set's fields). */
export const leaseFieldManager = 'plumbline-lease';

/** Options of `acquireLease`. */
export interface LeaseOptions {
  /** Who takes it, e.g. `cli@host/pid` or a job id. */
  holder: string;
  /** How long the lease lasts unless released (default 10 minutes). */
  durationMs?: number;
  /** How long to wait for another holder to finish (default 0: fail at once). */
  waitMs?: number;
  /** Poll interval while waiting (default 500 ms). */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A held lease. */
export interface Lease {
  holder: string;
  expiresAt: string;
  /** Gives the lease up (only if still held by this holder). */
  release(): Promise<void>;
}

function leaseObject(
  inv: Pick<Inventory, 'parent' | 'id'>,
  annotations: Record<string, string>,
  resourceVersion?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: inv.parent.name,
      namespace: inv.parent.namespace,
      ...(resourceVersion ? { resourceVersion } : {}),
      annotations,
    },
  };
}

/** Takes the lease on the app's parent, waiting up to `waitMs` for another holder. */
export async function acquireLease(
  client: KubeClient,
  inv: Pick<Inventory, 'parent' | 'id'>,
  options: LeaseOptions,
): Promise<Lease> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const duration = options.durationMs ?? 600_000;
  const deadline = now() + (options.waitMs ?? 0);
  const subject = describeRef(inv.parent);
  let conflicts = 0;
  for (;;) {
    const expiresAt = new Date(now() + duration).toISOString();
    const mine = {
      [plumblineAnnotations.leaseHolder]: options.holder,
      [plumblineAnnotations.leaseExpires]: expiresAt,
    };
    const live = await client.get(inv.parent);
    let blocker: { holder: string; until: string } | undefined;
    try {
      if (!live) {
        // A new parent: create is atomic, so only one racer gets it.
        await client.create(
          {
            ...leaseObject(inv, { ...mine, [applySetLabels.tooling]: plumblineTooling() }),
            type: 'Opaque',
            metadata: {
              ...leaseObject(inv, mine).metadata,
              labels: { [applySetLabels.id]: inv.id },
              annotations: { ...mine, [applySetLabels.tooling]: plumblineTooling() },
            },
          },
          { fieldManager: leaseFieldManager },
        );
        return makeLease(client, inv, options.holder, expiresAt);
      }
      const annotations = live.metadata.annotations ?? {};
      const holder = annotations[plumblineAnnotations.leaseHolder];
      const until = annotations[plumblineAnnotations.leaseExpires] ?? '';
      const expired = !holder || !(Date.parse(until) > now());
      if (holder && holder !== options.holder && !expired) {
        blocker = { holder, until };
      } else {
        await client.apply(leaseObject(inv, mine, live.metadata.resourceVersion), {
          fieldManager: leaseFieldManager,
          force: true,
        });
        return makeLease(client, inv, options.holder, expiresAt);
      }
    } catch (error) {
      // Lost a race (create or compare-and-swap): look again at once, to name the winner.
      if (!isKubeStatus(error, 409)) throw error;
      if (++conflicts <= 5) continue;
    }
    if (now() >= deadline) {
      throw new ApplyError(
        blocker
          ? `${subject}: the app is being applied by ${blocker.holder} (lease until ${blocker.until})`
          : `${subject}: could not take the lease: the parent kept changing`,
        {
          object: subject,
          hint: 'wait for the other apply to finish, or retry with a longer wait',
        },
      );
    }
    await sleep(options.pollMs ?? 500);
  }
}

function makeLease(
  client: KubeClient,
  inv: Pick<Inventory, 'parent' | 'id'>,
  holder: string,
  expiresAt: string,
): Lease {
  return {
    holder,
    expiresAt,
    async release() {
      for (let attempt = 0; attempt < 5; attempt++) {
        const live = await client.get(inv.parent);
        if (live?.metadata.annotations?.[plumblineAnnotations.leaseHolder] !== holder) return;
        try {
          // Emptied rather than removed: the annotations may be owned by the create that made them.
          const free = {
            [plumblineAnnotations.leaseHolder]: '',
            [plumblineAnnotations.leaseExpires]: '',
          };
          await client.apply(leaseObject(inv, free, live.metadata.resourceVersion), {
            fieldManager: leaseFieldManager,
            force: true,
          });
          return;
        } catch (error) {
          if (!isKubeStatus(error, 409)) throw error;
        }
      }
    },
  };
}
