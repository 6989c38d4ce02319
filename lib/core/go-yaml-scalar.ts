/**
 * Scalars as go-yaml's emitter writes them, shared by the two places that must match Go
 * byte for byte: kustomize's output (go-yaml v2, through sigs.k8s.io/yaml) and `sops
 * --decrypt` (go-yaml v3). Both libraries carry libyaml's emitter; for scalars they differ only
 * in tabs (v3 keeps tabs out of plain and single-quoted scalars but allows them in block
 * scalars, v2 treats a tab as a special character). Both share one printable-character table:
 * U+0085, U+FEFF and everything beyond U+FFFF are escaped in double quotes.
 *
 * `GoYamlWriter` keeps the emitter's output state (column, indentation, whitespace flags), so
 * a document emitter can be built on it, and a caller that lays out documents itself can write
 * one scalar at a known column.
 */

/** The go-yaml major version whose emitter is emulated. */
export type GoYamlMajor = 2 | 3;

/** A scalar presentation style. */
export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

/** What libyaml's analysis allows for one value. */
export interface ScalarAnalysis {
  /** The value holds a line break (LF, CR, NEL, LS or PS). */
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

/** A line break for YAML: LF, CR, NEL, LS, PS. */
export function isYamlBreak(cp: number): boolean {
  return cp === LF || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
}

/**
 * libyaml's printable test, as go-yaml applies it to UTF-8 bytes: LF, ASCII 0x20-0x7E, U+00A0
 * to U+D7FF, U+E000 to U+FFFD except U+FEFF. NEL and characters beyond the BMP are not.
 */
export function isYamlPrintable(cp: number): boolean {
  return (
    cp === LF ||
    (cp >= SPACE && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

function isBlank(cp: number | undefined): boolean {
  return cp === SPACE || cp === TAB;
}

function codePoints(value: string): number[] {
  const out: number[] = [];
  for (const c of value) out.push(c.codePointAt(0) as number);
  return out;
}

const FIRST_INDICATORS = new Set([...'#,[]{}&*!|>\'"%@`'].map((c) => c.codePointAt(0)));
const FLOW_INDICATORS = new Set([...',?[]{}'].map((c) => c.codePointAt(0)));

/** libyaml's scalar analysis: which styles can represent `value` faithfully. */
export function analyzeScalar(value: string, major: GoYamlMajor): ScalarAnalysis {
  if (value === '') {
    return {
      multiline: false,
      flowPlainAllowed: false,
      blockPlainAllowed: true,
      singleQuotedAllowed: true,
      blockAllowed: false,
    };
  }
  const cps = codePoints(value);
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let flowIndicators = blockIndicators;
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    // Only blanks (space, tab) or the end count as whitespace after an indicator.
    const followedByWhitespace = i + 1 >= cps.length || isBlank(cps[i + 1]);
    if (i === 0) {
      if (FIRST_INDICATORS.has(cp)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (cp === 0x3f || cp === 0x3a) {
        // '?' and ':'
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (cp === 0x2d && followedByWhitespace) {
        // '-'
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (FLOW_INDICATORS.has(cp)) {
      flowIndicators = true;
    } else if (cp === 0x3a) {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (cp === 0x23 && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (major === 3 && cp === TAB) tabs = true;
    else if (!isYamlPrintable(cp)) special = true;
    if (cp === SPACE) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isYamlBreak(cp)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(cp) || isYamlBreak(cp);
  }
  const result: ScalarAnalysis = {
    multiline: lineBreaks,
    flowPlainAllowed: true,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    result.flowPlainAllowed = false;
    result.blockPlainAllowed = false;
  }
  if (trailingSpace) result.blockAllowed = false;
  if (breakSpace || spaceBreak || tabs || special) {
    result.flowPlainAllowed = false;
    result.blockPlainAllowed = false;
    result.singleQuotedAllowed = false;
  }
  if (spaceBreak || special) result.blockAllowed = false;
  if (lineBreaks) {
    result.flowPlainAllowed = false;
    result.blockPlainAllowed = false;
  }
  if (flowIndicators) result.flowPlainAllowed = false;
  if (blockIndicators) result.blockPlainAllowed = false;
  return result;
}

/** Where a scalar is written: in a flow collection, and/or as a simple mapping key. */
export interface ScalarContext {
  flow: boolean;
  simpleKey: boolean;
}

/**
 * The style libyaml settles on for a requested style: plain falls back to single quotes, and
 * single quotes and block scalars fall back to double quotes, when the value needs it.
 */
export function selectScalarStyle(
  value: string,
  requested: ScalarStyle,
  analysis: ScalarAnalysis,
  context: ScalarContext,
): ScalarStyle {
  let style = requested;
  if (context.simpleKey && analysis.multiline) style = 'double';
  if (style === 'plain') {
    const allowed = context.flow ? analysis.flowPlainAllowed : analysis.blockPlainAllowed;
    if (!allowed) style = 'single';
    if (value === '' && (context.flow || context.simpleKey)) style = 'single';
  }
  if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && (!analysis.blockAllowed || context.flow || context.simpleKey)) {
    style = 'double';
  }
  return style;
}

const DOUBLE_QUOTE_ESCAPES = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

function hexEscape(cp: number): string {
  const hex = cp.toString(16).toUpperCase();
  if (cp <= 0xff) return `x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `u${hex.padStart(4, '0')}`;
  return `U${hex.padStart(8, '0')}`;
}

/** Layout settings of a writer. */
export interface GoYamlWriterOptions {
  /** Indentation step (go-yaml clamps it to 2..9). */
  bestIndent: number;
  /**
   * Preferred line width for folding long flow scalars; negative means never fold. Default:
   * 80 for v2, never for v3 (go-yaml v3's encoder starts with an unlimited width).
   */
  bestWidth?: number;
  major: GoYamlMajor;
}

/**
 * The output side of libyaml's emitter: the text written so far and the state that decides
 * where line breaks and indentation go. Fields are public so a document emitter can drive it.
 */
export class GoYamlWriter {
  readonly major: GoYamlMajor;
  readonly bestIndent: number;
  readonly bestWidth: number;
  /** Current indentation column; -1 before the first block. */
  indent = -1;
  column = 0;
  /** The last character written is whitespace (or nothing was written on this line). */
  whitespace = true;
  /** Only indentation has been written on this line so far. */
  indention = true;
  /** The indentation of the last foot comment (a blank line follows it at that indent). */
  footIndent = -1;
  #out: string[] = [];

  constructor(options: GoYamlWriterOptions) {
    this.major = options.major;
    this.bestIndent =
      options.bestIndent < 2 || options.bestIndent > 9 ? 2 : Math.trunc(options.bestIndent);
    const width = options.bestWidth ?? (options.major === 2 ? 80 : -1);
    if (width < 0) this.bestWidth = Number.POSITIVE_INFINITY;
    else this.bestWidth = width <= this.bestIndent * 2 ? 80 : width;
  }

  /** Everything written so far. */
  text(): string {
    return this.#out.join('');
  }

  /** Writes one character that is not a line break. */
  put(c: string): void {
    this.#out.push(c);
    this.column++;
  }

  /** Starts a new line. */
  putBreak(): void {
    this.#out.push('\n');
    this.column = 0;
    this.indention = true;
  }

  /** Writes a line break character taken from a value (kept as it is unless it is LF). */
  writeBreak(c: string): void {
    if (c === '\n') {
      this.putBreak();
      return;
    }
    this.#out.push(c);
    this.column = 0;
    this.indention = true;
  }

  /** Moves to the current indentation, on a new line when anything else is on this one. */
  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.putBreak();
    }
    // A blank line separates a foot comment from what follows at its indentation.
    if (this.footIndent === indent) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.footIndent = -1;
  }

  /** Writes an indicator (`-`, `:`, `?`, `|`, quotes...), preceded by a space if needed. */
  writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    isWhitespace: boolean,
    isIndention: boolean,
  ): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of indicator) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** Writes a tag (such as `!!binary`), separated from what precedes it. */
  writeTag(text: string): void {
    if (!this.whitespace) this.put(' ');
    for (const c of text) this.put(c);
    this.whitespace = false;
    this.indention = false;
  }

  /** A plain scalar; long lines fold at spaces after the preferred width if `allowBreaks`. */
  writePlain(value: string, allowBreaks: boolean): void {
    // v3 writes nothing at all for an empty plain scalar; v2 still writes the separating space.
    const empty = value === '' && this.major === 3;
    if (!empty && !this.whitespace) this.put(' ');
    const cps = codePoints(value);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i] as number;
      const c = String.fromCodePoint(cp);
      if (cp === SPACE) {
        if (allowBreaks && !spaces && this.column > this.bestWidth && cps[i + 1] !== SPACE) {
          this.writeIndent();
        } else {
          this.put(c);
        }
        spaces = true;
      } else if (isYamlBreak(cp)) {
        if (!breaks && cp === LF) this.putBreak();
        this.writeBreak(c);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (!empty) this.whitespace = false;
    this.indention = false;
  }

  /** A single-quoted scalar (`'` doubled); folds like a plain one. */
  writeSingleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    const cps = codePoints(value);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i] as number;
      const c = String.fromCodePoint(cp);
      if (cp === SPACE) {
        const inside = i > 0 && i < cps.length - 1;
        if (
          allowBreaks &&
          !spaces &&
          this.column > this.bestWidth &&
          inside &&
          cps[i + 1] !== SPACE
        ) {
          this.writeIndent();
        } else {
          this.put(c);
        }
        spaces = true;
      } else if (isYamlBreak(cp)) {
        if (!breaks && cp === LF) this.putBreak();
        this.writeBreak(c);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (cp === 0x27) this.put("'");
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /** A double-quoted scalar with libyaml's escapes; folds at spaces after the preferred width. */
  writeDoubleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const cps = codePoints(value);
    // libyaml looks for a byte-order mark at the start of the value, not at each character:
    // a value that starts with one has every character escaped.
    const startsWithBom = cps[0] === 0xfeff;
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i] as number;
      if (!isYamlPrintable(cp) || startsWithBom || isYamlBreak(cp) || cp === 0x22 || cp === 0x5c) {
        this.put('\\');
        for (const e of DOUBLE_QUOTE_ESCAPES.get(cp) ?? hexEscape(cp)) this.put(e);
        spaces = false;
      } else if (cp === SPACE) {
        if (allowBreaks && !spaces && this.column > this.bestWidth && i > 0 && i < cps.length - 1) {
          this.writeIndent();
          // A space at the start of a continuation line would be lost: escape it.
          if (cps[i + 1] === SPACE) this.put('\\');
        } else {
          this.put(' ');
        }
        spaces = true;
      } else {
        this.put(String.fromCodePoint(cp));
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /** The indentation and chomping indicators of a block scalar. */
  writeBlockHints(value: string): void {
    const cps = codePoints(value);
    const first = cps[0];
    if (first !== undefined && (first === SPACE || isYamlBreak(first))) {
      this.writeIndicator(String(this.bestIndent), false, false, false);
    }
    const last = cps[cps.length - 1];
    let chomp = '';
    if (last === undefined || !isYamlBreak(last)) chomp = '-';
    else if (cps.length === 1) chomp = '+';
    else if (isYamlBreak(cps[cps.length - 2] as number)) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
  }

  /**
   * A literal block scalar at the current indentation; `lineComment` (if any) goes after the
   * header, as go-yaml v3 writes it.
   */
  writeLiteral(value: string, lineComment = ''): void {
    this.writeIndicator('|', true, false, false);
    this.writeBlockHints(value);
    if (lineComment === '') this.putBreak();
    else {
      if (!this.whitespace) this.put(' ');
      this.writeComment(lineComment);
    }
    this.whitespace = true;
    let breaks = true;
    for (const c of value) {
      const cp = c.codePointAt(0) as number;
      if (isYamlBreak(cp)) {
        this.writeBreak(c);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }

  /** A comment block: each line gets `# ` unless it starts with `#`; ends with a line break. */
  writeComment(comment: string): void {
    let breaks = false;
    let pound = false;
    for (const c of comment) {
      if (isYamlBreak(c.codePointAt(0) as number)) {
        this.writeBreak(c);
        breaks = true;
        pound = false;
      } else {
        if (breaks) this.writeIndent();
        if (!pound) {
          if (c !== '#') {
            this.put('#');
            this.put(' ');
          }
          pound = true;
        }
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
    if (!breaks) this.putBreak();
    this.whitespace = true;
  }

  /** Writes `value` in `style`; `allowBreaks` is false for simple keys. */
  writeScalar(value: string, style: ScalarStyle, allowBreaks: boolean, lineComment = ''): void {
    switch (style) {
      case 'plain':
        this.writePlain(value, allowBreaks);
        return;
      case 'single':
        this.writeSingleQuoted(value, allowBreaks);
        return;
      case 'double':
        this.writeDoubleQuoted(value, allowBreaks);
        return;
      default:
        this.writeLiteral(value, lineComment);
    }
  }
}
