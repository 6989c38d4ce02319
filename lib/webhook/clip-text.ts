/**
 * Bounds text that comes from a delivery (a ref, a repository name, an event header) or from
 * an error about one before it goes into an answer or a log line: a 900 KB `ref` must cost a
 * few hundred bytes of log, not a megabyte per delivery.
 */

/** At most `max` characters of `text` on one line, control characters replaced, `…` when cut. */
export function clipText(text: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced.
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
