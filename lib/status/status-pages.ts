/**
 * The status page's HTML, server-rendered with `hono/jsx` (called as functions: no build step,
 * and Node runs these files as they are). Every text from a repository, a commit, a cluster or
 * a host is a JSX child or attribute, so it is escaped; links go only to this site's own paths
 * or to `http(s)` pages the Git host named. No script; one small stylesheet that works from a
 * phone's width up (tables become stacked cards below 760 px).
 */
// The automatic runtime's `jsx` (children in props) is a fraction of `hono/jsx`'s whole
// module (hooks, streaming, DOM), which the Worker bundle would otherwise carry.
import { Fragment, jsx } from 'hono/jsx/jsx-runtime';
import type { HistoryRecord, RunCommit } from '../history/history-record.ts';
import type {
  AppDocument,
  AppStatus,
  HistoryHealth,
  OverviewDocument,
  RunSummary,
} from './status-model.ts';

/** A JSX element or text. */
type Child = ReturnType<typeof jsx> | string | number | null | undefined | false | Child[];

const h = (
  tag: Parameters<typeof jsx>[0],
  props: Record<string, unknown> | null,
  ...children: Child[]
) => jsx(tag, { ...props, children: children as never });

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--chip:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#3d444d;--chip:#151b23;--ok:#3fb950;--warn:#d29922;--bad:#f85149}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);overflow-wrap:break-word}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:baseline;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
header strong{font-size:1.1rem}
main{padding:1rem;max-width:1200px;margin:0 auto}
a{color:inherit}
h1{font-size:1.35rem;margin:.25rem 0 .75rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:var(--chip);border:1px solid var(--line);padding:.6rem;overflow-x:auto;max-width:100%;white-space:pre}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.45rem .5rem;border-bottom:1px solid var(--line)}
th{font-size:.8rem;color:var(--muted);font-weight:600}
.muted{color:var(--muted)}
.chip{display:inline-block;padding:0 .45rem;border-radius:1rem;background:var(--chip);border:1px solid var(--line);font-size:.8rem;white-space:nowrap}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
.banner{border:1px solid var(--line);border-left:4px solid var(--warn);padding:.6rem .8rem;margin:0 0 1rem;background:var(--chip)}
.banner.bad{border-left-color:var(--bad)}.banner.ok{border-left-color:var(--ok)}
.failure{border-left:4px solid var(--bad);padding:.25rem .75rem;margin:.5rem 0}
.timeline{list-style:none;padding:0;margin:0}
.timeline>li{border-bottom:1px solid var(--line);padding:.6rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
form{margin:.5rem 0}
input[type=text],input[type=password]{font:inherit;padding:.35rem .5rem;max-width:100%;border:1px solid var(--line);background:var(--bg);color:var(--fg)}
button{font:inherit;padding:.4rem .9rem;border:1px solid var(--line);border-radius:.3rem;background:var(--chip);color:var(--fg);cursor:pointer}
@media (max-width:760px){
 table.cards thead{display:none}
 table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
 table.cards tr{border:1px solid var(--line);border-radius:.4rem;margin:0 0 .75rem;padding:.25rem .5rem}
 table.cards td{border:0;padding:.2rem 0;display:grid;grid-template-columns:6.5rem minmax(0,1fr);gap:.5rem;overflow-wrap:anywhere}
 table.cards td::before{content:attr(data-label);color:var(--muted);font-size:.8rem}
 dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4rem}
}`;

/** A link only to `http(s)` pages; anything else (javascript:, data:) stays text. */
export function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** How often a page reloads itself: the overview always, an app's page while it has work. */
export const REFRESH_SECONDS = { overview: 30, busyApp: 5 } as const;

/** The whole page around `content`; `refreshSeconds` reloads it (a page left open stays current). */
export function page(
  title: string,
  content: Child,
  options: { nav?: boolean; refreshSeconds?: number } = {},
) {
  return h(
    Fragment,
    null,
    h('html', { lang: 'en' }, [
      h(
        'head',
        null,
        h('meta', { charset: 'utf-8' }),
        h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
        h('meta', { name: 'referrer', content: 'same-origin' }),
        options.refreshSeconds
          ? h('meta', { 'http-equiv': 'refresh', content: String(options.refreshSeconds) })
          : null,
        h('title', null, `${title} · Plumbline`),
        h('style', { dangerouslySetInnerHTML: { __html: STYLE } }),
      ),
      h(
        'body',
        null,
        h(
          'header',
          null,
          h('strong', null, 'Plumbline'),
          options.nav === false
            ? null
            : h(
                'nav',
                null,
                h('a', { href: '/' }, 'Apps'),
                ' · ',
                h('a', { href: '/setup/github' }, 'GitHub setup'),
                ' · ',
                h('a', { href: '/api/v1/overview' }, 'API'),
              ),
        ),
        h('main', null, content),
      ),
    ]),
  );
}

const OUTCOME_CLASS: Record<string, string> = {
  applied: 'ok',
  healed: 'ok',
  'in-sync': 'ok',
  planned: 'ok',
  synced: 'ok',
  healthy: 'ok',
  failed: 'bad',
  error: 'bad',
  degraded: 'bad',
  drifted: 'warn',
  held: 'warn',
  progressing: 'warn',
  'not-planned': 'warn',
  running: 'warn',
  queued: 'warn',
};

/** A word in a chip, coloured by what it means (the class comes from a fixed table). */
function chip(word: string) {
  return h('span', { class: `chip ${OUTCOME_CLASS[word] ?? 'muted'}` }, word);
}

/** A commit: short sha (linked to the host's page when there is one), title and author. */
function commitView(commit: RunCommit | undefined, withTitle = true) {
  if (!commit) return h('span', { class: 'muted' }, '—');
  const short = h('code', null, commit.sha.slice(0, 7));
  const href = safeHref(commit.url);
  return h(
    'span',
    null,
    href ? h('a', { href, rel: 'noopener noreferrer' }, short) : short,
    withTitle && commit.title ? h('span', null, ' ', commit.title) : null,
    commit.author ? h('span', { class: 'muted' }, ' by ', commit.author) : null,
  );
}

function when(iso: string) {
  return h('time', { datetime: iso }, iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
}

function duration(ms: number): string {
  return ms < 1000
    ? `${ms} ms`
    : ms < 60_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`;
}

