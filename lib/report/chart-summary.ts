/**
 * One line naming the Helm charts a render inflated, with their digests, for the places that
 * record what was deployed or planned: the pull request comment, the GitHub deployment and the
 * deploy log. Digests are shortened to 12 hex digits, as container image IDs are.
 */
import type { RenderedChart } from '../render/helm-inflate.ts';

/** `web 1.1.0 (sha256:0123456789ab), db local (sha256:…)`, or `''` without charts. */
export function describeCharts(charts: readonly RenderedChart[]): string {
  return charts
    .map((c) => `${c.name} ${c.repo ? (c.version ?? '') : 'local'} (${c.digest.slice(0, 19)})`)
    .join(', ');
}
