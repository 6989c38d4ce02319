/**
 * The YAML a plan diffs: exactly what the `yaml` package's `stringify(value, { lineWidth: 0 })`
 * prints, written directly for the shapes Kubernetes objects almost always have (mappings,
 * sequences, integers, booleans, null, and strings that print plain), at a fraction of the
 * package's CPU: every planned object is printed once or twice per plan, which made it the
 * largest share of a cold start's CPU after the requests themselves. Anything else (a string
 * that needs quotes or a block, a float, an empty string, a long key) is printed by the package
 * itself, for the whole object, so the output never depends on which path printed it.
 * `test/unit/plan/diff-yaml.test.ts` holds the two to the same bytes over generated values.
 */
import { stringify } from 'yaml';

/**
 * Strings the package prints plain in block context: a letter, `_` or `/` first (no indicator,
 * no digit that could make a number), then letters, digits and `. _ / @ + = -`, or a colon
 * followed by one of those (`: ` and a final `:` would read as a
 * mapping). Short enough to stay an implicit key (the package switches to `? key` at 1024).
 */
const plainString = /^[A-Za-z_/](?:[A-Za-z0-9._/@+=-]|:(?=[A-Za-z0-9._/@+=-]))*$/;
const maxPlainLength = 1000;
/** Plain strings the core schema would read back as a boolean or null: quoted by the package. */
const reserved = /^(?:true|True|TRUE|false|False|FALSE|null|Null|NULL)$/;

/** Thrown (and caught below) when the value leaves the shapes printed here. */
const unsupported = Symbol('unsupported');

function isMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Other short strings as the package prints them in a block mapping's value or key position
 * (`25%`, `"8080"`, `""`), learned from the package once per string and kept while few: a
 * single-line form does not depend on indentation or on sequence versus mapping. A form that
 * spans lines (a block scalar), or that could read as a document marker, is left to the package.
 */
const learned = {
  values: new Map<string, string | null>(),
  keys: new Map<string, string | null>(),
};
const maxLearned = 4096;
const maxLearnedLength = 64;

function learnedForm(text: string, asKey: boolean): string {
  // A document marker (`---`, `...`) is quoted at the start of a line only: position matters.
  if (text.length > maxLearnedLength || text.startsWith('---') || text.startsWith('...'))
    throw unsupported;
  const memo = asKey ? learned.keys : learned.values;
  let form = memo.get(text);
  if (form === undefined) {
    const printed = stringify(asKey ? { [text]: null } : { k: text }, { lineWidth: 0 });
    const [prefix, suffix] = asKey ? ['', ': null\n'] : ['k: ', '\n'];
    const inner = printed.slice(prefix.length, printed.length - suffix.length);
    form =
      printed.startsWith(prefix) && printed.endsWith(suffix) && !inner.includes('\n')
        ? inner
        : null;
    if (memo.size >= maxLearned) memo.clear();
    memo.set(text, form);
  }
  if (form === null) throw unsupported;
  return form;
}

function scalar(value: unknown, asKey = false): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
    throw unsupported;
  }
  if (typeof value !== 'string') throw unsupported;
  if (value.length <= maxPlainLength && plainString.test(value) && !reserved.test(value)) {
    return value;
  }
  return learnedForm(value, asKey);
}

/** Is `value` an empty mapping or sequence: printed inline as `{}` or `[]`. */
function emptyCollection(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  if (isMapping(value)) return Object.keys(value).length === 0 ? '{}' : undefined;
  return undefined;
}

/**
 * A non-empty mapping or sequence as lines at `indent` spaces, the first line without its
 * indentation (the caller writes it after a `- ` or a newline and the indentation).
 */
function block(value: unknown, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (i > 0) out.push(pad);
      out.push('- ');
      seqItem(item, indent + 2, out);
    });
    return;
  }
  if (!isMapping(value)) throw unsupported;
  let first = true;
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item === undefined) throw unsupported;
    if (!first) out.push(pad);
    first = false;
    out.push(scalar(key, true), ':');
    if (Array.isArray(item) || isMapping(item)) {
      const empty = emptyCollection(item);
      if (empty) {
        out.push(' ', empty, '\n');
      } else {
        // A sequence under a key is indented like a mapping (the package's `indentSeq`).
        out.push('\n', pad, '  ');
        block(item, indent + 2, out);
      }
    } else {
      out.push(' ', scalar(item), '\n');
    }
  }
}

/** One sequence item after its `- `. */
function seqItem(item: unknown, indent: number, out: string[]): void {
  if (Array.isArray(item) || isMapping(item)) {
    const empty = emptyCollection(item);
    if (empty) out.push(empty, '\n');
    else block(item, indent, out);
  } else {
    out.push(scalar(item), '\n');
  }
}

/** `stringify(value, { lineWidth: 0 })` of the `yaml` package, byte for byte. */
export function diffYaml(value: unknown): string {
  if (isMapping(value) && Object.keys(value).length > 0) {
    const out: string[] = [];
    try {
      block(value, 0, out);
      return out.join('');
    } catch (error) {
      if (error !== unsupported) throw error;
    }
  }
  return stringify(value, { lineWidth: 0 });
}
