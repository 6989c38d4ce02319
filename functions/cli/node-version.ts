/**
 * The Node.js versions the packaged CLI and Action run on. The minimum is the highest that a
 * bundled dependency declares (undici 8: 22.19) and that the code needs (`module.
 * enableCompileCache`, Node 22.1); every Node LTS line from 22 on qualifies. Written without
 * syntax newer than ES2017, since it runs before anything tells an old Node to stop.
 */

/** The oldest Node.js Plumbline runs on, as `engines.node` in package.json states it. */
export const MINIMUM_NODE = '22.19.0';

function parts(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0);
}

/** True when Node `version` (`v22.19.0` or `22.19.0`) is at least `minimum`. */
export function nodeSupported(version: string, minimum: string = MINIMUM_NODE): boolean {
  const have = parts(version);
  const want = parts(minimum);
  for (let i = 0; i < 3; i++) {
    const a = have[i] || 0;
    const b = want[i] || 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** The one line an unsupported Node gets: what it is, what is needed, and where to get it. */
export function unsupportedNodeMessage(version: string, minimum: string = MINIMUM_NODE): string {
  return `plumbline needs Node.js ${minimum} or later (an LTS line from 22 on); this is Node.js ${version}. Install a current LTS release from https://nodejs.org/ or your package manager.\n`;
}
