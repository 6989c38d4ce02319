/**
 * Regular expressions from repositories, run as kustomize runs them: Go's `regexp` syntax and
 * semantics (RE2), in time linear in the input, through `re2js`. JavaScript's `RegExp`
 * backtracks: a patch target `name: "(a+)+b"` held the event loop for 11 s at 28 characters.
 * Patterns RE2 refuses (backreferences, lookaround, repeat counts over 1000) are refused here
 * too, as kustomize refuses them.
 */
import { RE2JS, RE2JSException } from 're2js';
import { RenderError } from '../errors.ts';

/** A compiled pattern: true when it matches the whole text. */
export type TextMatcher = (text: string) => boolean;

/** Compiles a Go regular expression, or returns the syntax error's message. */
export function compileGoRegexp(source: string): RE2JS | string {
  try {
    return RE2JS.compile(source);
  } catch (error) {
    if (error instanceof RE2JSException) return error.message;
    throw error;
  }
}

/** A character with a meaning in Go's regexp syntax outside a class; without one, a pattern is literal. */
const REGEXP_SYNTAX = /[\\.+*?()|[\]{}^$]/;

/**
 * A selector field (`name`, `kind`, ...) as kustomize's `types.SelectorRegex` compiles it,
 * anchored as `^(?:pattern)$`; undefined for an empty pattern (which selects everything). An
 * invalid pattern is a `RenderError` naming the file and the field.
 */
export function selectorPattern(
  pattern: string | undefined,
  file: string,
  field: string,
): TextMatcher | undefined {
  if (pattern === undefined || pattern === '') return undefined;
  // Most selectors are plain names and kinds: matching them whole is string equality, without
  // compiling an automaton (the first compilation costs a small render ~20 ms).
  if (!REGEXP_SYNTAX.test(pattern)) return (text) => text === pattern;
  const compiled = compileGoRegexp(`^(?:${pattern})$`);
  if (typeof compiled === 'string') {
    throw new RenderError(
      `${file}: ${field} '${pattern}' is not a valid regular expression: ${compiled}`,
      {
        file,
        hint: 'Selectors are Go (RE2) regular expressions: no backreferences or lookaround.',
      },
    );
  }
  return (text) => compiled.test(text);
}
