/**
 * A snapshot of the built-in prototypes, to prove that rendering hostile input changed none of
 * them: every own property (names and symbols) with its descriptor, compared by identity.
 */

const prototypes: Record<string, object> = {
  'Object.prototype': Object.prototype,
  'Array.prototype': Array.prototype,
  'Function.prototype': Function.prototype,
  'String.prototype': String.prototype,
  'Number.prototype': Number.prototype,
  'Boolean.prototype': Boolean.prototype,
  'Map.prototype': Map.prototype,
  'Set.prototype': Set.prototype,
  'Promise.prototype': Promise.prototype,
  'Error.prototype': Error.prototype,
  'RegExp.prototype': RegExp.prototype,
  'Uint8Array.prototype': Uint8Array.prototype,
};

type Snapshot = Map<string, PropertyDescriptor>;

/** Every own property of every built-in prototype above, with its descriptor. */
export function snapshotPrototypes(): Snapshot {
  const out: Snapshot = new Map();
  for (const [name, proto] of Object.entries(prototypes)) {
    out.set(`${name} [[Prototype]]`, { value: Object.getPrototypeOf(proto) });
    out.set(`${name} [[Extensible]]`, { value: Object.isExtensible(proto) });
    for (const key of Reflect.ownKeys(proto)) {
      out.set(
        `${name}.${String(key)}`,
        Object.getOwnPropertyDescriptor(proto, key) as PropertyDescriptor,
      );
    }
  }
  return out;
}

/** The properties added, removed or changed since `before` (empty when nothing changed). */
export function prototypeChanges(before: Snapshot): string[] {
  const after = snapshotPrototypes();
  const changes: string[] = [];
  for (const [key, descriptor] of after) {
    const old = before.get(key);
    if (!old) changes.push(`added ${key}`);
    else if (
      !Object.is(old.value, descriptor.value) ||
      old.get !== descriptor.get ||
      old.set !== descriptor.set ||
      old.writable !== descriptor.writable ||
      old.enumerable !== descriptor.enumerable ||
      old.configurable !== descriptor.configurable
    ) {
      changes.push(`changed ${key}`);
    }
  }
  for (const key of before.keys()) if (!after.has(key)) changes.push(`removed ${key}`);
  return changes;
}
