/**
 * ffmpeg's `-progress` output (key=value lines, a block ending in `progress=continue|end`) read as a percentage of the
 * expected output duration. Pure and incremental: feed it chunks as they arrive, lines may be split anywhere.
 */
export class ProgressReader {
  private pending = '';
  private outSeconds = 0;
  private ended = false;

  constructor(private readonly expectedSeconds: number) {}

  /** Feeds a chunk; returns the percentage (0–100) when a block completed, else null. */
  feed(chunk: string): number | null {
    this.pending += chunk;
    // cap: a line longer than this is garbage, drop it and resynchronise at the next newline
    if (this.pending.length > 4096 && !this.pending.includes('\n')) this.pending = '';
    let percent: number | null = null;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl).trim();
      this.pending = this.pending.slice(nl + 1);
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      if (key === 'out_time_us' || key === 'out_time_ms') {
        // both carry microseconds (out_time_ms is misnamed in ffmpeg)
        const us = Number(value);
        if (Number.isFinite(us) && us >= 0) this.outSeconds = us / 1e6;
      } else if (key === 'progress') {
        if (value === 'end') this.ended = true;
        percent = this.percent();
      }
    }
    return percent;
  }

  /** Seconds of output produced so far. */
  get seconds(): number {
    return this.outSeconds;
  }

  percent(): number {
    if (this.ended) return 100;
    if (this.expectedSeconds <= 0) return 0;
    return Math.min(99, Math.floor((this.outSeconds / this.expectedSeconds) * 100));
  }
}
