/**
 * `plumbline sweep`: one sweep of every app of every registered repository, in this process,
 * with the same settings as `plumbline serve`: heads missed by a webhook are applied, drift is
 * reported as GitHub issues (and healed where `selfHeal: true`), and issues of clean apps are
 * closed. Made for cron, a CI schedule, or a first look at drift.
 * Exit codes: 0 every app swept (drift included), 1 an app failed, 2 bad usage or settings.
 */
import { parseArgs } from 'node:util';
import { messageOf } from '../../lib/errors.ts';
import { sweepRecord } from '../../lib/flows/run-record.ts';
import { sweepApp, sweepJobs } from '../../lib/flows/sweep.ts';
import { jsonLogger, type Logger, silentLogger } from '../../lib/ports/logger.ts';
import { runRecordText } from '../../lib/report/text.ts';
import { nodeFlowDeps, reconcilerOptionsFromEnv } from '../node/reconciler.ts';
import { loadSettings } from '../node/settings.ts';
import { jobContextOf } from '../node.ts';
import type { CliIo, CommandMain } from './command.ts';
import { progressLine } from './progress-line.ts';

const HELP = `Usage: plumbline sweep [options]

Sweeps every app of every registered repository once: applies a branch head a webhook missed,
reports drift as a GitHub issue (label plumbline-drift) naming each field and the manager that
changed it, self-heals apps with selfHeal: true, and closes the issues of clean apps.

Options:
  --config FILE      runtime settings file (as for plumbline serve)
  --verbose          log every step as JSON lines on stderr
  -h, --help         show this help

Apps come from each repository's trusted plumbline.yaml (its default branch, or the
repository's trustedBranch in the settings); targets from the settings' bindings.

Environment: as plumbline serve (PLUMBLINE_REPOSITORIES, PLUMBLINE_TARGETS, GITHUB_TOKEN,
PLUMBLINE_SECRET_<NAME>, KUBECONFIG, AWS_*).

Exit codes: 0 swept (drift is reported, not an error), 1 an app failed, 2 usage or settings.
`;

/** What tests inject. */
export interface SweepCommandOptions {
  env?: Record<string, string | undefined>;
}

/** Runs `plumbline sweep`. */
export async function sweepCommand(
  args: string[],
  io: CliIo,
  options: SweepCommandOptions = {},
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const env = options.env ?? process.env;
  const settings = loadSettings({
    ...(values.config ? { file: values.config } : {}),
    env,
    flags: {},
  });
  const logger: Logger = values.verbose ? jsonLogger(io.stderr) : silentLogger;
  const context = jobContextOf(settings, logger);
  const deps = nodeFlowDeps(reconcilerOptionsFromEnv(env))(context);
  const jobs = await sweepJobs(context, {
    sweepId: `sweep-${new Date().toISOString()}`,
    logger,
  });
  if (jobs.length === 0) {
    io.stdout('no apps to sweep\n');
    return settings.repositories.length === 0 ? 2 : 0;
  }
  let failed = 0;
  const progress = progressLine({
    write: io.stderr,
    isTTY: io.stderrIsTTY === true,
    ...(io.columns ? { columns: io.columns } : {}),
  });
  for (const [i, job] of jobs.entries()) {
    const name = `${job.repo} ${job.app}`;
    progress.update(`sweeping ${i + 1}/${jobs.length}: ${name}`);
    try {
      // Outcomes leave the flow redacted by the job's ledger: safe to print as they are.
      const record = sweepRecord(await sweepApp(job, deps));
      if (record.status === 'failed') failed += 1;
      progress.clear();
      io.stdout(runRecordText(record));
    } catch (error) {
      failed += 1;
      progress.clear();
      io.stderr(`${name}: failed: ${messageOf(error)}\n`);
    }
  }
  progress.clear();
  return failed > 0 ? 1 : 0;
}

/** `plumbline sweep`. */
export const main: CommandMain = (args, io) => sweepCommand(args, io);
