/**
 * RFC 6902 JSON patches (add, remove, replace, move, copy, test) with RFC 6901 pointers, the
 * semantics kustomize gets from evanphx/json-patch v4: a missing parent is an error, `-` appends,
 * array indexes are Go integers (negative ones count from the end), `test` compares deeply, and
 * a missing field of a mapping reads as null (`copy` copies null, `replace` sets it).
 *
 * The document is copied into data maps first and pointers only ever step into own fields, so
 * a pointer such as `/__proto__/x` or `/constructor/prototype` names a field that is not there
 * (an error, as in kustomize) rather than a JavaScript internal.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import type { RenderBudget } from './budget.ts';
import { cloneData, type DataMap, type NodeCount } from './data-map.ts';

/** One operation. */
export interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown | undefined;
  from?: string | undefined;
}

class PatchFailure extends Error {}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchFailure(`invalid JSON pointer '${pointer}'`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The position `token` names in an array of `length` items, as Go's `strconv.Atoi` and
 * json-patch read it (`-1` is the last item), or undefined when it is not one. `size` is the
 * length the position may reach (one more than the length when inserting).
 */
function arrayIndex(token: string, size: number): number | undefined {
  if (!/^[+-]?\d+$/.test(token)) return undefined;
  let i = Number(token);
  if (i >= size) return undefined;
  if (i < 0) {
    if (i < -size) return undefined;
    i += size;
  }
  return i;
}

/**
 * The value of an own field or array item: undefined for a missing field (json-patch v4 reads
 * it as null), an error for an index that is not in the array.
 */
function child(node: unknown, token: string, pointer: string): unknown {
  if (Array.isArray(node)) {
    const i = arrayIndex(token, node.length);
    if (i === undefined) throw new PatchFailure(`path '${pointer}': no item at index '${token}'`);
    return node[i];
  }
  if (isJsonObject(node)) return Object.hasOwn(node, token) ? node[token] : undefined;
  throw new PatchFailure(`path '${pointer}' does not exist`);
}

function parentOf(doc: unknown, tokens: string[], pointer: string): unknown {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    node = child(node, token, pointer);
    if (node === undefined || node === null) {
      throw new PatchFailure(`path '${pointer}' does not exist`);
    }
  }
  return node;
}

/** The value at `pointer`; undefined when its last field is missing (its parent must exist). */
function find(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, pointer);
  return child(parent, tokens[tokens.length - 1] as string, pointer);
}

function remove(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchFailure('cannot remove the whole document');
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length);
    if (i === undefined) throw new PatchFailure(`path '${pointer}' does not exist`);
    return parent.splice(i, 1)[0];
  }
  if (isJsonObject(parent) && Object.hasOwn(parent, last)) {
    const value = parent[last];
    delete parent[last];
    return value;
  }
  throw new PatchFailure(`path '${pointer}' does not exist`);
}

/**
 * `add`, or `replace` when `replace` is set. As in json-patch v4, replacing a missing field of
 * a mapping sets it (only array items must exist).
 */
function add(doc: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    if (last === '-' && !replace) {
      parent.push(value);
      return doc;
    }
    const i = arrayIndex(last, replace ? parent.length : parent.length + 1);
    if (i === undefined) throw new PatchFailure(`path '${pointer}' does not exist`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
    return doc;
  }
  if (isJsonObject(parent)) {
    // `parent` is a data map (the document was copied into them), so any key is an own field.
    (parent as DataMap)[last] = value;
    return doc;
  }
  throw new PatchFailure(`path '${pointer}' does not exist`);
}

/** Deep equality of JSON values: mappings compare by their fields in any order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b) || Array.isArray(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(b, key) || !jsonEqual(a[key], b[key])) return false;
    }
    return true;
  }
  return false;
}

/**
 * Applies the operations in order to a copy of `doc`; throws `RenderError` naming `file`.
 * Values copied in are counted against the render's budget: a chain of `copy` operations
 * doubles a document with each step.
 */
export function applyJsonPatch(
  doc: unknown,
  ops: JsonPatchOp[],
  file: string,
  object: string,
  budget?: RenderBudget,
): unknown {
  const count: NodeCount = { nodes: 0 };
  let out = cloneData(doc, count);
  const spend = () => {
    budget?.spend(count.nodes, file);
    count.nodes = 0;
  };
  spend();
  for (const [index, op] of ops.entries()) {
    try {
      switch (op.op) {
        case 'add':
          out = add(out, op.path, cloneData(op.value, count), false);
          break;
        case 'remove':
          remove(out, op.path);
          break;
        case 'replace':
          out = add(out, op.path, cloneData(op.value, count), true);
          break;
        case 'move': {
          const value = remove(out, String(op.from));
          out = add(out, op.path, value, false);
          break;
        }
        case 'copy':
          // json-patch v4 copies a missing field of a mapping as null.
          out = add(out, op.path, cloneData(find(out, String(op.from)) ?? null, count), false);
          break;
        case 'test': {
          // json-patch v4: a missing or null field passes a test for null, and only that.
          const actual = find(out, op.path);
          const passed =
            actual === undefined || actual === null
              ? op.value === null || op.value === undefined
              : jsonEqual(actual, op.value);
          if (!passed) throw new PatchFailure(`test of '${op.path}' failed`);
          break;
        }
        default:
          throw new PatchFailure(`unknown operation '${op.op}'`);
      }
      spend();
    } catch (error) {
      if (error instanceof PatchFailure) {
        throw new RenderError(
          `${file}: JSON patch operation ${index} (${op.op} ${op.path}) on ${object}: ${error.message}`,
          {
            file,
            object,
            cause: error,
            hint: 'Check the operation against the object as the earlier steps leave it (JSON pointers, RFC 6901).',
          },
        );
      }
      throw error;
    }
  }
  return out;
}

/** Validates parsed operations. */
export function toJsonPatchOps(value: unknown, file: string): JsonPatchOp[] {
  if (!Array.isArray(value))
    throw new RenderError(`${file}: a JSON patch must be a list of operations`, { file });
  return value.map((item, i) => {
    if (!isJsonObject(item) || typeof item.op !== 'string' || typeof item.path !== 'string') {
      throw new RenderError(`${file}: JSON patch operation ${i} needs 'op' and 'path'`, { file });
    }
    if (['add', 'replace', 'test'].includes(item.op) && !Object.hasOwn(item, 'value')) {
      throw new RenderError(`${file}: JSON patch operation ${i} (${item.op}) needs a 'value'`, {
        file,
      });
    }
    if (['move', 'copy'].includes(item.op) && typeof item.from !== 'string') {
      throw new RenderError(`${file}: JSON patch operation ${i} (${item.op}) needs 'from'`, {
        file,
      });
    }
    return {
      op: item.op,
      path: item.path,
      value: item.value,
      from: item.from as string | undefined,
    };
  });
}
