/**
 * `plumbline apply <dir>`: plans, then applies an app from a local directory to a kubeconfig
 * context under the app's lease, prunes what left the set and optionally waits for rollouts.
 * Exit codes: 0 applied (or nothing to do), 2 anything failed or was refused. (Unlike `plan`,
 * a change is not an exit code: scripts run `apply` under `set -e`.)
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChangeSet } from '../../lib/apply/apply.ts';
import { applyPlan } from '../../lib/apply/apply.ts';
import { ConfigError } from '../../lib/errors.ts';
import {
  type CliApplyContext,
  historyRecordOfChangeSet,
  historyRecordOfCliError,
} from '../../lib/history/records-of-run.ts';
import { planApp } from '../../lib/plan/plan.ts';
import { reportJson } from '../../lib/report/json.ts';
import type { Redacted } from '../../lib/report/redacted.ts';
import { redacted } from '../../lib/report/redacted.ts';
import { changeSetText } from '../../lib/report/text.ts';
import { redactError, SecretLedger } from '../../lib/secrets/secret-ledger.ts';
import { holderIdentity, isLocalHolderAlive } from '../node/lease-holder.ts';
import type { CliIo, CommandMain } from './command.ts';
import { clusterOptions, clusterOptionsHelp, outputFormat, prepare } from './plan.ts';
import { applyProgressText, progressLine } from './progress-line.ts';
import { recordRun } from './record-run.ts';

const options = {
  ...clusterOptions,
  prune: { type: 'boolean', default: true },
  'no-prune': { type: 'boolean', default: false },
  'allow-empty': { type: 'boolean', default: false },
  'allow-mass-prune': { type: 'boolean', default: false },
  wait: { type: 'string' },
  'lease-wait': { type: 'string' },
  'lease-duration': { type: 'string' },
  record: { type: 'boolean', default: false },
} as const;

function seconds(flag: string, value: string): number {
  const n = Number(value.replace(/s$/, ''));
  if (!Number.isFinite(n) || n < 0)
    throw new ConfigError(`--${flag} ${value}: expected a number of seconds`);
  return n * 1000;
}

function parse(args: string[]) {
  return parseArgs({ args, options, allowPositionals: true });
}

/** Entry point. */
export const main: CommandMain = async (args, io) => {
  const { values, positionals } = parse(args);
  if (values.help || positionals.length !== 1) {
    (values.help ? io.stdout : io.stderr)(
      [
        'Usage: plumbline apply <dir> [options]',
        '',
        clusterOptionsHelp,
        '  --no-prune            keep members that left the set',
        '  --allow-empty         allow an empty app (prunes every member)',
        '  --allow-mass-prune    allow pruning more than half of the set',
        '  --wait SECONDS        wait for rollouts of workloads',
        '  --lease-wait SECONDS  wait for another apply of the same app to finish',
        '                        (default: one lease duration, which outwaits a crashed run)',
        '  --lease-duration SECONDS  the lease duration written (default 15)',
        '  --record              record the run in the history the status page shows',
        '                        (SQLite in $PLUMBLINE_DATA_DIR, else $XDG_DATA_HOME/plumbline)',
        '',
        'Exit codes: 0 applied (or nothing to do), 2 error or refused.',
        '',
      ].join('\n'),
    );
    return values.help ? 0 : 2;
  }
  const format = outputFormat(values.output);
  const ledger = new SecretLedger();
  const dir = positionals[0] as string;
  const context: CliApplyContext = {
    runId: `cli/${hostname()}/${process.pid}/${Date.now().toString(36)}`,
    repo: resolve(dir),
    ...(values.context ? { target: values.context } : {}),
    startedAt: Date.now(),
    finishedAt: 0,
  };
  try {
    const changes = await applyDirectory(dir, values, format, io, ledger);
    if (values.record) {
      await recordRun(
        io,
        'apply',
        historyRecordOfChangeSet(changes, { ...context, finishedAt: Date.now() }),
      );
    }
    return changes.ok ? 0 : 2;
  } catch (error) {
    const safe = redactError(error, ledger);
    if (values.record) {
      const app = resolve(dir).split('/').pop() ?? dir;
      await recordRun(
        io,
        'apply',
        historyRecordOfCliError(app, undefined, safe, { ...context, finishedAt: Date.now() }),
      );
    }
    throw safe;
  }
};

async function applyDirectory(
  dir: string,
  values: ReturnType<typeof parse>['values'],
  format: ReturnType<typeof outputFormat>,
  io: CliIo,
  ledger: SecretLedger,
): Promise<Redacted<ChangeSet>> {
  const { input, client } = await prepare(dir, values, ledger);
  const failOnConflict = values['fail-on-conflict'];
  const pruneContents = values['prune-contents'];
  const plan = await planApp(input, client, undefined, { failOnConflict, pruneContents });
  const durationSeconds =
    values['lease-duration'] === undefined
      ? undefined
      : seconds('lease-duration', values['lease-duration']) / 1000;
  // On a terminal, one line says how far the apply is; off one, nothing but the result.
  const progress = progressLine({
    write: io.stderr,
    isTTY: io.stderrIsTTY === true,
    ...(io.columns ? { columns: io.columns } : {}),
  });
  let changes: Awaited<ReturnType<typeof applyPlan>>;
  try {
    changes = await applyPlan({ ...input, plan }, client, {
      onProgress: (step) => progress.update(applyProgressText(input.app, step)),
      holder: holderIdentity('cli'),
      failOnConflict,
      pruneContents,
      prune: values.prune && !values['no-prune'],
      allowEmpty: values['allow-empty'],
      allowMassPrune: values['allow-mass-prune'],
      lease: {
        isHolderAlive: (identity) => isLocalHolderAlive(identity),
        ...(durationSeconds === undefined ? {} : { durationSeconds }),
        ...(values['lease-wait'] === undefined
          ? {}
          : { waitMs: seconds('lease-wait', values['lease-wait']) }),
      },
      ...(values.wait !== undefined ? { health: { timeoutMs: seconds('wait', values.wait) } } : {}),
    });
  } finally {
    progress.clear();
  }
  const safe = redacted(changes, ledger);
  io.stdout(format === 'json' ? reportJson(safe) : changeSetText(safe, { colour: io.isTTY }));
  return safe;
}
