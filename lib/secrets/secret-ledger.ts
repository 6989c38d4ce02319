/**
 * The job's secret ledger: every value a SOPS decryptor returned for one job (each encrypted
 * leaf, and each decrypted file as a whole), and the one redactor every output surface applies
 * last. Masking by kind (Secret data, objects from decrypted files, see `mask.ts`) protects
 * positions; the ledger protects values wherever they travel: names, labels, annotations,
 * other objects, API server messages, logs.
 *
 * Redaction policy (docs/security.md, "Masking"):
 * - In positions derived from a secret (an object carrying decrypted data, a label or
 *   annotation the render filled from a decrypted value) a value is masked whatever its length,
 *   `true` and `1` included: its position says it is secret, and the rest stays readable.
 * - In free text (error messages, log lines, strings of other objects) a value is replaced
 *   where it occurs only from `MIN_REDACTED_LENGTH` characters on; see there for why.
 * - Each value is also searched in the forms it takes in output: base64 (Secret data), JSON and
 *   Go quoting (API server messages, JSON output), YAML quoting, and line by line for values of
 *   several lines (YAML block scalars). Output that Plumbline serializes itself is redacted
 *   before it is serialized, so folding or escaping can never split a value.
 */

import type { DecryptedFile, DecryptedValue, FileDecryptor } from '../core/decryptor.ts';
import { toBase64 } from '../core/encoding.ts';

/** What a secret value is shown as. */
export const REDACTED = '***';

/**
 * Values shorter than this are not searched for in free text. The values below 6 characters
 * that SOPS files hold are flags, ports, counts, log levels and short user names, encrypted
 * only because sops encrypts every leaf by default: replacing every `true`, `info`, `80` or
 * `admin` in every plan, message and log would make them unreadable and says nothing an
 * attacker could not guess (5 printable characters are 33 bits at most, searched in seconds;
 * no credential format in use is that short, and password rules start at 8). Such values stay
 * masked in every position derived from a secret. 6 keeps a margin under the 8 of passwords.
 */
export const MIN_REDACTED_LENGTH = 6;

/** Redacts output: free text, and structured data (every string in it, keys kept). */
export interface Redactor {
  /** `text` with every known secret form replaced by `***`. */
  text(text: string): string;
  /** `value` with every string redacted as `text` does; unchanged parts are shared, not copied. */
  data<T>(value: T): T;
  /** True when `value` is, exactly, a secret value (of any length). */
  isSecret(value: string): boolean;
}

/** The redactor of a job that decrypted nothing: output passes unchanged. */
export const noSecrets: Redactor = {
  text: (text) => text,
  data: (value) => value,
  isSecret: () => false,
};

/** Go's `%q` (strconv.Quote) without the quotes: how API server messages print values. */
function goQuoted(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0x2028 || code === 0x2029 || code === 0xfeff)
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return out;
}

/** YAML's double-quoted style without the quotes (go-yaml and the yaml library agree here). */
function yamlDoubleQuoted(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (code === 0) out += '\\0';
    else if (code === 0x1b) out += '\\e';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return out;
}

/**
 * The forms `value` can take in output, each long enough to search for; with `lines`, also
 * each of its lines (a value printed as a YAML block scalar). Whole files are recorded without:
 * their lines include keys and values sops left in clear (`apiVersion: v1`), and their secret
 * lines are leaves recorded on their own.
 */