function countsText(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${action}`)
    .join(', ');
}

/** The banner of a history that cannot be used. */
function historyBanner(history: HistoryHealth) {
  if (history.ok) return null;
  return h(
    'div',
    { class: 'banner bad', role: 'alert' },
    h('strong', null, 'History unavailable: '),
    history.message,
    history.hint ? h('div', null, history.hint) : null,
    h(
      'div',
      { class: 'muted' },
      `Since ${history.since}; ${history.pending} run(s) kept in memory until it can be written. Deploys go on.`,
    ),
  );
}

function failureView(failure: NonNullable<HistoryRecord['failure']>) {
  return h(
    'div',
    { class: 'failure' },
    h('div', null, h('strong', null, `${failure.stage} failed: `), failure.message),
    failure.file
      ? h('div', { class: 'muted' }, `${failure.file}${failure.line ? `:${failure.line}` : ''}`)
      : null,
    failure.hint ? h('div', null, 'Hint: ', failure.hint) : null,
  );
}

function leaseView(lease: AppStatus['lease']) {
  if (!lease) return h('span', { class: 'muted' }, 'free');
  return h(
    'span',
    null,
    chip(lease.state === 'held-elsewhere' ? 'held' : lease.state),
    ' ',
    h('code', null, lease.holder),
  );
}

function driftView(status: AppStatus) {
  if (status.drift.length === 0) return h('span', { class: 'muted' }, 'none');
  const shown = status.drift.slice(0, 3);
  return h(
    'span',
    null,
    status.healed ? chip('healed') : null,
    shown.map((d) =>
      h(
        'div',
        null,
        h('code', null, d.field),
        ' ',
        h('span', { class: 'muted' }, `of ${d.subject} by `),
        d.changedBy.join(', ') || 'unknown',
      ),
    ),
    status.drift.length > shown.length
      ? h('div', { class: 'muted' }, `and ${status.drift.length - shown.length} more`)
      : null,
  );
}

function lastRunView(run: RunSummary | undefined) {
  if (!run) return h('span', { class: 'muted' }, 'none yet');
  return h(
    'span',
    null,
    chip(run.outcome),
    ' ',
    `${run.kind} (${run.trigger}) `,
    h('span', { class: 'muted' }, when(run.finishedAt)),
  );
}

/** The overview: every app and how it stands. */
export function overviewPage(doc: OverviewDocument, setupNeeded: boolean) {
  const rows = doc.apps.map((status) =>
    h(
      'tr',
      null,
      h(
        'td',
        { 'data-label': 'App' },
        h('a', { href: status.links.page }, h('strong', null, status.app)),
        h('div', { class: 'muted' }, status.repo),
      ),
      h('td', { 'data-label': 'Target' }, status.target ?? '—'),
      h('td', { 'data-label': 'Head' }, commitView(status.head, false)),
      h('td', { 'data-label': 'Applied' }, commitView(status.applied, false)),
      h('td', { 'data-label': 'Sync' }, chip(status.sync)),
      h('td', { 'data-label': 'Health' }, chip(status.health)),
      h('td', { 'data-label': 'Drift' }, driftView(status)),
      h('td', { 'data-label': 'Lease' }, leaseView(status.lease)),
      h('td', { 'data-label': 'Last run' }, lastRunView(status.lastRun)),
    ),
  );
  return page(
    'Apps',
    h(
      Fragment,
      null,
      historyBanner(doc.history),
      setupNeeded
        ? h(
            'div',
            { class: 'banner' },
            'No GitHub credentials are configured. ',
            h('a', { href: '/setup/github' }, 'Register a GitHub App'),
            ' to read repositories and report on them.',
          )
        : null,
      h('h1', null, 'Apps'),
      doc.apps.length === 0
        ? h(
            'p',
            { class: 'muted' },
            'No run recorded yet. Runs appear here after the first push, pull request or sweep.',
          )
        : h(
            'table',
            { class: 'cards' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ...[
                  'App',
                  'Target',
                  'Head',
                  'Applied',
                  'Sync',
                  'Health',
                  'Drift',
                  'Lease',
                  'Last run',
                ].map((t) => h('th', null, t)),
              ),
            ),
            h('tbody', null, rows),
          ),
      h(
        'p',
        { class: 'muted' },
        'As of ',
        when(doc.generatedAt),
        `. Each app shows what its last run saw; the sweep refreshes it. This page reloads every ${REFRESH_SECONDS.overview} s.`,
      ),
    ),
    { refreshSeconds: REFRESH_SECONDS.overview },
  );
}

function runView(run: RunSummary, record: HistoryRecord | undefined) {
  return h(
    'li',
    { id: `run-${run.id}` },
    h(
      'div',
      null,
      chip(run.outcome),
      ' ',
      h('strong', null, run.kind),
      ` (${run.trigger}) `,
      run.pullRequest !== undefined ? `pull request #${run.pullRequest} ` : '',
      h('span', { class: 'muted' }, when(run.finishedAt), ` · ${duration(run.durationMs)}`),
    ),
    h('div', null, commitView(run.commit)),
    countsText(run.counts) ? h('div', { class: 'muted' }, countsText(run.counts)) : null,
    run.reason ? h('div', { class: 'muted' }, run.reason) : null,
    run.failure ? failureView(run.failure) : null,
    record && record.changes.length > 0
      ? h(
          'details',
          null,
          h(
            'summary',
            null,
            `${record.changes.length}${record.changesOmitted ? `+${record.changesOmitted}` : ''} changed`,
          ),
          h(
            'ul',
            null,
            record.changes.map((change) =>
              h(
                'li',
                null,
                h('code', null, change.subject),
                ` ${change.action}`,
                change.error ? h('span', { class: 'bad' }, `: ${change.error}`) : null,
              ),
            ),
          ),
        )
      : null,
  );
}

