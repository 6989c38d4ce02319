/**
 * `replacements`: copy a value from one field of one resource (or a literal) into fields of
 * selected resources, with kustomize's field paths (`spec.containers.[name=app].image`,
 * `*`, indexes) and delimiter, index and create options.
 */
import { isJsonObject } from '../core/object.ts';
import { RenderError } from '../errors.ts';
import type { RenderBudget } from './budget.ts';
import { cloneData, type DataMap, type NodeCount, newDataMap, ownField } from './data-map.ts';
import { selectorPattern, type TextMatcher } from './go-regexp.ts';
import { curId, type ResId, type Resource } from './resource.ts';
import { matchesRequirements, parseLabelSelector } from './selector.ts';

interface Options {
  delimiter?: string;
  index?: number;
  create?: boolean;
}

/** Splits a field path on dots outside brackets. */
export function splitFieldPath(path: string): string[] {
  const out: string[] = [];
  let current = '';
  let depth = 0;
  for (const c of path) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === '.' && depth === 0) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

type Slot = { holder: DataMap | unknown[]; key: string | number };

/** The value in a slot: an array item or an own field (never an inherited one). */
function slotValue(slot: Slot): unknown {
  return Array.isArray(slot.holder)
    ? slot.holder[slot.key as number]
    : ownField(slot.holder, slot.key as string);
}

/**
 * Finds (and with `create`, makes) the slots a path reaches. Only own fields are followed and
 * every mapping made is a data map, so `__proto__` in a field path is a field name like any other.
 */
function match(root: unknown, parts: string[], create: boolean): Slot[] {
  const top = newDataMap();
  top.root = root;
  let slots: Slot[] = [{ holder: top, key: 'root' }];
  for (const part of parts) {
    const next: Slot[] = [];
    for (const slot of slots) {
      const holder = slot.holder as Record<string | number, unknown>;
      let node = slotValue(slot);
      const bracket = part.match(/^\[(.*?)=(.*)\]$/);
      if (bracket) {
        if (node === undefined || node === null) {
          if (!create) continue;
          node = [];
          holder[slot.key] = node;
        }
        if (!Array.isArray(node)) continue;
        const [k, v] = [bracket[1] as string, bracket[2] as string];
        let found = false;
        node.forEach((item, i) => {
          if (
            k === ''
              ? String(item) === v
              : isJsonObject(item) && Object.hasOwn(item, k) && String(item[k]) === v
          ) {
            next.push({ holder: node as unknown[], key: i });
            found = true;
          }
        });
        if (!found && create && k !== '') {
          const item = newDataMap();
          item[k] = v;
          node.push(item);
          next.push({ holder: node, key: node.length - 1 });
        }
        continue;
      }
      if (part === '*') {
        if (Array.isArray(node)) {
          for (let i = 0; i < node.length; i++) next.push({ holder: node, key: i });
        } else if (isJsonObject(node))
          for (const k of Object.keys(node)) next.push({ holder: node, key: k });
        continue;
      }
      if (Array.isArray(node) && /^\d+$/.test(part)) {
        if (Number(part) < node.length) next.push({ holder: node, key: Number(part) });
        continue;
      }
      if (node === undefined || node === null) {
        if (!create) continue;
        node = newDataMap();
        holder[slot.key] = node;
      }
      if (!isJsonObject(node)) continue;
      if (!Object.hasOwn(node, part) && !create) continue;
      next.push({ holder: node, key: part });
    }
    slots = next;
  }
  return slots;
}

function scalarText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const idFields = ['group', 'version', 'kind', 'name', 'namespace'] as const;

/** A source selector: each id field set must equal the resource's (no patterns). */
function idEqualsSelector(id: ResId, sel: Record<string, unknown>): boolean {
  for (const field of idFields) {
    const want = ownField(sel, field);
    if (typeof want === 'string' && want !== '' && want !== id[field]) return false;
  }
  return true;
}

/** A target (or reject) selector's id fields, compiled once as anchored Go patterns. */
function idPatterns(
  sel: Record<string, unknown>,
  file: string,
  field: string,
): (id: ResId) => boolean {
  const patterns: [(typeof idFields)[number], TextMatcher][] = [];
  for (const f of idFields) {
    const want = ownField(sel, f);
    const compiled = selectorPattern(
      typeof want === 'string' ? want : undefined,
      file,
      `${field}.${f}`,
    );
    if (compiled) patterns.push([f, compiled]);
  }
  return (id) => patterns.every(([f, matches]) => matches(id[f]));
}

function hasIdFields(sel: Record<string, unknown>): boolean {
  return ['group', 'version', 'kind', 'name', 'namespace'].some(
    (f) => typeof sel[f] === 'string' && sel[f] !== '',
  );
}

function idsOf(r: Resource): ResId[] {
  return [curId(r), ...r.prevIds];
}

function mapMatches(map: unknown, selector: unknown, file: string): boolean {
  if (typeof selector !== 'string' || selector === '') return true;
  return matchesRequirements(map, parseLabelSelector(selector, file));
}

function labelsMatch(r: Resource, sel: Record<string, unknown>, file: string): boolean {
  return (
    mapMatches(r.object.metadata?.labels, sel.labelSelector, file) &&
    mapMatches(r.object.metadata?.annotations, sel.annotationSelector, file)
  );
}

