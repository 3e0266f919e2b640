/** How many requests of one start phase the driver holds at once: one on the wire and the next ready behind it. */
const LANE_WIDTH = 2;

/**
 * One bus's queue: its requests in order of rank, at most LANE_WIDTH handed to the driver at once. A job ranked above
 * 0 (a terminal that fell silent, or one monitoring holds offline) starts only when the lane is empty, so that its
 * time-out delays no terminal that answers; a job ranked below 0 goes before everything waiting. A job queues what
 * follows from its answer before it gives up its place, so a read lost to noise is asked again before the lane turns
 * to the suspect.
 */
export class Lane {
  private busy = 0;
  private order = 0;
  private readonly waiting: { rank: number; order: number; go: () => void }[] = [];

  run(rank: number, job: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({
        rank,
        order: this.order++,
        go: () =>
          void job()
            .then(resolve, reject)
            .finally(() => {
              this.busy--;
              this.pump();
            }),
      });
      this.pump();
    });
  }

  private pump(): void {
    this.waiting.sort((a, b) => a.rank - b.rank || a.order - b.order);
    while (this.waiting.length > 0 && this.busy < (this.waiting[0].rank > 0 ? 1 : LANE_WIDTH)) {
      this.busy++;
      (this.waiting.shift() as { go: () => void }).go();
    }
  }
}
