import { showsOurs, type BusLink, type OurBroadcast, type StopCommand } from './bus-link';

/** Tells every unit of the bus to stop the broadcast, then makes sure: unicast stop to the keys still playing it. */
export async function stopPhase(
  link: BusLink,
  keys: number[],
  stop: StopCommand,
  ours: OurBroadcast,
): Promise<{ stopped: number[]; unreachable: number[] }> {
  await link.commandAll(stop, 'emergency').catch(() => undefined);
  const out = { stopped: [] as number[], unreachable: [] as number[] };
  await Promise.all(
    keys.map(async (k) => {
      try {
        const s = await link.status(k, 'emergency');
        if (showsOurs(s, ours)) await link.command(k, stop, 'emergency');
        out.stopped.push(k);
      } catch {
        out.unreachable.push(k);
      }
    }),
  );
  return out;
}
