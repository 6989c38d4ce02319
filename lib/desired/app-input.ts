/** What plan, apply and drift are given: an app's rendered objects at one revision. */
import type { KubeObject } from '../core/object.ts';
import type { Redactor } from '../secrets/secret-ledger.ts';

/** An app's desired state: its rendered objects at a revision. */
export interface AppInput {
  /** App name: the ApplySet parent Secret's name. */
  app: string;
  /** The app namespace: default for namespaced objects and home of the parent. */
  namespace: string;
  objects: readonly KubeObject[];
  /** The commit the objects were rendered from. */
  revision: string;
  /** Objects whose values are secret (decrypted from SOPS), by `refKey`; Secrets always are. */
  sensitive?: ReadonlySet<string>;
  /** The job's decrypted values, masked wherever they travelled (the job's secret ledger). */
  secrets?: Redactor;
  /**
   * The rendered digest (`sha256:<hex>`, `RenderResult.digest`): what the parent records as
   * applied and what a job compares with the head's. Computed from the objects when absent.
   */
  digest?: string;
}