function formsOf(value: string, lines: boolean): string[] {
  const forms = new Set<string>([
    value,
    toBase64(value),
    JSON.stringify(value).slice(1, -1),
    goQuoted(value),
    yamlDoubleQuoted(value),
    value.replaceAll("'", "''"),
  ]);
  if (lines && value.includes('\n')) {
    // A block scalar prints a value of several lines one indented line at a time.
    for (const line of value.split(/\r?\n/)) forms.add(line.trim());
  }
  return [...forms].filter((form) => form.length >= MIN_REDACTED_LENGTH);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True for the fields that identify a Kubernetes object (`apiVersion`, `kind`, `metadata.name`,
 * `metadata.namespace`, label values): sops encrypts them too when a whole manifest is
 * encrypted, but they name the object to the API server and in every listing. Masking them
 * would turn every `kind: Secret` and `Secret shop/db` of a plan into `***`.
 */
function isIdentity({ path }: DecryptedValue): boolean {
  const [first, second] = path;
  if (path.length === 1) return first === 'apiVersion' || first === 'kind';
  if (first !== 'metadata') return false;
  return (
    (path.length === 2 && (second === 'name' || second === 'namespace')) ||
    (path.length === 3 && second === 'labels')
  );
}

/**
 * The secret values of one job and their redaction. Record into it from the decryptor (see
 * `watch`), then hand it to every output: the report views, the job's logger, error messages.
 */
export class SecretLedger implements Redactor {
  readonly #values = new Set<string>();
  readonly #needles = new Set<string>();
  #pattern: RegExp | undefined;

  /**
   * Records decrypted values (empty strings hold nothing and are ignored). `whole` marks whole
   * decrypted files, whose lines are not searched on their own (see `formsOf`).
   */
  record(values: Iterable<string>, options: { whole?: boolean } = {}): void {
    for (const value of values) {
      if (value === '' || this.#values.has(value)) continue;
      this.#values.add(value);
      for (const form of formsOf(value, !options.whole)) {
        if (!this.#needles.has(form)) {
          this.#needles.add(form);
          this.#pattern = undefined;
        }
      }
    }
  }

  /** How many distinct values were recorded. */
  get size(): number {
    return this.#values.size;
  }

  isSecret(value: string): boolean {
    return this.#values.has(value);
  }

  text(text: string): string {
    if (this.#needles.size === 0 || text.length < MIN_REDACTED_LENGTH) return text;
    this.#pattern ??= new RegExp(
      // Longest first, so a value is replaced whole rather than around a shorter one inside it.
      [...this.#needles]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'g',
    );
    return text.replace(this.#pattern, REDACTED);
  }

  data<T>(value: T): T {
    if (this.#needles.size === 0) return value;
    return this.#redactValue(value) as T;
  }

  #redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    // Typed errors travel in outcomes (a change set's failures): redacted where they are.
    if (value instanceof Error) return redactError(value, this);
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item) => {
        const next = this.#redactValue(item);
        changed ||= next !== item;
        return next;
      });
      return changed ? out : value;
    }
    if (isPlainObject(value)) {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const next = this.#redactValue(item);
        changed ||= next !== item;
        // Defined as data: a key named __proto__ stays a key, never a prototype.
        Object.defineProperty(out, key, {
          value: next,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return changed ? out : value;
    }
    return value;
  }

  /**
   * `decryptor`, recording every value it decrypts into this ledger: each encrypted leaf it
   * reports (but a manifest's identity, see `isIdentity`), and the whole plaintext of the file
   * (dotenv and binary files, and any file a generator reads whole, land in output as one).
   */
  watch(decryptor: FileDecryptor): FileDecryptor {
    return {
      decrypt: async (path: string, content: Uint8Array): Promise<DecryptedFile | undefined> => {
        const decrypted = await decryptor.decrypt(path, content);
        if (decrypted) {
          this.record((decrypted.values ?? []).filter((v) => !isIdentity(v)).map((v) => v.value));
          this.record([new TextDecoder().decode(decrypted.plaintext)], { whole: true });
        }
        return decrypted;
      },
    };
  }
}

/**
 * `error` (and its causes) with message, hint and stack redacted, for throwing on past the
 * job that knows the values (the queue logs what it catches).
 */
export function redactError(error: unknown, redactor: Redactor): unknown {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    for (const field of ['message', 'stack', 'hint'] as const) {
      const value = (e as unknown as Record<string, unknown>)[field];
      if (typeof value === 'string') {
        Object.defineProperty(e, field, { value: redactor.text(value), configurable: true });
      }
    }
  }
  return error;
}
