/**
 * Progress of `up` and `down`: a phase, how many of its steps are done, and how
 * long it took. The library emits events; the CLI renders them (one rewritten
 * line per phase on a terminal, plain lines otherwise) and the benchmarks read
 * the phase times.
 */

/** One progress event. `done === total` ends the phase (exactly one such event); `ms` is its duration then. */
export interface ProgressEvent {
  phase: string;
  done: number;
  total: number;
  /** Milliseconds since the phase began. */
  ms: number;
}

export type ProgressListener = (e: ProgressEvent) => void;

/**
 * Counts one phase's steps and reports them, at most every `intervalMs` (and
 * always at the start and the end), so a 2,000-node lab does not print 2,000
 * events.
 */
export class PhaseProgress {
  private done = 0;
  private lastEmit = 0;
  private ended = false;
  private readonly started = performance.now();

  constructor(
    readonly phase: string,
    readonly total: number,
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs = 100,
  ) {
    this.emit(true);
  }

  /** Marks `n` more steps done. The event with done === total comes only from end(). */
  step(n = 1): void {
    this.done += n;
    this.emit(false);
  }

  /** Ends the phase (also when some steps were skipped) and returns its duration in ms. Once. */
  end(): number {
    const ms = performance.now() - this.started;
    if (!this.ended) {
      this.ended = true;
      this.listener?.({ phase: this.phase, done: this.total, total: this.total, ms });
    }
    return ms;
  }

  private emit(force: boolean): void {
    if (!this.listener || this.ended) return;
    const now = performance.now();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    this.listener({ phase: this.phase, done: Math.max(0, Math.min(this.done, this.total - 1)), total: this.total, ms: now - this.started });
  }
}
