/**
 * Generators of plaintext files for the differential sops tests: YAML (every value type go-yaml
 * decodes, `!!binary`, comments, nested maps and lists, several documents), JSON, dotenv and
 * binary files, with keys that make every encryption rule match some leaves and not others.
 */
import fc from 'fast-check';

/** One file to encrypt with sops: its name (the extension picks the format) and bytes. */
export interface PlaintextCase {
  name: string;
  bytes: Uint8Array;
  /** sops flags choosing which values are encrypted (and where the MAC goes). */
  rules: string[];
  /** Extra sops flags (input type, indentation). */
  flags: string[];
}

const utf8 = new TextEncoder();

// Characters of every class the emitter treats differently: ASCII, indicators, quotes, blanks,
// line breaks (LF, CR, NEL, LS, PS), controls, C1, NBSP, BOM, BMP private use, non-characters,
// emoji and other characters beyond the BMP.
const specialChars = [
  ...' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  '\t',
  '\n',
  '\r',
  '\u0000',
  '\u0001',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00a0',
  '\u00e9',
  '\u2028',
  '\u2029',
  '\u200b',
  '\ud7ff',
  '\ue000',
  '\ufeff',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '\u{1f600}',
  '\u{10ffff}',
  '日本',
];

function charOf(pool: string[]) {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'abcxyz019 ') },
    { weight: 3, arbitrary: fc.constantFrom(...pool) },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 1 })
        .filter((c) => pool.includes(c) || !/[\u2028\u2029]/.test(c)),
    },
  );
}

/**
 * Strings of every shape: empty, short, long, multi-line, typed-looking, indicator-led.
 * `yamlBreaks` false leaves out U+2028 and U+2029, which go-yaml (YAML 1.1) reads as line
 * breaks where YAML 1.2 parsers do not (a documented limit for values sops leaves in clear).
 */
export function stringsOf(yamlBreaks: boolean): fc.Arbitrary<string> {
  const char = charOf(
    yamlBreaks ? specialChars : specialChars.filter((c) => c !== '\u2028' && c !== '\u2029'),
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.array(char, { maxLength: 30 }).map((cs) => cs.join('')) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        'yes',
        'No',
        'on',
        'true',
        'null',
        '~',
        '123',
        '0x1F',
        '1e3',
        '1_000',
        '12:30:45',
        '2024-01-02',
        '<<',
        '---',
        '...',
        '- x',
        '? x',
        ': x',
        'a: b',
        'a #b',
        '#x',
        '@x',
        '`x',
        "it's",
        'C:\\path',
        '=',
        '%x',
        '!x',
        '&x',
        '*x',
        '|x',
        '>x',
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .array(
          fc.array(char, { maxLength: 12 }).map((cs) => cs.join('')),
          {
            minLength: 2,
            maxLength: 5,
          },
        )
        .map((lines) => lines.join('\n')),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.constantFrom('word', 'x', '  ', 'longer-word'), { minLength: 20, maxLength: 60 })
        .map((ws) => ws.join(' ')),
    },
  );
}

/** Strings with every character, for formats whose parsers agree on line breaks. */
export const anyString = stringsOf(true);
const yamlString = stringsOf(false);

/** Text of a YAML double-quoted scalar holding `value` exactly. */
export function yamlQuoted(value: string): string {
  let out = '"';
  for (const c of value) {
    const cp = c.codePointAt(0) as number;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (
      cp < 0x20 ||
      (cp >= 0x7f && cp <= 0x9f) ||
      cp === 0x2028 ||
      cp === 0x2029 ||
      cp === 0xfeff ||
      cp === 0xfffe ||
      cp === 0xffff
    ) {
      out += cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16)}`;
    } else out += c;
  }
  return `${out}"`;
}

/** Plain scalars go-yaml decodes into ints, floats, bools, nulls and times (and near misses). */
const typedScalar = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.integer().map(String),
  fc.constantFrom('0', '-0', '+5', '007', '0x1F', '0o17', '0b101', '1_000', '-0x10'),
  fc.double({ noNaN: true }).map((n) => String(n)),
  fc.constantFrom(
    '1.5',
    '1e7',
    '6.02e23',
    '1.5e-10',
    '-0.0',
    '.5',
    '1.0',
    '1e400',
    '-1e400',
    '1e-400',
    '18446744073709551616',
    '.inf',
    '-.inf',
    '.nan',
    '1e+05',
    '2e308',
  ),
  fc.constantFrom('true', 'false', 'True', 'FALSE', 'null', '~', 'Null'),
  fc.constantFrom(
    '2024-01-02',
    '2024-01-02T03:04:05Z',
    '2024-1-2 3:4:5',
    '2024-01-02t03:04:05.123456789+02:00',
    '2024-01-02T03:04:05.500-00:00',
    '2023-02-30',
    '2024-02-29',
    '2024-13-01',
    '12:30',
    '1:20:30.5',
  ),
);