/** One app: its state, last failure, drift, last plan's diff and the timeline of its runs. */
export function appPage(doc: AppDocument, records: readonly HistoryRecord[]) {
  const { status } = doc;
  const byId = new Map(records.map((r) => [r.id, r]));
  const facts: [string, Child][] = [
    ['Repository', status.repo],
    ['Target', status.target ?? '—'],
    ['Head', commitView(status.head)],
    ['Applied', commitView(status.applied)],
    ['Sync', chip(status.sync)],
    ['Health', chip(status.health)],
    ['Lease', leaseView(status.lease)],
    ['Last run', lastRunView(status.lastRun)],
  ];
  return page(
    status.app,
    h(
      Fragment,
      null,
      historyBanner(doc.history),
      h('h1', null, status.app),
      h(
        'dl',
        { class: 'facts' },
        facts.map(([term, value]) => h(Fragment, null, h('dt', null, term), h('dd', null, value))),
      ),
      doc.lastFailure?.failure
        ? h(
            Fragment,
            null,
            h('h2', null, 'Last failure'),
            h(
              'div',
              { class: 'muted' },
              `${doc.lastFailure.kind} `,
              when(doc.lastFailure.finishedAt),
            ),
            failureView(doc.lastFailure.failure),
          )
        : null,
      status.drift.length > 0
        ? h(
            Fragment,
            null,
            h('h2', null, status.healed ? 'Drift (healed by the last sweep)' : 'Drift'),
            h(
              'table',
              { class: 'cards' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  h('th', null, 'Object'),
                  h('th', null, 'Field'),
                  h('th', null, 'Changed by'),
                ),
              ),
              h(
                'tbody',
                null,
                status.drift.map((d) =>
                  h(
                    'tr',
                    null,
                    h('td', { 'data-label': 'Object' }, h('code', null, d.subject)),
                    h('td', { 'data-label': 'Field' }, h('code', null, d.field)),
                    h('td', { 'data-label': 'Changed by' }, d.changedBy.join(', ') || 'unknown'),
                  ),
                ),
              ),
            ),
            doc.lastCheck?.diff
              ? h(
                  'details',
                  null,
                  h('summary', null, 'Diff from live to Git (masked)'),
                  h('pre', null, doc.lastCheck.diff),
                )
              : null,
          )
        : null,
      h('h2', null, 'Last plan'),
      doc.lastPlan
        ? h(
            'div',
            null,
            h(
              'div',
              null,
              chip(doc.lastPlan.outcome),
              ' ',
              doc.lastPlan.pullRequest !== undefined
                ? `pull request #${doc.lastPlan.pullRequest} · `
                : '',
              commitView(doc.lastPlan.commit),
              ' ',
              h('span', { class: 'muted' }, when(doc.lastPlan.finishedAt)),
            ),
            countsText(doc.lastPlan.counts)
              ? h('div', { class: 'muted' }, countsText(doc.lastPlan.counts))
              : null,
            doc.lastPlan.failure ? failureView(doc.lastPlan.failure) : null,
            doc.lastPlan.diff
              ? h('pre', { class: 'diff' }, doc.lastPlan.diff)
              : h('p', { class: 'muted' }, 'No change to show.'),
          )
        : h('p', { class: 'muted' }, 'No pull request has planned this app yet.'),
      h('h2', null, 'History'),
      doc.runs.length === 0
        ? h('p', { class: 'muted' }, 'No run recorded.')
        : h(
            'ol',
            { class: 'timeline' },
            doc.runs.map((run) => runView(run, byId.get(run.id))),
          ),
      doc.runs.length > 0
        ? h(
            'p',
            null,
            h(
              'a',
              { href: `${status.links.page}?before=${doc.runs[doc.runs.length - 1]?.id}` },
              'Older runs',
            ),
          )
        : null,
    ),
    // While the app has a job queued or running (here or elsewhere), follow it; otherwise
    // leave the reader be (a reload would lose their place in the timeline).
    status.lease ? { refreshSeconds: REFRESH_SECONDS.busyApp } : {},
  );
}