/**
 * Applies one replacement to the resources. Values copied into targets are counted against the
 * render's budget: replacements that feed each other double what they copy at every step.
 */
export function applyReplacement(
  resources: Resource[],
  replacement: Record<string, unknown>,
  file: string,
  budget?: RenderBudget,
): void {
  const count: NodeCount = { nodes: 0 };
  const fail = (what: string): never => {
    throw new RenderError(`${file}: replacement ${what}`, { file });
  };
  const source = replacement.source;
  const targets = replacement.targets;
  if ((!isJsonObject(source) && replacement.sourceValue === undefined) || !Array.isArray(targets)) {
    fail('must specify a source and at least one target');
  }
  let value: unknown;
  let sensitive = false;
  if (replacement.sourceValue !== undefined) {
    if (source !== undefined) fail('has both a source and a sourceValue');
    value = replacement.sourceValue;
  } else {
    const sel = source as Record<string, unknown>;
    const found = resources.filter((r) => idsOf(r).some((id) => idEqualsSelector(id, sel)));
    if (found.length === 0) fail(`source ${JSON.stringify(sel)} selects nothing`);
    if (found.length > 1) fail(`source ${JSON.stringify(sel)} selects several resources`);
    const r = found[0] as Resource;
    sensitive = r.sensitive;
    const fieldPath =
      typeof sel.fieldPath === 'string' && sel.fieldPath ? sel.fieldPath : 'metadata.name';
    const slot = match(r.object, splitFieldPath(fieldPath), false)[0];
    const v = slot ? slotValue(slot) : undefined;
    if (v === undefined || v === null || v === '') fail(`source field '${fieldPath}' is missing`);
    value = cloneData(v, count);
    const options = (isJsonObject(sel.options) ? sel.options : {}) as Options;
    if (options.delimiter) {
      if (isJsonObject(value) || Array.isArray(value))
        fail('delimiter option can only be used with scalars');
      const parts = scalarText(value).split(options.delimiter);
      const index = options.index ?? 0;
      if (index < 0 || index >= parts.length)
        fail(`source options.index ${index} is out of bounds`);
      value = parts[index];
    }
  }
  for (const [ti, target] of (targets as unknown[]).entries()) {
    if (!isJsonObject(target) || !isJsonObject(ownField(target, 'select')))
      fail('target must specify resources to select');
    const t = target as Record<string, unknown>;
    const select = t.select as Record<string, unknown>;
    const rejects = (Array.isArray(ownField(t, 'reject')) ? (t.reject as unknown[]) : []).filter(
      isJsonObject,
    ) as Record<string, unknown>[];
    const selected = idPatterns(select, file, `replacement target ${ti} select`);
    const rejected = rejects.map((rej, ri) => ({
      rej,
      ids: hasIdFields(rej)
        ? idPatterns(rej, file, `replacement target ${ti} reject ${ri}`)
        : undefined,
    }));
    const fieldPaths =
      Array.isArray(t.fieldPaths) && t.fieldPaths.length > 0
        ? (t.fieldPaths as string[])
        : ['metadata.name'];
    const options = (isJsonObject(t.options) ? t.options : {}) as Options;
    for (const r of resources) {
      if (!labelsMatch(r, select, file)) continue;
      if (
        rejects.some(
          (rej) => (rej.labelSelector || rej.annotationSelector) && labelsMatch(r, rej, file),
        )
      )
        continue;
      const ids = idsOf(r);
      if (rejected.some(({ ids: matches }) => matches && ids.some(matches))) continue;
      if (!ids.some(selected)) continue;
      for (const fieldPath of fieldPaths) {
        const slots = match(r.object, splitFieldPath(fieldPath), options.create === true);
        if (slots.length === 0) {
          fail(
            `cannot find field '${fieldPath}' in target ${r.object.kind} ${r.object.metadata?.name ?? ''}`,
          );
        }
        for (const slot of slots) {
          const holder = slot.holder as Record<string | number, unknown>;
          const old = slotValue(slot);
          let next = cloneData(value, count);
          if (options.delimiter) {
            if (isJsonObject(old) || Array.isArray(old))
              fail('delimiter option can only be used with scalars');
            const parts = (old === undefined || old === null ? '' : scalarText(old)).split(
              options.delimiter,
            );
            const v = scalarText(value);
            const index = options.index ?? 0;
            if (index < 0) parts.unshift(v);
            else if (index >= parts.length) parts.push(v);
            else parts[index] = v;
            next = parts.join(options.delimiter);
          }
          // kustomize keeps a scalar target's type and takes only the source's text.
          if (
            old !== undefined &&
            old !== null &&
            !isJsonObject(old) &&
            !Array.isArray(old) &&
            !isJsonObject(next) &&
            !Array.isArray(next)
          ) {
            const text = scalarText(next);
            if (typeof old === 'number' && text.trim() !== '' && !Number.isNaN(Number(text)))
              next = Number(text);
            else if (typeof old === 'boolean' && (text === 'true' || text === 'false'))
              next = text === 'true';
            else if (typeof old === 'string') next = text;
          }
          holder[slot.key] = next;
        }
        if (sensitive) r.sensitive = true;
        budget?.spend(count.nodes, file);
        count.nodes = 0;
      }
    }
  }
}
