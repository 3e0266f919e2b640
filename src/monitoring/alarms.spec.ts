import { AlarmBook } from './alarm-book';
import { currentCauses, GatewayState } from './alarm-causes';
import { StatusStore } from './status-store';
import type { TerminalReading } from './terminal-reading';

const reading = (faults: string[] = []): TerminalReading => ({
  state: 1,
  priority: 15,
  source: 'none',
  clipId: 0,
  broadcastId: null,
  broadcastClass: 0,
  volume: 80,
  faults,
  supplyVoltage: 24,
  temperature: 30,
  signalQuality: 90,
  uptimeSeconds: 1,
  counters: { crcErrors: 0, refusedCommands: 0 },
  lastCommandSequence: 0,
  clock: null,
});

/** Town 100 has villages 201 (gateway 1) and 202 (gateway 2); town 101 has village 201 (gateway 3); 12 terminals each. */
function network() {
  const store = new StatusStore({ offlineAfterFailures: 1, offlineAfterSilenceMs: 60_000 });
  const gateways: GatewayState[] = [
    { gatewayId: 1, areaCode: '341523100201', connectionDown: false },
    { gatewayId: 2, areaCode: '341523100202', connectionDown: false },
    { gatewayId: 3, areaCode: '341523101201', connectionDown: false },
  ];
  let id = 1;
  for (const g of gateways)
    for (let i = 0; i < 12; i++) store.register({ terminalId: id++, areaCode: g.areaCode, gatewayId: g.gatewayId }, 0);
  for (let t = 1; t < id; t++) store.readOk(t, reading(), 0);
  const kill = (ids: number[], at: number) => ids.forEach((t) => store.readFailed(t, 'timeout', at));
  const revive = (ids: number[], at: number) => ids.forEach((t) => store.readOk(t, reading(), at));
  return {
    store,
    gateways,
    kill,
    revive,
    range: (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i),
  };
}

describe('alarm causes', () => {
  it('one dead terminal is one terminal alarm', () => {
    const n = network();
    n.kill([5], 1);
    expect(currentCauses(n.store.all(), n.gateways).map((c) => c.key)).toEqual(['terminal-offline:terminal:5']);
  });

  it('a whole dead bus is one bus alarm, not twelve', () => {
    const n = network();
    n.kill(n.range(13, 24), 1);
    const causes = currentCauses(n.store.all(), n.gateways);
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ kind: 'bus-down', gatewayId: 2, areaCode: '341523100202' });
    expect(causes[0].terminalIds).toHaveLength(12);
  });

  it('a gateway whose connection is down is a bus alarm even before its terminals time out', () => {
    const n = network();
    n.gateways[2].connectionDown = true;
    expect(currentCauses(n.store.all(), n.gateways).map((c) => c.key)).toEqual(['bus-down:gateway:3']);
  });

  it('every bus of a town down is one town-uplink alarm', () => {
    const n = network();
    n.kill(n.range(1, 24), 1);
    const causes = currentCauses(n.store.all(), n.gateways);
    expect(causes.map((c) => c.key)).toEqual(['town-uplink:341523100000']);
    expect(causes[0].terminalIds).toHaveLength(24);
  });

  it("in a cluster, counts another instance's gateway in its town, and judges nothing else of it", () => {
    const n = network();
    const here = () => [...n.store.all()].filter((t) => t.gatewayId !== 2);
    const local = [n.gateways[0], n.gateways[2]];
    const other = (down: boolean | null) => [{ gatewayId: 2, areaCode: '341523100202', down, terminalIds: [13, 14] }];
    n.kill(n.range(1, 12), 1);
    const uplink = currentCauses(here(), local, other(true));
    expect(uplink.map((c) => c.key)).toEqual(['town-uplink:341523100000']);
    expect(uplink[0].terminalIds).toEqual([...n.range(1, 12), 13, 14]);
    // the other gateway up, or not known now: this instance's bus alone
    for (const down of [false, null])
      expect(currentCauses(here(), local, other(down)).map((c) => c.key)).toEqual(['bus-down:gateway:1']);
    // the other gateway down alone: its holder raises that
    n.revive(n.range(1, 12), 2);
    expect(currentCauses(here(), local, other(true))).toEqual([]);
  });

  it('reports faults of online terminals', () => {
    const n = network();
    n.store.readOk(7, reading(['speakerLineOpen', 'mainsLost']), 2);
    expect(currentCauses(n.store.all(), n.gateways).map((c) => c.key)).toEqual([
      'fault:terminal:7:speakerLineOpen',
      'fault:terminal:7:mainsLost',
    ]);
  });
});

