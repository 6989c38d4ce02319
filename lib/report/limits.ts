/** The sizes GitHub accepts, and cutting text to them. */

/** Issue and pull request comment bodies, and issue bodies. */
export const githubBodyLimit = 65_536;
/** A check run's `output.summary` and `output.text`. */
export const checkOutputLimit = 65_535;
/** Annotations GitHub takes per check run request (more go in updates). */
export const annotationsPerRequest = 50;
/** An annotation's `message` (64 KB; counted in characters here, with room for multi-byte). */
export const annotationMessageLimit = 16_000;
/** An annotation's `title`. */
export const annotationTitleLimit = 255;
/** A deployment status or commit status `description`. */
export const descriptionLimit = 140;

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** `text` cut to `max` characters at a line end, with a note saying how much was cut. */
export function cutLines(text: string, max: number, what = 'text'): string {
  if (text.length <= max) return text;
  const end = text.lastIndexOf('\n', max - 60);
  return `${text.slice(0, end < 0 ? 0 : end + 1)}… ${what} cut (${text.length} characters)\n`;
}
