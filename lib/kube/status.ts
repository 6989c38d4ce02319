/**
 * The Kubernetes `Status` object an API server answers errors with: the parts Plumbline reads,
 * shared by the error translation (`errors.ts`) and the retry decision (`transient.ts`).
 */

/** One cause of a `Status`, e.g. a field manager conflict or an invalid field. */
export interface StatusCause {
  type?: string;
  field?: string;
  message?: string;
}

/** The parts of a Kubernetes `Status` answer Plumbline reads. */
export interface KubeStatus {
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: StatusCause[] };
}
