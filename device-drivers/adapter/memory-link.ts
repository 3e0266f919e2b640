/**
 * Two ByteLinks joined back to back in memory, delivering synchronously: the driver on one end, a virtual adapter
 * on the other, under a ManualClock, so driver specs need neither sockets nor real time.
 */
import type { ByteLink } from './ports';

export function memoryLinkPair(): [ByteLink, ByteLink] {
  const ends = [0, 1].map(() => ({
    data: [] as ((c: Buffer) => void)[],
    close: [] as ((r: string) => void)[],
    open: true,
  }));
  const make = (me: number): ByteLink => {
    const peer = ends[1 - me];
    return {
      write: (data) => {
        if (ends[me].open && peer.open) peer.data.forEach((fn) => fn(Buffer.from(data)));
      },
      onData: (fn) => ends[me].data.push(fn),
      onClose: (fn) => ends[me].close.push(fn),
      close: () => {
        for (const e of ends) {
          if (!e.open) continue;
          e.open = false;
          e.close.forEach((fn) => fn('closed'));
        }
      },
    };
  };
  return [make(0), make(1)];
}
