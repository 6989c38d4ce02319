/**
 * Maps built from repository data. Every mapping a render reads from YAML or JSON, and every
 * mapping it builds while transforming objects, is a data map: its prototype is one frozen,
 * empty object that itself has no prototype. So no key can reach a JavaScript internal through
 * it: reading `constructor` or `__proto__` finds nothing unless the document holds that key,
 * `'hasOwnProperty' in map` is false, and assigning any key, `__proto__` included, creates an
 * own property instead of changing a prototype. Keys that name JavaScript internals are plain
 * data, as they are for kustomize, and no patch or path can climb out of the document.
 *
 * (A prototype of its own rather than `Object.create(null)`: V8 keeps such objects in its fast
 * representation, where prototype-less objects become hash tables, several times larger.)
 */

/** The prototype of every data map: empty, frozen, and without a prototype itself. */
const dataPrototype: object = Object.freeze(Object.create(null));

/** A mapping of repository data. */
export type DataMap<T = unknown> = Record<string, T>;

/** A new, empty data map. */
export function newDataMap<T = unknown>(): DataMap<T> {
  return Object.create(dataPrototype) as DataMap<T>;
}

/**
 * A new data map holding the own enumerable fields of each source in turn (later sources win),
 * the safe form of `{...a, ...b}` for repository data.
 */
export function dataMapFrom<T = unknown>(...sources: (object | undefined)[]): DataMap<T> {
  const out = newDataMap<T>();
  for (const source of sources) if (source) Object.assign(out, source);
  return out;
}

/**
 * Copies `source`'s own fields into `target` as own fields, whatever `target`'s prototype:
 * the safe form of `Object.assign` when the target might not be a data map.
 */
export function assignFields(target: object, source: object): void {
  for (const key of Object.keys(source)) {
    Object.defineProperty(target, key, {
      value: (source as DataMap)[key],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

/** True when `value` is a data map (built by this module). */
export function isDataMap(value: unknown): value is DataMap {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === dataPrototype
  );
}

/**
 * A deep copy of a JSON-like value in which every mapping is a data map: the form for values
 * parsed by something else (`JSON.parse`), and the render's replacement for `structuredClone`
 * (which would hand back ordinary objects). Own enumerable fields only; `Uint8Array`s are
 * copied, other non-plain values are kept as they are.
 */
export function cloneData<T>(value: T, count?: NodeCount): T {
  if (count) count.nodes++;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneData(value[i], count);
    return out as T;
  }
  if (value instanceof Uint8Array) return value.slice() as T;
  const out = newDataMap();
  for (const key of Object.keys(value)) out[key] = cloneData((value as DataMap)[key], count);
  return out as T;
}

/** Counts the values `cloneData` built (for the render's work budget). */
export interface NodeCount {
  nodes: number;
}

/** The value of `map`'s own field `key` (never an inherited one). */
export function ownField(map: object, key: string): unknown {
  return Object.hasOwn(map, key) ? (map as DataMap)[key] : undefined;
}
