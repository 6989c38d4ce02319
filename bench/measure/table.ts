/**
 * The benchmark table: one row per compared figure, Plumbline beside the reference tool
 * measured in the same run on the same work, their ratio, and the target with its verdict.
 * Rows that are not the same work, or have no reference, say so in their note.
 */

/** What a figure counts. */
export type Unit = 'ms' | 'MiB' | 'requests' | 'count' | 'ratio' | 's';

/** The other side of a comparison. */
export interface Reference {
  /** Which tool (and how it was run), or the limit compared against. */
  tool: string;
  value: number;
}

/** One compared figure. */
export interface Row {
  suite: string;
  /** The work measured, as a short phrase ("plan 500 objects (create), 1 in flight"). */
  case: string;
  /** The figure ("CPU", "wall", "peak RSS", "requests"). */
  metric: string;
  unit: Unit;
  plumbline: number;
  reference?: Reference;
  /** The goal, and whether this run met it; absent: reported, not judged. */
  target?: { text: string; met: boolean };
  /** What differs between the two sides, what was cached, which binary ran. */
  note?: string;
}

function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'ms':
      return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
    case 's':
      return `${value.toFixed(1)} s`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    case 'requests':
    case 'count':
      return `${Math.round(value)}`;
    case 'ratio':
      return `${value.toFixed(2)}`;
  }
}

/** Plumbline's figure over the reference's (below 1: Plumbline needs less). */
export function ratioOf(row: Row): number | undefined {
  if (!row.reference || row.reference.value === 0) return undefined;
  return row.plumbline / row.reference.value;
}

/** The table as fixed-width text, notes numbered below it. */
export function formatTable(rows: readonly Row[]): string {
  const notes: string[] = [];
  const header = [
    'suite',
    'case',
    'metric',
    'Plumbline',
    'reference',
    'value',
    'ratio',
    'target',
    'met',
  ];
  const cells = rows.map((row) => {
    let noteMark = '';
    if (row.note) {
      notes.push(row.note);
      noteMark = ` [${notes.length}]`;
    }
    const ratio = ratioOf(row);
    return [
      row.suite,
      `${row.case}${noteMark}`,
      row.metric,
      formatValue(row.plumbline, row.unit),
      row.reference?.tool ?? '(none)',
      row.reference ? formatValue(row.reference.value, row.unit) : '',
      ratio === undefined ? '' : `${ratio.toFixed(2)}x`,
      row.target?.text ?? '',
      row.target ? (row.target.met ? 'met' : 'MISSED') : '',
    ];
  });
  const all = [header, ...cells];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = new Set([3, 5, 6]);
  const line = (r: string[]) =>
    r
      .map((cell, c) =>
        numeric.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    line(header),
    rule,
    ...cells.map(line),
    '',
    ...notes.map((note, i) => `[${i + 1}] ${note}`),
  ].join('\n');
}

/** Rows whose target was missed. */
export function missed(rows: readonly Row[]): Row[] {
  return rows.filter((row) => row.target && !row.target.met);
}
