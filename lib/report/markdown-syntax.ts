/**
 * The Markdown primitives every GitHub surface uses (plans, comments, drift issues, for every
 * kind of app): text from repositories, hosts and API servers is escaped so it cannot break
 * out of a table cell, code span or fence.
 */

/** Escapes text for a Markdown table cell, heading or summary line. */
export function escapeInline(text: string): string {
  return text.replace(/[\\`*_|<>[\]#]/g, (c) => `\\${c}`);
}

/** `text` as a code span that no backtick in it can close. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\s+/g, ' ')}\``;
}

/** A code fence longer than any backtick run inside the content. */
export function fence(content: string): string {
  const longest = Math.max(2, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(longest + 1);
}

/** `text` as a Markdown block quote. */
export function quoteBlock(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

/**
 * The self-heal paragraph of a drift issue: healed (it closes at the next clean sweep), failed
 * (with each error), or off (what to do instead). `what` names what was put back.
 */
export function selfHealLines(
  healed: { ok: boolean; errors: readonly string[] } | undefined,
  what: { healed: string; off: string },
): string[] {
  if (healed?.ok) {
    return [
      `**Self-healed:** ${what.healed} (\`selfHeal: true\`). This issue closes at the next clean sweep.`,
      '',
    ];
  }
  if (healed) {
    return [
      '**Self-heal failed:**',
      '',
      ...healed.errors.map((error) => `- ${escapeInline(error)}`),
      '',
    ];
  }
  return [`\`selfHeal\` is off for this app: change Git to match, or ${what.off}.`, ''];
}
