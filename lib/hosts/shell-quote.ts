/**
 * POSIX shell quoting for the few values Plumbline puts into the scripts it runs on hosts
 * (paths from trusted configuration, names it validated). Single quotes make every byte
 * literal; a single quote inside is closed, escaped and reopened.
 */

/** `value` as one literal word of a POSIX shell command line. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell word cannot contain a NUL byte');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
