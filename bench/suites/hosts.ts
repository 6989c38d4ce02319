/**
 * Files apps on hosts: `bench/hosts.ts` (also `npm run bench:hosts`): a files app of 21 files
 * (one secret) over SSH to a real OpenSSH server on loopback, a certificate minted per
 * connection; per step the connections, network round trips and commands, and the median wall
 * time. No reference tool runs (an Ansible play would be the closest); round trips are the
 * figure to multiply by a real network's latency.
 */
import { runStandalone } from '../measure/standalone.ts';
import type { Row } from '../measure/table.ts';
import type { Suite, SuiteContext } from '../suite.ts';

interface HostFigures {
  runs: number;
  steps: {
    name: string;
    connections: number;
    roundTrips: number;
    commands: number;
    medianMs: number;
  }[];
}

async function hostsSuite(context: SuiteContext): Promise<Row[]> {
  const runs = context.quick ? 2 : 10;
  context.log(`hosts: bench/hosts.ts, ${runs} runs`);
  const result = await runStandalone<HostFigures>(
    'hosts.ts',
    context.tmp,
    { BENCH_RUNS: String(runs) },
    context.log,
  );
  const rows: Row[] = [];
  for (const step of result.steps) {
    const what = `files app of 21 files over SSH: ${step.name}`;
    rows.push(
      {
        suite: 'hosts',
        case: what,
        metric: 'round trips',
        unit: 'count',
        plumbline: step.roundTrips,
        note: `${step.connections} SSH connection(s), ${step.commands} commands; loopback, so multiply the round trips by a real RTT; in process, no reference tool`,
      },
      {
        suite: 'hosts',
        case: what,
        metric: 'wall (median)',
        unit: 'ms',
        plumbline: step.medianMs,
      },
    );
  }
  return rows;
}

/** The hosts suite. */
export const hosts: Suite = {
  name: 'hosts',
  summary: 'files apps over SSH: connections, round trips, commands and wall per step',
  run: hostsSuite,
};