const bytesValue = fc.uint8Array({ maxLength: 90 });

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A YAML scalar's text, with an optional trailing comment. */
const yamlScalarOf = (comments: boolean) =>
  fc
    .tuple(
      fc.oneof(
        { weight: 4, arbitrary: yamlString.map(yamlQuoted) },
        { weight: 3, arbitrary: typedScalar },
        { weight: 2, arbitrary: bytesValue.map((b) => `!!binary ${base64(b)}`) },
      ),
      comments
        ? fc.option(fc.constantFrom('line comment', 'sops:enc', 'noenc', ' spaced'), {
            nil: undefined,
          })
        : fc.constant(undefined),
    )
    .map(([text, comment]) => (comment === undefined ? text : `${text} #${comment}`));

// Keys that the rules of `ruleSets` match (or not), and keys that need quoting.
const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'name', 'password', 'data', 'k-1') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('note_unencrypted', 'token_enc', 'stringData', 'plain', 'x_clear'),
  },
  {
    weight: 1,
    arbitrary: yamlString.filter((s) => s !== '' && s !== 'sops' && !s.includes('\n')),
  },
);

type YamlTree = { map: [string, YamlTree][] } | { list: YamlTree[] } | { scalar: string };

const yamlTreeOf = (comments: boolean): fc.Arbitrary<YamlTree> =>
  fc.letrec<{ tree: YamlTree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 5, arbitrary: yamlScalarOf(comments).map((scalar) => ({ scalar })) },
      {
        weight: 2,
        arbitrary: fc
          .uniqueArray(fc.tuple(key, tie('tree')), { maxLength: 5, selector: ([k]) => k })
          .map((map) => ({ map })),
      },
      { weight: 1, arbitrary: fc.array(tie('tree'), { maxLength: 4 }).map((list) => ({ list })) },
    ),
  })).tree;

const headComment = fc.option(fc.constantFrom('head comment', 'sops:enc', 'noenc'), {
  nil: undefined,
});

function writeYaml(tree: YamlTree, indent: string, out: string[], comments: string[]): void {
  if ('map' in tree) {
    if (tree.map.length === 0) {
      out.push(`${indent}{}`);
      return;
    }
    tree.map.forEach(([k, v], i) => {
      const comment = comments[i % Math.max(comments.length, 1)];
      if (comment !== undefined && i % 2 === 1) out.push(`${indent}# ${comment}`);
      writeEntry(`${indent}${yamlQuoted(k)}:`, v, indent, out, comments);
    });
  } else if ('list' in tree) {
    if (tree.list.length === 0) {
      out.push(`${indent}[]`);
      return;
    }
    for (const item of tree.list) writeEntry(`${indent}-`, item, indent, out, comments);
  } else out.push(`${indent}${tree.scalar}`);
}

function writeEntry(
  lead: string,
  value: YamlTree,
  indent: string,
  out: string[],
  comments: string[],
): void {
  if ('scalar' in value) {
    out.push(`${lead} ${value.scalar}`);
    return;
  }
  if (('map' in value && value.map.length === 0) || ('list' in value && value.list.length === 0)) {
    out.push(`${lead} ${'map' in value ? '{}' : '[]'}`);
    return;
  }
  out.push(lead);
  writeYaml(value, `${indent}  `, out, comments);
}

/** A YAML document: a mapping at the root (what sops requires). */
const yamlDocumentOf = (comments: boolean) =>
  fc
    .tuple(
      fc.uniqueArray(fc.tuple(key, yamlTreeOf(comments)), { maxLength: 6, selector: ([k]) => k }),
      comments ? fc.array(headComment, { maxLength: 3 }) : fc.constant([]),
    )
    .map(([entries, comments]) => {
      const out: string[] = [];
      writeYaml(
        { map: entries },
        '',
        out,
        comments.filter((c) => c !== undefined),
      );
      return out.join('\n');
    });

