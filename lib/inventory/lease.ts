/**
 * One writer per app: a `coordination.k8s.io/v1` Lease in the app namespace, taken and renewed
 * the way client-go's leader election does it.
 *
 * - Every write carries the resourceVersion last read (create when absent), so of two racing
 *   runs exactly one wins.
 * - Expiry is never judged by comparing the record's timestamps with the local wall clock
 *   (clocks of a laptop, a server and a Worker disagree): a waiting run notes on its own
 *   monotonic clock when it last saw the record change, and treats the lease as expired once
 *   it has not changed for `leaseDurationSeconds`. A fresh run therefore waits at most one
 *   duration behind a crashed holder.
 * - The holder renews well inside the duration while it works, and stops trusting the lease
 *   (`check()` throws) once renewals failed for two thirds of it, before anyone else may take
 *   it over.
 * - A holder on this host whose process is gone (the runtime tells, through `isHolderAlive`)
 *   is taken over at once.
 * - Release never throws: it is retried, and a lease that could not be released expires
 *   within one duration.
 */

import { toHex } from '../core/encoding.ts';
import type { KubeObject, ObjectRef } from '../core/object.ts';
import { describeRef } from '../core/object.ts';
import { KubeError, LeaseError, messageOf } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';

/** The field manager of lease writes (separate from the app's fields). */
export const leaseFieldManager = 'plumbline-lease';

/** The default lease duration, client-go's: short, since it is renewed while a run works. */
export const defaultLeaseDurationSeconds = 15;

/** The Lease of an app: `plumbline-<app>` in the app namespace, beside the ApplySet parent. */
export function leaseRef(app: string, namespace: string): ObjectRef {
  return { group: 'coordination.k8s.io', kind: 'Lease', namespace, name: `plumbline-${app}` };
}

/** How often a holder renews, retries and gives up, and how often a candidate looks again. */
export interface LeaseTimings {
  durationMs: number;
  /** Interval between renewals while held. */
  renewMs: number;
  /** After this long without a successful renewal, the holder stops trusting the lease. */
  renewDeadlineMs: number;
  /** Interval between attempts (a failed renewal, a candidate looking again). */
  retryMs: number;
}

/** Timings derived from the duration in client-go's proportions (15 s: 3 s, 10 s, 2 s). */
export function leaseTimings(durationSeconds: number): LeaseTimings {
  const durationMs = durationSeconds * 1000;
  return {
    durationMs,
    renewMs: durationMs / 5,
    renewDeadlineMs: (durationMs * 2) / 3,
    retryMs: durationMs / 7.5,
  };
}

/** Options of `acquireLease`. */
export interface LeaseOptions {
  /**
   * Who takes it, e.g. `cli/<host>/<pid>`: a random suffix is added, so two runs of one process
   * never both believe they hold it.
   */
  holder: string;
  /** `leaseDurationSeconds` written (default 15). */
  durationSeconds?: number;
  /** How long to wait for another holder (default: one duration and a bit, which outwaits a crashed holder). */
  waitMs?: number;
  /**
   * Whether the process behind a holder identity still runs: `false` when it certainly does
   * not (same host, process gone), `undefined` when this runtime cannot tell. Injected by the
   * runtime (`lib/` knows no processes).
   */
  isHolderAlive?: (identity: string) => boolean | undefined;
  /** Called once when the namespace of the lease does not exist (create it, or throw). */
  ensureNamespace?: () => Promise<void>;
  /** Monotonic milliseconds (default `performance.now`): judges expiry and renew deadlines. */
  monotonic?: () => number;
  /** Wall-clock milliseconds: only written into acquireTime/renewTime for people to read. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** How a lease was taken. */
export interface LeaseTakeover {
  /** The identity that held it before. */
  holder: string;
  /** Its process is gone (`dead`), or the record stopped changing for a duration (`expired`). */
  why: 'dead' | 'expired';
}

/** What release did. */
export interface LeaseRelease {
  released: boolean;
  attempts: number;
  /** Why it could not be released (the lease then expires within one duration). */
  error?: LeaseError;
}

/** A held lease. */
export interface Lease {
  /** The identity written into `holderIdentity`. */
  identity: string;
  ref: ObjectRef;
  timings: LeaseTimings;
  /** Set when a stale holder was taken over. */
  takeover?: LeaseTakeover;
  /** Throws `LeaseError` (`lost`) once this run may no longer write as the app's holder. */
  check(): void;
  /** Stops renewing and frees the lease; never throws (see `LeaseRelease`). */
  release(): Promise<LeaseRelease>;
}

/** A Lease's spec as read. */
interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

function specOf(object: KubeObject): LeaseSpec {
  return (object.spec ?? {}) as LeaseSpec;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function leaseObject(ref: ObjectRef, spec: LeaseSpec, resourceVersion?: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'plumbline' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: spec as KubeObject['spec'],
  };
}

function randomSuffix(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(4)));
}

const isConflict = (error: unknown) => error instanceof KubeError && error.status === 409;
const isNotFound = (error: unknown) => error instanceof KubeError && error.status === 404;

