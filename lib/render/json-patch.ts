/**
 * RFC 6902 JSON patches (add, remove, replace, move, copy, test) with RFC 6901 pointers, the
 * semantics kustomize gets from evanphx/json-patch: a missing path is an error, `-` appends.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';

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

function parentOf(doc: unknown, tokens: string[], pointer: string): unknown {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) {
      const i = Number(token);
      if (!/^\d+$/.test(token) || i >= node.length)
        throw new PatchFailure(`path '${pointer}' does not exist`);
      node = node[i];
    } else if (isJsonObject(node)) {
      if (!(token in node)) throw new PatchFailure(`path '${pointer}' does not exist`);
      node = node[token];
    } else {
      throw new PatchFailure(`path '${pointer}' does not exist`);
    }
  }
  return node;
}

function get(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!/^\d+$/.test(last) || i >= parent.length)
      throw new PatchFailure(`path '${pointer}' does not exist`);
    return parent[i];
  }
  if (isJsonObject(parent) && last in parent) return parent[last];
  throw new PatchFailure(`path '${pointer}' does not exist`);
}

function remove(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!/^\d+$/.test(last) || i >= parent.length)
      throw new PatchFailure(`path '${pointer}' does not exist`);
    return parent.splice(i, 1)[0];
  }
  if (isJsonObject(parent) && last in parent) {
    const value = parent[last];
    delete parent[last];
    return value;
  }
  throw new PatchFailure(`path '${pointer}' does not exist`);
}

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
    const i = Number(last);
    if (!/^\d+$/.test(last) || i > parent.length || (replace && i >= parent.length)) {
      throw new PatchFailure(`path '${pointer}' does not exist`);
    }
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
    return doc;
  }
  if (isJsonObject(parent)) {
    if (replace && !(last in parent)) throw new PatchFailure(`path '${pointer}' does not exist`);
    parent[last] = value as never;
    return doc;
  }
  throw new PatchFailure(`path '${pointer}' does not exist`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Applies the operations in order to a copy of `doc`; throws `RenderError` naming `file`. */
export function applyJsonPatch(
  doc: unknown,
  ops: JsonPatchOp[],
  file: string,
  object: string,
): unknown {
  let out = structuredClone(doc);
  for (const [index, op] of ops.entries()) {
    try {
      switch (op.op) {
        case 'add':
          out = add(out, op.path, structuredClone(op.value), false);
          break;
        case 'remove':
          remove(out, op.path);
          break;
        case 'replace':
          out = add(out, op.path, structuredClone(op.value), true);
          break;
        case 'move': {
          const value = remove(out, String(op.from));
          out = add(out, op.path, value, false);
          break;
        }
        case 'copy':
          out = add(out, op.path, structuredClone(get(out, String(op.from))), false);
          break;
        case 'test':
          if (!deepEqual(get(out, op.path), op.value))
            throw new PatchFailure(`test of '${op.path}' failed`);
          break;
        default:
          throw new PatchFailure(`unknown operation '${op.op}'`);
      }
    } catch (error) {
      if (error instanceof PatchFailure) {
        throw new RenderError(
          `${file}: JSON patch operation ${index} (${op.op} ${op.path}) on ${object}: ${error.message}`,
          {
            file,
            object,
            cause: error,
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
    if (['add', 'replace', 'test'].includes(item.op) && !('value' in item)) {
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
