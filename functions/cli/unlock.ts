/**
 * `plumbline unlock <app>`: breaks an app's lease, for the rare case its holder is gone and
 * one lease duration is too long to wait (a stale lease of a dead process on this host is
 * taken over by the next run without this). Shows the holder and asks first; `--yes` skips
 * the question. A holder that is in fact still running sees on its next renewal that it lost
 * the lease and stops writing. The break is logged as a JSON line on stderr and, with
 * `--record`, kept in the history the status page shows. Exit codes: 0 broken or not held, 1 declined, 2 error.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../lib/errors.ts';
import { historyRecordOfUnlock } from '../../lib/history/records-of-run.ts';
import { breakLease, leaseRef, readLease } from '../../lib/inventory/lease.ts';
import { jsonLogger } from '../../lib/ports/logger.ts';
import { redacted } from '../../lib/report/redacted.ts';
import { noSecrets } from '../../lib/secrets/secret-ledger.ts';
import { nodeKubeClient } from '../node/kube-transport.ts';
import { loadKubeconfig } from '../node/kubeconfig.ts';
import { holderIdentity, isLocalHolderAlive } from '../node/lease-holder.ts';
import type { CliIo, CommandMain } from './command.ts';
import { recordRun } from './record-run.ts';

const HELP = `Usage: plumbline unlock <app> [options]

Breaks the lease of an app whose apply was interrupted, after showing who holds it.

Options:
  --kubeconfig PATH     kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
  --context NAME        kubeconfig context (default: the current one)
  -n, --namespace NS    the app namespace (default: the context namespace, else default)
  -y, --yes             do not ask
  -o, --output FORMAT   text or json (the record of the break)
  --record              record the break in the history the status page shows
                        (SQLite in $PLUMBLINE_DATA_DIR, else $XDG_DATA_HOME/plumbline)
  -h, --help            show this help

Exit codes: 0 broken (or not held), 1 declined, 2 error.
`;

/** What tests inject. */
export interface UnlockOptions {
  /** Asks the user; `undefined` when no one can answer (no terminal). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Runs `plumbline unlock`. */
export async function unlockCommand(
  args: string[],
  io: CliIo,
  options: UnlockOptions = {
    confirm: process.stdin.isTTY ? askOnTerminal : undefined,
  },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      yes: { type: 'boolean', short: 'y', default: false },
      output: { type: 'string', short: 'o', default: 'text' },
      record: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help || positionals.length !== 1) {
    (values.help ? io.stdout : io.stderr)(HELP);
    return values.help ? 0 : 2;
  }
  if (values.output !== 'text' && values.output !== 'json') {
    throw new ConfigError(`--output ${values.output}: expected text or json`);
  }
  const app = positionals[0] as string;
  const startedAt = Date.now();
  const access = await loadKubeconfig({ path: values.kubeconfig, context: values.context });
  const namespace = values.namespace ?? access.namespace ?? 'default';
  const client = nodeKubeClient(access);
  const ref = leaseRef(app, namespace);
  const lease = await readLease(client, ref);
  const holder = lease?.spec.holderIdentity;
  if (!lease || !holder) {
    io.stdout(`${app} in ${namespace}: not locked (no run holds its lease)\n`);
    return 0;
  }
  const alive = isLocalHolderAlive(holder);
  const facts = [
    `held by ${holder}`,
    lease.spec.acquireTime ? `since ${lease.spec.acquireTime}` : '',
    lease.spec.renewTime ? `last renewed ${lease.spec.renewTime}` : '',
    alive === false ? 'its process is gone' : alive === true ? 'its process is still running' : '',
  ].filter(Boolean);
  io.stdout(`${app} in ${namespace}: ${facts.join(', ')}\n`);
  if (!values.yes) {
    if (!options.confirm) {
      io.stderr('plumbline unlock: not a terminal: pass --yes to break the lease\n');
      return 2;
    }
    if (!(await options.confirm(`Break the lease of ${app} held by ${holder}?`))) {
      io.stdout('left as it is\n');
      return 1;
    }
  }
  const record = await breakLease(client, ref, holderIdentity('cli'), {
    resourceVersion: lease.object.metadata.resourceVersion ?? '',
  });
  jsonLogger(io.stderr).log('warn', 'lease broken', { app, namespace, ...record });
  if (values.record) {
    const run = historyRecordOfUnlock(
      record,
      { app, namespace },
      {
        runId: `cli/unlock/${record.brokenAt}`,
        repo: access.server,
        ...(values.context ? { target: values.context } : {}),
        startedAt,
        finishedAt: Date.parse(record.brokenAt),
      },
    );
    // Nothing was decrypted: the record holds names and identities only.
    await recordRun(io, 'unlock', redacted(run, noSecrets));
  }
  io.stdout(
    values.output === 'json'
      ? `${JSON.stringify(record, null, 2)}\n`
      : `broke the lease of ${app} held by ${holder}; the next run takes it\n`,
  );
  return 0;
}

/** `plumbline unlock`. */
export const main: CommandMain = (args, io) => unlockCommand(args, io);
