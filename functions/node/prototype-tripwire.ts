/**
 * A tripwire for prototype pollution, checked before a credential leaves the process. Node's
 * TLS and HTTP internals read options through `Object.prototype` (a `rejectUnauthorized` or a
 * `ca` they were not given), so a polluted prototype could turn off certificate checks for
 * every later connection. Render code must never let that happen; if it ever did, the
 * transports refuse to connect instead of sending a token over a connection nobody verifies.
 *
 * The snapshot is taken when this module loads (at start-up, before any repository content is
 * read): the own property names and values of `Object.prototype` and `Array.prototype`.
 */
import { CredentialsError } from '../../lib/errors.ts';

type Snapshot = ReadonlyMap<string | symbol, unknown>;

function snapshotOf(target: object): Snapshot {
  const values = new Map<string | symbol, unknown>();
  for (const key of Reflect.ownKeys(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    values.set(key, descriptor && ('value' in descriptor ? descriptor.value : descriptor.get));
  }
  return values;
}

const PROTOTYPES: readonly [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
];
const SNAPSHOTS = PROTOTYPES.map(([, target]) => snapshotOf(target));

/** The name of the first prototype changed since start-up, or `undefined`. */
export function pollutedPrototype(): string | undefined {
  for (const [i, [name, target]] of PROTOTYPES.entries()) {
    const now = snapshotOf(target);
    const before = SNAPSHOTS[i] as Snapshot;
    if (now.size !== before.size) return name;
    for (const [key, value] of now) {
      if (!before.has(key) || before.get(key) !== value) return name;
    }
  }
  return undefined;
}

/** Throws when a prototype changed since start-up (then no credential may be sent). */
export function assertPristinePrototypes(): void {
  const polluted = pollutedPrototype();
  if (polluted) {
    throw new CredentialsError(
      `${polluted} was modified after start-up: refusing to connect to a cluster from a polluted process`,
      {
        hint: 'A bug let input change a built-in prototype; restart Plumbline and report the input that did it.',
      },
    );
  }
}
