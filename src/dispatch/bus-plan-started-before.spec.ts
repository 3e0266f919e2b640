import { startPhase } from './bus-plan';
import { base, FakeBus, FakeClock, timedOut } from './bus-plan-spec-fixture';

describe('the per-bus plan: a terminal that may have taken the start already', () => {
  it('takes a terminal that shows a command newer than before its unicast start whose answer was lost, and does not start it twice', async () => {
    const bus = new FakeBus([1, 2], new Set(), new Set([2]));
    // 2 takes its own start but the answer is lost; its short tone has ended by the next read
    const command = bus.command.bind(bus);
    bus.command = async (k, c) => {
      await command(k, c);
      if (k === 2) {
        bus.sessions.delete(2);
        throw timedOut('GatewayTargetDeviceFailedToRespond: Timed out');
      }
      return null;
    };
    const out = await startPhase(bus, { ...base, toStart: [1, 2], wholeBus: true }, new FakeClock());
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['all play', '2 play']);
  });

  it('takes a terminal whose last command is our start for one that played it, and does not start it twice', async () => {
    const bus = new FakeBus([1, 2]);
    const status = bus.status.bind(bus);
    // 1 answers after a short tone has ended there: idle again, its last command our start
    bus.status = async (k) => {
      if (k === 1) bus.sessions.delete(1);
      return status(k);
    };
    const out = await startPhase(bus, { ...base, toStart: [1, 2], wholeBus: true }, new FakeClock());
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['all play']);
  });

  it('reads a terminal whose start may have gone out before, and does not start it again when it plays ours', async () => {
    const bus = new FakeBus([1, 2]);
    bus.sessions.set(1, { broadcastId: null, priority: 2, clipId: 7 });
    const out = await startPhase(bus, { ...base, toStart: [], wholeBus: false, readFirst: [1, 2] }, new FakeClock());
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['2 play']);
  });

  it('after a restart, takes an idle terminal whose last command is the start recorded before, and records the sequences it sends', async () => {
    const bus = new FakeBus([1, 2]);
    // before the restart: a bus-wide start (sequence 51) reached both; 1's short tone has ended, 2 missed it
    bus.lastSequence.set(1, 51);
    const sent: string[] = [];
    const out = await startPhase(
      bus,
      {
        ...base,
        toStart: [],
        wholeBus: false,
        readFirst: [1, 2],
        sentBefore: () => 51,
        onSent: (keys, sequence, busWide) => sent.push(`${keys.join(',')} ${sequence} ${busWide}`),
      },
      new FakeClock(),
    );
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['2 play']);
    expect(sent).toEqual(['2 101 false']);
  });

  it('after a crash or a takeover, takes an idle terminal whose last command was signed after the start was recorded, though its sequence was not', async () => {
    const bus = new FakeBus([1, 2, 3]);
    // the previous holder recorded the start as sent with floor 40, sent it (sequence 51) and died before recording
    // 51: 1 took it and its tone has ended; 2 missed it (its last command, 30, is older); 3 took a command of ours
    // signed after the restart (above 60, where this server's numbers begin), not the lost start
    bus.lastSequence.set(1, 51);
    bus.lastSequence.set(2, 30);
    bus.lastSequence.set(3, 61);
    const out = await startPhase(
      bus,
      {
        ...base,
        toStart: [],
        wholeBus: false,
        readFirst: [1, 2, 3],
        sentBefore: () => null,
        signedBefore: () => ({ above: 40, upTo: 60 }),
      },
      new FakeClock(),
    );
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2, 3]);
    expect(bus.sent).toEqual(['2 play', '3 play']);
  });
});
