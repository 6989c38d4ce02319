/**
 * Characters kustomize cannot carry. Its builtins round-trip every object and every builtin's
 * configuration through go-yaml, whose reader refuses DEL, the C1 controls other than NEL, and
 * U+FFFE and U+FFFF ("control characters are not allowed"), even where they arrived escaped.
 * NEL, LS and PS come out of that round trip changed (read as line breaks: folded into spaces,
 * or breaks with indentation added), which would silently alter data: Plumbline refuses all of
 * these rather than produce output kustomize never would or guess at its changes.
 */
import { RenderError } from '../errors.ts';

const forbidden = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/;

/** The first string in `value` (keys included) holding a forbidden character, with its path. */
function findForbidden(
  value: unknown,
  path: string,
  pattern: RegExp,
): { path: string; char: string } | undefined {
  if (typeof value === 'string') {
    const match = pattern.exec(value);
    return match ? { path, char: match[0] } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findForbidden(value[i], `${path}[${i}]`, pattern);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      const where = path ? `${path}.${key}` : key;
      const inKey = pattern.exec(key);
      if (inKey) return { path: where, char: inKey[0] };
      const found = findForbidden((value as Record<string, unknown>)[key], where, pattern);
      if (found) return found;
    }
  }
  return undefined;
}

/** Refuses `value` when kustomize's YAML round trip would refuse or change it. */
export function checkYamlCharacters(value: unknown, file: string, what: string): void {
  const found = findForbidden(value, '', forbidden);
  if (!found) return;
  const code = (found.char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
  throw new RenderError(
    `${file}: ${what}${found.path ? ` field ${found.path}` : ''} holds U+${code}, a character kustomize's YAML round trip ${code === '0085' || code === '2028' || code === '2029' ? 'turns into a line break' : 'refuses'}`,
    {
      file,
      hint: 'kustomize refuses U+007F to U+009F (except U+0085), U+FFFE and U+FFFF, and changes U+0085, U+2028 and U+2029 into spaces or line breaks; remove the character (binary data can go in a file read by a generator: it is base64-encoded).',
    },
  );
}
