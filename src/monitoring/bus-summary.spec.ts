import { busViews, countersOf, publishedBusIsDown } from './bus-summary';
import type { GatewayStatus } from './monitoring.service';
import { StatusStore } from './status-store';
import type { TerminalReading } from './terminal-reading';

const VILLAGE = '341523100201';
const GROUP = '341523100201001';
const gateway = (gatewayId: number, connection: GatewayStatus['connection']): GatewayStatus => ({
  gatewayId,
  areaCode: VILLAGE,
  connection,
  since: 0,
  detail: null,
});

describe('bus summary', () => {
  const store = new StatusStore({ offlineAfterFailures: 1, offlineAfterSilenceMs: 60_000 });
  store.register({ terminalId: 3, areaCode: VILLAGE, gatewayId: 1 }, 0);
  store.register({ terminalId: 1, areaCode: VILLAGE, gatewayId: 1 }, 0);
  store.register({ terminalId: 2, areaCode: GROUP, gatewayId: 1 }, 0);
  store.register({ terminalId: 4, areaCode: VILLAGE, gatewayId: 9 }, 0); // its bus is not tracked: not published
  store.readOk(1, {} as TerminalReading, 1);
  store.readFailed(2, 'timeout', 1);

  it("publishes each tracked bus with its terminals' connectivity and counts per area", () => {
    const views = busViews([gateway(1, 'connected')], store.all());
    expect([...views.keys()]).toEqual([1]);
    expect(views.get(1)).toMatchObject({
      connection: 'connected',
      terminals: [
        [1, 'online'],
        [2, 'offline'],
        [3, 'unknown'],
      ],
      areas: { [VILLAGE]: [2, 1, 1], [GROUP]: [1, 0, 0] },
    });
    expect(publishedBusIsDown(views.get(1)!)).toBe(false);
    expect(publishedBusIsDown(busViews([gateway(1, 'disconnected')], store.all()).get(1)!)).toBe(true);
  });

  it('counts published buses into the rates of their areas and of every area above, and says which moved', () => {
    const before = countersOf(busViews([gateway(1, 'connected')], store.all()).values());
    expect(before.rate(VILLAGE)).toMatchObject({ registered: 3, online: 1, unknown: 1 });
    expect(before.rate('341523000000')).toMatchObject({ registered: 3, online: 1, unknown: 1, ratePercent: 33.33 });
    expect(before.rate(GROUP)).toMatchObject({ registered: 1, online: 0 });
    const after = countersOf(
      busViews(
        [gateway(1, 'connected')],
        [...store.all()].map((t) => (t.terminalId === 3 ? { ...t, connectivity: 'online', online: true } : t)),
      ).values(),
    );
    expect(after.changedFrom(before).sort()).toEqual(['341523000000', '341523100000', VILLAGE]);
    expect(after.changedFrom(after)).toEqual([]);
  });
});
