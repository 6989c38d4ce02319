/**
 * Timestamps as go-yaml v3 reads plain scalars: `2006-1-2T15:4:5.999999999Z07:00` (or with a
 * lowercase `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`, valid dates and times only.
 * kustomize decodes such a scalar into a Go time and writes it back through JSON, so a plain
 * `2001-12-14` in a manifest comes out as the string `2001-12-14T00:00:00Z` (RFC 3339 with
 * nanoseconds, trailing zeros dropped, `Z` for a zero offset).
 */

const shape =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:([Tt])|( ))([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?(Z|[-+][0-9]{2}:[0-9]{2})?)?$/;

const pad = (n: string | number, width = 2) => String(n).padStart(width, '0');

/** The RFC 3339 text kustomize writes for `text`, or undefined when it is not a timestamp. */
export function goTimestampText(text: string): string | undefined {
  const m = shape.exec(text);
  if (!m) return undefined;
  const [, year, month, day, t, space, hour, minute, second, fraction, zone] = m;
  if ((t && !zone) || (space && zone)) return undefined;
  const mo = Number(month);
  const d = Number(day);
  const days = new Date(Date.UTC(Number(year), mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days) return undefined;
  const date = `${year}-${pad(mo)}-${pad(d)}`;
  if (hour === undefined) return `${date}T00:00:00Z`;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  let offset = 'Z';
  if (zone && zone !== 'Z') {
    if (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59) return undefined;
    if (zone.slice(1) !== '00:00') offset = zone;
  }
  // Go keeps nine digits of the fraction and prints it without trailing zeros.
  const nanos = (fraction ?? '').slice(0, 9).replace(/0+$/, '');
  return `${date}T${pad(hour)}:${pad(minute as string)}:${pad(second as string)}${nanos ? `.${nanos}` : ''}${offset}`;
}
