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
  emit(result: TreeResult): Uint8Array;
}

/** A text edit: replace `[start, end)` with `text`; among equal starts, higher `order` first. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
  order: number;
}

/** Applies non-overlapping edits to a text in one pass. */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  // Ascending by start; among insertions at one offset, higher `order` goes last, so that it
  // ends up after the others, as applying them from the end would place it.
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.order - b.order);
  const parts: string[] = [];
  let at = 0;
  for (const e of sorted) {
    parts.push(source.slice(at, e.start), e.text);
    at = Math.max(at, e.end);
  }
  parts.push(source.slice(at));
  return parts.join('');
}
