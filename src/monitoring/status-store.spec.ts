import { StatusStore } from './status-store';
import type { TerminalReading } from './terminal-reading';

const reading = (over: Partial<TerminalReading> = {}): TerminalReading => ({
  state: 1,
  priority: 15,
  source: 'none',
  clipId: 0,
  broadcastId: null,
  broadcastClass: 0,
  volume: 80,
  faults: [],
  supplyVoltage: 24.1,
  temperature: 31,
  signalQuality: 90,
  uptimeSeconds: 100,
  counters: { crcErrors: 0, refusedCommands: 0 },
  lastCommandSequence: 0,
  clock: null,
  ...over,
});

const TOWN_A = '341523100000';
const VILLAGE_A1 = '341523100201';
const VILLAGE_A2 = '341523100202';
const VILLAGE_B1 = '341523101201';

function county(): StatusStore {
  const store = new StatusStore({ offlineAfterFailures: 3, offlineAfterSilenceMs: 20_000 });
  let id = 1;
  for (const [area, gw] of [
    [VILLAGE_A1, 1],
    [VILLAGE_A2, 2],
    [VILLAGE_B1, 3],
  ] as const) {
    for (let i = 0; i < 4; i++) store.register({ terminalId: id++, areaCode: area, gatewayId: gw }, 0);
  }
  return store;
}

describe('StatusStore', () => {
  it('brings a terminal online on its first good read and reports the change once', () => {
    const store = county();
    const first = store.readOk(1, reading(), 1000);
    expect(first?.fields).toEqual(['connectivity', 'reading']);
    expect(first?.status).toMatchObject({ connectivity: 'online', online: true, lastSeen: 1000 });
    expect(store.readOk(1, reading({ supplyVoltage: 24.2 }), 2000)).toBeNull();
    expect(store.readOk(1, reading({ faults: ['speakerLineOpen'] }), 3000)?.fields).toEqual(['faults']);
  });

  it('goes offline after the configured number of failed polls, with error counters', () => {
    const store = county();
    store.readOk(5, reading(), 0);
    expect(store.readFailed(5, 'timeout', 100)?.status.connectivity).toBe('suspect');
    expect(store.readFailed(5, 'crc', 200)).toBeNull();
    const off = store.readFailed(5, 'timeout', 300);
    expect(off).toMatchObject({ previous: 'suspect', status: { connectivity: 'offline', online: false, failures: 3 } });
    expect(off?.status.errorCounts).toEqual({ timeout: 2, crc: 1 });
    expect(store.readOk(5, reading(), 400)?.status).toMatchObject({ connectivity: 'online', failures: 0 });
  });

  it('goes offline after the silence window without a good read', () => {
    const store = county();
    store.readOk(1, reading(), 0);
    expect(store.sweepSilence(19_999)).toHaveLength(0);
    const changes = store.sweepSilence(20_000);
    expect(changes.map((c) => c.status.terminalId)).toContain(1);
    expect(store.get(1)?.connectivity).toBe('offline');
  });

  it('shows what was remembered from before a restart but counts silence from when tracking began', () => {
    const store = new StatusStore();
    const known = { lastSeen: 1_000, lastError: 'timeout', errorCounts: { timeout: 4 }, reading: reading() };
    store.register({ terminalId: 9, areaCode: VILLAGE_A1, gatewayId: 1 }, 500_000, known);
    expect(store.get(9)).toMatchObject({
      connectivity: 'unknown',
      online: false,
      lastSeen: 1_000,
      errorCounts: { timeout: 4 },
      reading: known.reading,
    });
    expect(store.sweepSilence(519_999)).toHaveLength(0);
    expect(store.sweepSilence(520_000).map((c) => c.status.terminalId)).toEqual([9]);
  });

  it('keeps online rates per village, town and county in step', () => {
    const store = county();
    for (let id = 1; id <= 12; id++) store.readOk(id, reading(), 0);
    expect(store.onlineRate('341523000000')).toMatchObject({ registered: 12, online: 12, ratePercent: 100 });
    for (let i = 0; i < 3; i++) store.readFailed(2, 'timeout', 10 + i);
    expect(store.onlineRate(VILLAGE_A1)).toMatchObject({ registered: 4, online: 3, ratePercent: 75 });
    expect(store.onlineRate(TOWN_A)).toMatchObject({ registered: 8, online: 7, ratePercent: 87.5 });
    expect(store.onlineRate('341523000000')).toMatchObject({ registered: 12, online: 11, ratePercent: 91.67 });
    expect(store.onlineRate(VILLAGE_B1).ratePercent).toBe(100);
    store.unregister(2);
    expect(store.onlineRate(TOWN_A)).toMatchObject({ registered: 7, online: 7 });
  });

  it('counts a terminal not yet heard from since start as unknown, not online, until it answers or is found offline', () => {
    const store = county();
    expect(store.onlineRate('341523000000')).toMatchObject({ registered: 12, online: 0, unknown: 12, ratePercent: 0 });
    for (let id = 1; id <= 10; id++) store.readOk(id, reading(), 0);
    // a dead terminal's first failed reads do not make it "suspect" (which counts online): it stays unknown
    store.readFailed(11, 'timeout', 5);
    expect(store.get(11)).toMatchObject({ connectivity: 'unknown', online: false });
    expect(store.onlineRate('341523000000')).toMatchObject({
      registered: 12,
      online: 10,
      unknown: 2,
      ratePercent: 83.33,
    });
    for (let i = 0; i < 2; i++) store.readFailed(11, 'timeout', 6 + i);
    expect(store.onlineRate('341523000000')).toMatchObject({ registered: 12, online: 10, unknown: 1 });
    store.unregister(12);
    expect(store.onlineRate('341523000000')).toMatchObject({ registered: 11, online: 10, unknown: 0 });
  });
});