/** Reads an app's lease, or `undefined` when it has none. */
export async function readLease(
  client: KubeClient,
  ref: ObjectRef,
): Promise<{ object: KubeObject; spec: LeaseSpec } | undefined> {
  const object = await client.get(ref);
  return object ? { object, spec: specOf(object) } : undefined;
}

/**
 * Takes the app's lease (`ref`), waiting up to `waitMs` for another holder; see the module
 * comment for the rules. Throws `LeaseError` (`held`) when another run still holds it.
 */
export async function acquireLease(
  client: KubeClient,
  ref: ObjectRef,
  options: LeaseOptions,
): Promise<Lease> {
  const monotonic = options.monotonic ?? (() => performance.now());
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const durationSeconds = options.durationSeconds ?? defaultLeaseDurationSeconds;
  const timings = leaseTimings(durationSeconds);
  const identity = `${options.holder}#${randomSuffix()}`;
  const subject = describeRef(ref);
  const deadline = monotonic() + (options.waitMs ?? timings.durationMs + 2 * timings.retryMs);
  let observed: { resourceVersion: string; at: number } | undefined;
  let namespaceEnsured = false;

  for (;;) {
    let live: Awaited<ReturnType<typeof readLease>>;
    try {
      live = await readLease(client, ref);
    } catch (error) {
      throw leaseFailure(subject, 'could not read the lease', error);
    }
    const stamp = microTime(now());
    if (!live) {
      try {
        const created = await client.create(
          leaseObject(ref, {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: stamp,
            renewTime: stamp,
            leaseTransitions: 0,
          }),
          { fieldManager: leaseFieldManager },
        );
        return holdLease(client, ref, identity, created, timings, { monotonic, now });
      } catch (error) {
        if (isConflict(error)) continue; // another run created it first: look again
        if (isNotFound(error) && options.ensureNamespace && !namespaceEnsured) {
          namespaceEnsured = true;
          await options.ensureNamespace();
          continue;
        }
        throw leaseFailure(subject, 'could not create the lease', error);
      }
    }
    const spec = live.spec;
    const holder = spec.holderIdentity ?? '';
    const resourceVersion = live.object.metadata.resourceVersion ?? '';
    if (!observed || observed.resourceVersion !== resourceVersion) {
      observed = { resourceVersion, at: monotonic() };
    }
    const duration = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    const alive = holder ? options.isHolderAlive?.(holder) : undefined;
    const free = holder === '';
    const expired = !free && monotonic() - observed.at >= duration;
    if (free || alive === false || expired) {
      const takeover: LeaseTakeover | undefined = free
        ? undefined
        : { holder, why: alive === false ? 'dead' : 'expired' };
      try {
        const taken = await client.replace(
          leaseObject(
            ref,
            {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: stamp,
              renewTime: stamp,
              leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
            },
            resourceVersion,
          ),
          { fieldManager: leaseFieldManager },
        );
        return holdLease(client, ref, identity, taken, timings, { monotonic, now }, takeover);
      } catch (error) {
        if (!isConflict(error)) throw leaseFailure(subject, 'could not take the lease', error);
        continue; // lost the race: look again at once
      }
    }
    if (monotonic() >= deadline) {
      const quietFor = Math.round((monotonic() - observed.at) / 1000);
      throw new LeaseError(
        `${subject}: the app is being applied by ${holder} (its lease was renewed ${quietFor} s ago as seen from here; it expires after ${Math.round(duration / 1000)} s without renewal)`,
        'held',
        {
          object: subject,
          holder,
          hint: 'wait for that run to finish (it is retried automatically), or, if it is gone, break its lease with `plumbline unlock`',
        },
      );
    }
    await sleep(Math.min(timings.retryMs, Math.max(0, deadline - monotonic())));
  }
}

function leaseFailure(subject: string, what: string, error: unknown): LeaseError {
  return new LeaseError(`${subject}: ${what}: ${messageOf(error)}`, 'failed', {
    object: subject,
    cause: error,
    hint:
      error instanceof KubeError && error.status === 403
        ? 'the deployer needs get, create and update on leases.coordination.k8s.io in the app namespace (infra/rbac/)'
        : 'the API server could not be reached; the next run retries',
  });
}

