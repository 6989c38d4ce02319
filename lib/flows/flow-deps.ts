/** What the GitHub flows (deploy, plan, sweep) need from the runtime. */
import type { AppConfig } from '../config/repo-config.ts';
import type { FileDecryptor } from '../core/decryptor.ts';
import type { ClusterAccess } from '../credentials/cluster-access.ts';
import { messageOf } from '../errors.ts';
import type { HostAccess } from '../hosts/host-access.ts';
import type { LeaseOptions } from '../inventory/lease.ts';
import type { ResolveJobDeps } from '../jobs/resolve-job.ts';
import type { Logger } from '../ports/logger.ts';
import type { RegisteredRepo } from '../ports/repo-registry.ts';
import type { HelmSupport } from '../render/helm-renderer.ts';
import type { RenderPort } from '../render/index.ts';

/** The ports and settings every flow reads. */
export interface FlowDeps extends ResolveJobDeps {
  clusters: ClusterAccess;
  /** The SOPS decryptor for an app; without one, encrypted files fail to decrypt (clearly). */
  decryptorFor?: (repo: RegisteredRepo, app: AppConfig) => FileDecryptor;
  /**
   * How apps are rendered: in-process `renderApp` by default. The Node runtime renders in a
   * sandbox that holds no credentials, since branches and pull requests are hostile input.
   */
  render?: RenderPort;
  /** Names this invocation in the app's lease (`node/<host>/<pid>`, a Worker's id...). */
  holder: string;
  /** Lease settings of the runtime: how long, and whether a holder's process still runs. */
  lease?: Pick<LeaseOptions, 'durationSeconds' | 'waitMs' | 'isHolderAlive'>;
  logger: Logger;
  /** Wait for rollouts after applying. */
  health?: { timeoutMs: number };
  /** Shells on hosts, for `files` apps; without it, they fail clearly. */
  hosts?: HostAccess;
  /** How to inflate Helm charts; absent where no helm can run (an app with a chart then fails). */
  helm?: HelmSupport;
}

/**
 * Runs a reporting call (comment, status, deployment) without letting its failure undo the
 * work it reports on: the failure is logged, and the next job or sweep reports again.
 */
export async function bestEffort<R>(
  logger: Logger,
  what: string,
  call: () => Promise<R>,
): Promise<R | undefined> {
  try {
    return await call();
  } catch (error) {
    logger.log('warn', `${what} failed`, { error: messageOf(error) });
    return undefined;
  }
}