/** The encryption rules sops can be given, each as command-line flags. */
export const ruleSets: string[][] = [
  [],
  ['--unencrypted-suffix', '_clear'],
  ['--encrypted-suffix', '_enc'],
  ['--encrypted-regex', '^(data|stringData|password|a)$'],
  ['--unencrypted-regex', '^(name|plain|b)$'],
  ['--encrypted-comment-regex', 'sops:enc'],
  ['--unencrypted-comment-regex', 'noenc'],
  ['--mac-only-encrypted', '--encrypted-regex', '^(password|a)$'],
  ['--mac-only-encrypted'],
];

const rules = fc.constantFrom(...ruleSets);

/** Multi-document YAML files, with or without comments. */
export const yamlCaseOf = (comments: boolean): fc.Arbitrary<PlaintextCase> =>
  fc
    .tuple(
      fc.array(yamlDocumentOf(comments), { minLength: 1, maxLength: 3 }),
      rules,
      fc.constantFrom(undefined, 2, 3, 4, 8),
    )
    .map(([docs, rules, indent]) => ({
      name: 'values.yaml',
      bytes: utf8.encode(`${docs.join('\n---\n')}\n`),
      rules,
      flags: indent === undefined ? [] : ['--indent', String(indent)],
    }));

type JsonTree = { object: [string, JsonTree][] } | { array: JsonTree[] } | { literal: string };

const jsonLiteral = fc.oneof(
  anyString.map((s) => JSON.stringify(s)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('true', 'false', 'null', '1.0', '-0', '1E5', '1e-7', '123456789012345678901234'),
);

const jsonTree: fc.Arbitrary<JsonTree> = fc.letrec<{ tree: JsonTree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: jsonLiteral.map((literal) => ({ literal })) },
    {
      weight: 2,
      arbitrary: fc
        .uniqueArray(fc.tuple(key, tie('tree')), { maxLength: 5, selector: ([k]) => k })
        .map((object) => ({ object })),
    },
    { weight: 1, arbitrary: fc.array(tie('tree'), { maxLength: 4 }).map((array) => ({ array })) },
  ),
})).tree;

function jsonText(tree: JsonTree): string {
  if ('literal' in tree) return tree.literal;
  if ('array' in tree) return `[${tree.array.map(jsonText).join(', ')}]`;
  return `{${tree.object.map(([k, v]) => `${JSON.stringify(k)}: ${jsonText(v)}`).join(', ')}}`;
}

/** JSON files (a top-level object, as sops requires). */
export const jsonCase: fc.Arbitrary<PlaintextCase> = fc
  .tuple(
    fc.uniqueArray(fc.tuple(key, jsonTree), { maxLength: 6, selector: ([k]) => k }),
    fc.constantFrom(...ruleSets.filter((r) => !r.some((f) => f.includes('comment')))),
    fc.constantFrom(undefined, 0, 2, 4),
  )
  .map(([entries, rules, indent]) => ({
    name: 'values.json',
    bytes: utf8.encode(`${jsonText({ object: entries })}\n`),
    rules,
    flags: indent === undefined ? [] : ['--indent', String(indent)],
  }));

/** dotenv files: any bytes but line breaks in values and `=` in keys; comments. */
export const dotenvCase: fc.Arbitrary<PlaintextCase> = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc
          .tuple(
            fc.constantFrom('A', 'password', 'token_enc', 'x_clear', 'name', 'K_1'),
            fc.uint8Array({ maxLength: 40 }),
          )
          .map(([k, v]) => [...utf8.encode(`${k}=`), ...v.filter((b) => b !== 0x0a), 0x0a]),
        fc.uint8Array({ maxLength: 20 }).map((c) => [0x23, ...c.filter((b) => b !== 0x0a), 0x0a]),
      ),
      { minLength: 1, maxLength: 8 },
    ),
    fc.constantFrom(...ruleSets.filter((r) => !r.some((f) => f.includes('comment')))),
  )
  .filter(([lines]) => lines.some((l) => l[0] !== 0x23))
  .map(([lines, rules]) => ({
    name: 'values.env',
    bytes: new Uint8Array(lines.flat()),
    rules,
    flags: [],
  }));

/** Binary files: every byte value, and sizes around the base64 and block boundaries. */
export const binaryCase: fc.Arbitrary<PlaintextCase> = fc
  .oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.constant(Uint8Array.from({ length: 256 }, (_, i) => i)),
    fc.constantFrom(new Uint8Array([0xef, 0xbb, 0xbf]), new Uint8Array([0xff, 0xfe, 0x00])),
  )
  .map((bytes) => ({ name: 'blob.der', bytes, rules: [], flags: [] }));