/** A page saying something went wrong (or right), with a way back. */
export function messagePage(title: string, message: Child, kind: 'ok' | 'bad' | 'warn' = 'bad') {
  return page(
    title,
    h(
      Fragment,
      null,
      h('h1', null, title),
      h('div', { class: `banner ${kind}` }, message),
      h('p', null, h('a', { href: '/' }, 'Back to the apps')),
    ),
  );
}

/** The login form (a token-protected status page). */
export function loginPage(next: string, failed: boolean) {
  return page(
    'Log in',
    h(
      Fragment,
      null,
      h('h1', null, 'Status page login'),
      failed
        ? h('div', { class: 'banner bad', role: 'alert' }, 'That token is not the status token.')
        : null,
      h(
        'p',
        null,
        'This status page is exposed beyond this machine; enter the status token (PLUMBLINE_STATUS_TOKEN) to read it.',
      ),
      h(
        'form',
        { method: 'post', action: '/login' },
        h('input', { type: 'hidden', name: 'next', value: next }),
        h(
          'label',
          null,
          'Token ',
          h('input', {
            type: 'password',
            name: 'token',
            autocomplete: 'current-password',
            required: true,
          }),
        ),
        ' ',
        h('button', { type: 'submit' }, 'Log in'),
      ),
    ),
    { nav: false },
  );
}

export { Fragment, h };
