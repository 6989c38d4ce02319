/**
 * The machine a benchmark ran on, and how busy it was: cores, CPU model, memory, and the load
 * average sampled while the suites ran. Wall times on a shared machine mean little without it;
 * CPU times are printed beside them for that reason.
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** One sample of the load average (1, 5 and 15 minutes). */
export interface LoadSample {
  at: string;
  load: [number, number, number];
}

/** The machine's description and its load over the run. */
export interface MachineState {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  samples: LoadSample[];
}

/** Samples the load average every `intervalMs` until `stop()`. */
export class LoadMonitor {
  readonly #samples: LoadSample[] = [];
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(intervalMs = 10_000) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  /** Records the load average now. */
  sample(): LoadSample {
    const [one = 0, five = 0, fifteen = 0] = loadavg();
    const sample: LoadSample = { at: new Date().toISOString(), load: [one, five, fifteen] };
    this.#samples.push(sample);
    return sample;
  }

  /** Stops sampling and describes the machine. */
  stop(): MachineState {
    clearInterval(this.#timer);
    this.sample();
    const all = cpus();
    return {
      cores: all.length,
      cpuModel: all[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      samples: [...this.#samples],
    };
  }
}

/** The one-minute load average now. */
export function loadNow(): number {
  return loadavg()[0] ?? 0;
}

/** A line saying how busy the machine was. */
export function describeMachine(state: MachineState): string {
  const ones = state.samples.map((s) => s.load[0]);
  const mean = ones.reduce((a, b) => a + b, 0) / Math.max(1, ones.length);
  const free = Math.round(freemem() / 2 ** 30);
  return [
    `${state.cores} cores (${state.cpuModel}), ${state.memoryGiB} GiB (${free} GiB free at the end), Node ${state.node}`,
    `load average (1 min) over the run: min ${Math.min(...ones).toFixed(1)}, mean ${mean.toFixed(1)}, max ${Math.max(...ones).toFixed(1)} (${state.samples.length} samples; ${(mean / state.cores).toFixed(1)} runnable tasks per core)`,
  ].join('\n');
}
