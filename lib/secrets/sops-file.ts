/**
 * What every file format hands the format-independent decryption: the metadata, the leaves and
 * encrypted comments in file order, and a way to write the plaintext back in its own syntax.
 */
import type { SopsMetadata } from './sops-metadata.ts';
import type { SopsComment, SopsLeaf, TreeResult } from './sops-tree.ts';

/** The file formats sops stores (binary is not supported). */
export type SopsFormat = 'yaml' | 'json' | 'dotenv';

/** An encrypted file, parsed. */
export interface LoadedSopsFile {
  metadata: SopsMetadata;
  leaves: SopsLeaf[];
  comments: SopsComment[];
  /** The plaintext file (same format), given what decryption made of leaves and comments. */
  emit(result: TreeResult): string;
}

/** A text edit: replace `[start, end)` with `text`; among equal starts, higher `order` first. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
  order: number;
}

/** Applies non-overlapping edits to a text. */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.order - a.order);
  let out = source;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