/** The handle of a lease this run holds: renews it in the background until released. */
function holdLease(
  client: KubeClient,
  ref: ObjectRef,
  identity: string,
  taken: KubeObject,
  timings: LeaseTimings,
  clocks: { monotonic: () => number; now: () => number },
  takeover?: LeaseTakeover,
): Lease {
  const subject = describeRef(ref);
  let current = taken;
  let lastRenewed = clocks.monotonic();
  let lost: LeaseError | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  const lose = (why: string, cause?: unknown) => {
    lost ??= new LeaseError(`${subject}: lost the app's lease: ${why}`, 'lost', {
      object: subject,
      cause,
      hint: 'nothing more was written after it was lost; the next run converges',
    });
  };

  /** One renewal; on a conflict, re-reads and renews only if the lease is still ours. */
  async function renewOnce(): Promise<void> {
    const spec = { ...specOf(current), renewTime: microTime(clocks.now()) };
    try {
      current = await client.replace(leaseObject(ref, spec, current.metadata.resourceVersion), {
        fieldManager: leaseFieldManager,
      });
    } catch (error) {
      if (!isConflict(error) && !isNotFound(error)) throw error;
      const live = await readLease(client, ref);
      if (live?.spec.holderIdentity !== identity) {
        lose(`it is now held by ${live?.spec.holderIdentity || 'no one'} (taken over or broken)`);
        return;
      }
      current = live.object;
      return renewOnce();
    }
  }

  const renewing = (async () => {
    while (!stopped && !lost) {
      const sinceRenewal = clocks.monotonic() - lastRenewed;
      await pause(
        sinceRenewal < timings.renewMs ? timings.renewMs - sinceRenewal : timings.retryMs,
      );
      if (stopped || lost) break;
      try {
        await renewOnce();
        if (!lost) lastRenewed = clocks.monotonic();
      } catch (error) {
        if (clocks.monotonic() - lastRenewed > timings.renewDeadlineMs) {
          lose(`no renewal for ${Math.round(timings.renewDeadlineMs / 1000)} s`, error);
        }
      }
    }
  })();

  return {
    identity,
    ref,
    timings,
    ...(takeover ? { takeover } : {}),
    check() {
      if (!lost && clocks.monotonic() - lastRenewed > timings.renewDeadlineMs) {
        lose(`no renewal for ${Math.round(timings.renewDeadlineMs / 1000)} s`);
      }
      if (lost) throw lost;
    },
    async release() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
      await renewing;
      if (lost) return { released: false, attempts: 0, error: lost };
      let lastError: unknown;
      const attempts = 5;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const spec = specOf(current);
          // As client-go releases: no holder, and a 1 s duration for readers of old records.
          current = await client.replace(
            leaseObject(
              ref,
              {
                leaseDurationSeconds: 1,
                ...(spec.acquireTime ? { acquireTime: spec.acquireTime } : {}),
                renewTime: microTime(clocks.now()),
                leaseTransitions: spec.leaseTransitions ?? 0,
              },
              current.metadata.resourceVersion,
            ),
            { fieldManager: leaseFieldManager },
          );
          return { released: true, attempts: attempt };
        } catch (error) {
          lastError = error;
          if (isConflict(error) || isNotFound(error)) {
            try {
              const live = await readLease(client, ref);
              if (live?.spec.holderIdentity !== identity)
                return { released: true, attempts: attempt };
              current = live.object;
              continue;
            } catch (readError) {
              lastError = readError;
            }
          }
          if (attempt < attempts) {
            await new Promise<void>((r) =>
              setTimeout(r, Math.min(timings.retryMs, 1_000) * attempt),
            );
          }
        }
      }
      return {
        released: false,
        attempts,
        error: new LeaseError(
          `${subject}: could not release the lease: ${messageOf(lastError)}`,
          'failed',
          {
            object: subject,
            cause: lastError,
            hint: `it expires by itself ${Math.round(timings.durationMs / 1000)} s after its last renewal`,
          },
        ),
      };
    },
  };
}

/** What breaking a lease did: a record for logs and history. */
export interface BrokenLease {
  lease: string;
  /** The identity that held it (`undefined`: it was free). */
  holder: string | undefined;
  acquireTime: string | undefined;
  renewTime: string | undefined;
  brokenBy: string;
  brokenAt: string;
}

/**
 * Breaks an app's lease (`plumbline unlock`): clears the holder with a resourceVersion
 * precondition, so a holder that renewed meanwhile is not broken blindly (409: look again).
 * A holder still running sees on its next renewal that it lost the lease and stops writing.
 */
export async function breakLease(
  client: KubeClient,
  ref: ObjectRef,
  by: string,
  expected: { resourceVersion: string },
  now: () => number = Date.now,
): Promise<BrokenLease> {
  const live = await readLease(client, ref);
  const subject = describeRef(ref);
  if (!live) {
    throw new LeaseError(`${subject}: there is no lease to break`, 'failed', { object: subject });
  }
  if (live.object.metadata.resourceVersion !== expected.resourceVersion) {
    throw new LeaseError(`${subject}: the lease changed since it was shown; look again`, 'held', {
      object: subject,
      ...(live.spec.holderIdentity ? { holder: live.spec.holderIdentity } : {}),
      hint: 'run the command again to see the current holder',
    });
  }
  const spec = live.spec;
  await client.replace(
    leaseObject(
      ref,
      {
        leaseDurationSeconds: 1,
        renewTime: microTime(now()),
        leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
      },
      expected.resourceVersion,
    ),
    { fieldManager: leaseFieldManager },
  );
  return {
    lease: subject,
    holder: spec.holderIdentity || undefined,
    acquireTime: spec.acquireTime,
    renewTime: spec.renewTime,
    brokenBy: by,
    brokenAt: new Date(now()).toISOString(),
  };
}