describe('alarm book', () => {
  it('raises once, survives flapping, and clears only after the cause stays away', () => {
    const n = network();
    const book = new AlarmBook({ raiseAfterMs: 0, clearAfterMs: 30_000, remindEveryMs: 600_000 });
    const types: string[] = [];
    const step = (at: number) =>
      book.evaluate(currentCauses(n.store.all(), n.gateways), at).forEach((e) => types.push(e.type));
    n.kill([5], 1_000);
    step(1_000);
    for (let i = 0; i < 5; i++) {
      n.revive([5], 2_000 + i * 2_000);
      step(2_000 + i * 2_000);
      n.kill([5], 3_000 + i * 2_000);
      step(3_000 + i * 2_000);
    }
    expect(types).toEqual(['raised']);
    expect(book.list()[0].flaps).toBe(5);
    n.revive([5], 20_000);
    step(20_000);
    step(49_999);
    expect(types).toEqual(['raised']);
    step(50_000);
    expect(types).toEqual(['raised', 'cleared']);
  });

  it('waits raiseAfterMs before raising, so a blip raises nothing', () => {
    const n = network();
    const book = new AlarmBook({ raiseAfterMs: 10_000, clearAfterMs: 0, remindEveryMs: 600_000 });
    n.kill([5], 0);
    expect(book.evaluate(currentCauses(n.store.all(), n.gateways), 0)).toEqual([]);
    n.revive([5], 5_000);
    expect(book.evaluate(currentCauses(n.store.all(), n.gateways), 5_000)).toEqual([]);
    n.kill([5], 6_000);
    book.evaluate(currentCauses(n.store.all(), n.gateways), 6_000);
    expect(book.evaluate(currentCauses(n.store.all(), n.gateways), 16_000).map((e) => e.type)).toEqual(['raised']);
  });

  it('reminds while unacknowledged, and stops once acknowledged', () => {
    const n = network();
    const book = new AlarmBook({ raiseAfterMs: 0, clearAfterMs: 0, remindEveryMs: 60_000 });
    n.kill([5], 0);
    const causes = () => currentCauses(n.store.all(), n.gateways);
    book.evaluate(causes(), 0);
    expect(book.evaluate(causes(), 59_999)).toEqual([]);
    expect(book.evaluate(causes(), 60_000).map((e) => e.type)).toEqual(['reminder']);
    expect(book.acknowledge('terminal-offline:terminal:5', 'technician', 61_000)?.alarm.acknowledgedBy).toBe(
      'technician',
    );
    expect(book.evaluate(causes(), 200_000)).toEqual([]);
  });

  it('keeps an alarm held back as it is while its cause is absent, and forgets one without an event', () => {
    const n = network();
    const book = new AlarmBook({ raiseAfterMs: 0, clearAfterMs: 10_000, remindEveryMs: 3600_000 });
    n.kill([5, 6], 0);
    book.evaluate(currentCauses(n.store.all(), n.gateways), 0);
    n.revive([5, 6], 1_000);
    const held = new Set(['terminal-offline:terminal:5']);
    expect(book.evaluate(currentCauses(n.store.all(), n.gateways), 1_000, held)).toEqual([]);
    const later = book.evaluate(currentCauses(n.store.all(), n.gateways), 20_000, held);
    expect(later.map((e) => [e.type, e.alarm.key])).toEqual([['cleared', 'terminal-offline:terminal:6']]);
    // once no longer held back, its absence counts from then
    expect(book.evaluate(currentCauses(n.store.all(), n.gateways), 21_000)).toEqual([]);
    expect(book.evaluate(currentCauses(n.store.all(), n.gateways), 31_000).map((e) => e.type)).toEqual(['cleared']);

    n.kill([7], 40_000);
    book.evaluate(currentCauses(n.store.all(), n.gateways), 40_000);
    book.forget('terminal-offline:terminal:7');
    expect(book.get('terminal-offline:terminal:7')).toBeUndefined();
    n.revive([7], 41_000);
    expect(book.evaluate(currentCauses(n.store.all(), n.gateways), 100_000)).toEqual([]);
  });
});
