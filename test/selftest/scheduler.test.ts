/**
 * The nightly self-test on a fake clock over simulated terminals (device-drivers/simulator SimulatedTerminal, the
 * register map's real codec and SM2-signed commands): the window opens at 02:00 Asia/Shanghai, each bus tests its
 * terminals one at a time spread over the window, faults only a self-test finds become alarm causes, older firmware
 * and adapters are "not supported", a dead unit is "no answer", a terminal playing is tried again after its bus, and a
 * repaired terminal's alarm goes once its next test passes; the monthly audible
 * test sends one test tone per bus at its time and passes the terminals the sweep sees sounding it. No database: the repository is an in-memory list.
 */
import {
  buildCommandBlock,
  decodeStatus,
  REGISTERS,
  type CommandRecord,
  type IdentityRecord,
} from '../../firmware-protocols/terminal-modbus';
import { generateKeyPair, Sm2Signer } from '../../firmware-protocols/signing';
import { CommandVerifier } from '../../device-drivers/simulator/terminal/command-verifier';
import { SimulatedTerminal } from '../../device-drivers/simulator/terminal/simulated-terminal';
import type { UnitFault } from '../../device-drivers/simulator/modbus/virtual-bus';
import { toStatus } from '../../device-drivers/modbus-terminal/mapping';
import { ManualClock } from '../../device-drivers/transport/clock';
import { LeaseManager } from '../../src/cluster/lease-manager';
import { Clock, SystemClock } from '../../src/common/clock';
import type { AppConfig } from '../../src/config/config';
import { FieldError, type FieldCommands, type TerminalCommand } from '../../src/field/field-commands';
import type { AlarmCause } from '../../src/monitoring/alarm-causes';
import type { AlarmsService } from '../../src/monitoring/alarms.service';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { parseWindow, shanghaiMidnight } from '../../src/selftest/self-test-plan';
import type { AudibleTestPlanEntity, SelfTestEntity } from '../../src/selftest/self-test.entities';
import type { SelfTestRepository } from '../../src/selftest/self-test.repository';
import { SelfTestScheduler } from '../../src/selftest/self-test.scheduler';
import type { TerminalEntity } from '../../src/terminals/registry.entities';

/** A single instance: it drives every bus (DALABA_CLUSTER=off). */
const solo = (): LeaseManager =>
  new LeaseManager(null, new SystemClock(), { clustered: false, instanceId: 'solo', label: 'solo', leaseMs: 5000 });

const DAY = '2026-12-08';
/** 01:00 Asia/Shanghai: an hour before the window. */
const START = shanghaiMidnight(DAY) + 3600_000;
const WINDOW_START = shanghaiMidnight(DAY) + 2 * 3600_000;
const WINDOW_END = shanghaiMidnight(DAY) + 4 * 3600_000;
const TOWN = '341523100000';

class TestClock extends Clock {
  constructor(readonly manual: ManualClock) {
    super();
  }
  now(): number {
    return this.manual.now();
  }
  setTimeout(fn: () => void, ms: number) {
    return this.manual.setTimeout(fn, ms);
  }
}

const signer = new Sm2Signer('202400000017', generateKeyPair().privateKey);
const verifier = new CommandVerifier([{ serial: signer.certSerial, publicKeyHex: signer.publicKey }], 0);
const IDENTITY: Omit<IdentityRecord, 'mapVersion'> = {
  vendor: 'Dalaba Sim',
  model: 'DLB-T300',
  firmware: '1.0.0',
  serial: 'SN',
  resourceCode: '63415231002000301010401',
  codecs: ['opus-16k'],
  clipStorageKb: 4096,
  sources: ['stored', 'fm', 'tone'],
  display: false,
};

interface Unit {
  id: number;
  gatewayId: number;
  unit: number;
  sim: SimulatedTerminal;
  dead: boolean;
}

/** FieldCommands over simulated terminals: signed blocks written to them, their registers read, refusals as the bus reports them. */
function simulatedField(
  clock: ManualClock,
  units: Map<number, Unit>,
  adapters: number[],
  monitoring: MonitoringService,
) {
  let sequence = 0;
  const log: { at: number; terminalId: number; code: string }[] = [];
  const busLog: { at: number; gatewayId: number; code: string }[] = [];
  const reach = (id: number, op: string): Unit => {
    const u = units.get(id)!;
    if (u.dead)
      throw new FieldError(
        { kind: 'timeout', exceptionCode: null, message: `bus ${u.gatewayId} unit ${u.unit} ${op}: no reply` },
        `bus ${u.gatewayId}`,
        u.unit,
        op,
      );
    return u;
  };
  const refused = (u: Unit, op: string, code: number, kind: 'refused' | 'exception') =>
    new FieldError(
      {
        kind,
        exceptionCode: code,
        message: `bus ${u.gatewayId} unit ${u.unit} ${op}: exception 0x${code.toString(16)}`,
      },
      `bus ${u.gatewayId}`,
      u.unit,
      op,
    );
  const field = {
    openGateways: () => [
      { gatewayId: 1, family: 'modbus', connection: 'connected' },
      { gatewayId: 2, family: 'modbus', connection: 'connected' },
      ...adapters.map((gatewayId) => ({ gatewayId, family: 'adapter', connection: 'connected' })),
    ],
    command: async (id: number, c: TerminalCommand) => {
      log.push({ at: clock.now(), terminalId: id, code: c.code });
      const u = reach(id, `FC16 command ${c.code}`);
      sequence += 1;
      const regs = buildCommandBlock(sequence, c as CommandRecord, { signer, time: new Date(clock.now()) });
      const r = u.sim.writeRegisters(REGISTERS.command.address, regs, clock.now(), false);
      if (r) throw refused(u, `FC16 command ${c.code}`, r.exception, 'refused');
      return { accepted: true, unit: u.unit, sequence };
    },
    // a bus-wide command, then the sweep's next status read of each unit that answers, as the field layer reports it
    commandBus: async (gatewayId: number, c: TerminalCommand) => {
      busLog.push({ at: clock.now(), gatewayId, code: c.code });
      sequence += 1;
      const regs = buildCommandBlock(sequence, c as CommandRecord, { signer, time: new Date(clock.now()) });
      for (const u of units.values()) {
        if (u.gatewayId !== gatewayId || u.dead) continue;
        u.sim.writeRegisters(REGISTERS.command.address, regs, clock.now(), true);
        const status = u.sim.readHolding(REGISTERS.status.address, REGISTERS.status.count, clock.now());
        if (Array.isArray(status))
          monitoring.readOk(
            u.id,
            toStatus(decodeStatus(status), () => null),
            clock.now(),
          );
      }
      return { accepted: true, unit: 0, sequence };
    },
    readRegisters: async (id: number, address: number, count: number) => {
      const u = reach(id, 'FC03 diagnostics');
      const r = u.sim.readHolding(address, count, clock.now());
      if (!Array.isArray(r)) throw refused(u, 'FC03 diagnostics', r.exception, 'exception');
      return r;
    },
  } as unknown as FieldCommands;
  return { field, log, busLog };
}

function setUp(plans: AudibleTestPlanEntity[] = [], leases: LeaseManager = solo()) {
  const manual = new ManualClock(START);
  const monitoring = new MonitoringService();
  const clock = new TestClock(manual);
  const units = new Map<number, Unit>();
  const terminals: TerminalEntity[] = [];
  const add = (id: number, gatewayId: number, unit: number, opts: { selfTest?: boolean; fault?: UnitFault } = {}) => {
    const sim = new SimulatedTerminal({ now: START, identity: IDENTITY, verifier, selfTest: opts.selfTest });
    if (opts.fault) sim.faultChanged(opts.fault, 'none', START);
    units.set(id, { id, gatewayId, unit, sim, dead: false });
    terminals.push({ id, gatewayId, unitId: unit, areaCode: TOWN, enabled: true, name: `T${id}` } as TerminalEntity);
  };
  add(11, 1, 1);
  add(12, 1, 2, { fault: 'speaker-line-short' });
  add(13, 1, 3, { selfTest: false });
  add(21, 2, 1);
  add(22, 2, 2);
  add(23, 2, 3);
  units.get(23)!.dead = true;
  terminals.push({ id: 31, gatewayId: 3, unitId: 1, areaCode: TOWN, enabled: true, name: 'A31' } as TerminalEntity);
  for (const t of terminals)
    monitoring.trackTerminal({ terminalId: t.id, areaCode: TOWN, gatewayId: t.gatewayId }, START);
  const { field, log, busLog } = simulatedField(manual, units, [3], monitoring);
  const rows: SelfTestEntity[] = [];
  const repo = {
    insert: async (r: Omit<SelfTestEntity, 'id'>) => {
      const row = { ...r, id: rows.length + 1 };
      rows.push(row);
      return row;
    },
    terminals: async () => terminals,
    onDay: async (day: string, kind: string) => rows.filter((r) => r.dueDay === day && r.kind === kind),
    latestRan: async () => {
      const last = new Map<number, SelfTestEntity>();
      for (const r of rows) if (r.outcome === 'passed' || r.outcome === 'failed') last.set(r.terminalId, r);
      return [...last.values()];
    },
    plans: async () => plans,
  } as unknown as SelfTestRepository;
  let causes: () => AlarmCause[] = () => [];
  const alarms = {
    addCauses: (f: () => AlarmCause[]) => (causes = f),
    evaluate: async () => undefined,
  } as unknown as AlarmsService;
  const config = {
    field: { enabled: true },
    monitoring: { selfTestWindow: parseWindow('02:00-04:00') },
  } as unknown as AppConfig;
  const scheduler = new SelfTestScheduler(config, clock, field, repo, alarms, monitoring, leases);
  /** Moves the fake clock to `until`, timer by timer, letting each woken task reach its next wait. */
  const runUntil = async (until: number): Promise<void> => {
    for (;;) {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      const next = manual.nextDueAt();
      if (next === null || next > until) break;
      manual.advance(next - manual.now());
    }
    if (until > manual.now()) manual.advance(until - manual.now());
  };
  return { manual, units, scheduler, rows, log, busLog, runUntil, causes: () => causes() };
}

const outcomes = (rows: SelfTestEntity[]) => Object.fromEntries(rows.map((r) => [r.terminalId, r.outcome] as const));

describe('nightly self-test on a fake clock over simulated terminals', () => {
  it('tests every terminal once in the window, one at a time per bus, and raises what it finds', async () => {
    const s = setUp();
    await s.scheduler.onApplicationBootstrap();
    await s.runUntil(WINDOW_START - 1);
    expect(s.log).toEqual([]);
    await s.runUntil(WINDOW_END + 60_000);
    s.scheduler.onModuleDestroy();

    expect(outcomes(s.rows)).toEqual({
      11: 'passed',
      12: 'failed',
      13: 'not-supported',
      21: 'passed',
      22: 'passed',
      23: 'no-answer',
      31: 'not-supported',
    });
    expect(s.rows.find((r) => r.terminalId === 12)?.checks?.speakerLine).toEqual({ verdict: 'short', value: 2 });
    expect(s.rows.every((r) => r.dueDay === DAY && r.origin === 'schedule')).toBe(true);
    // spread: 2 h over 3 terminals per bus → one every 40 min, every command inside the window
    const bus1 = s.log.filter((c) => [11, 12, 13].includes(c.terminalId)).map((c) => c.at - WINDOW_START);
    expect(bus1).toEqual([0, 40 * 60_000, 80 * 60_000]);
    expect(s.log.every((c) => c.at >= WINDOW_START && c.at < WINDOW_END && c.code === 'self-test')).toBe(true);
    // nothing sounded on any terminal
    for (const u of s.units.values()) expect(u.sim.playLog()).toEqual([]);
    expect(s.causes().map((c) => [c.key, c.kind, c.fault])).toEqual([
      ['self-test:terminal:12:speakerLineShort', 'self-test', 'speakerLineShort'],
    ]);
  });

  it('in a cluster tests only the terminals of the buses this instance holds, and stops on a bus it lost', async () => {
    const held = new Set(['bus:1', 'bus:3']);
    const s = setUp([], { holds: (key: string) => held.has(key) } as unknown as LeaseManager);
    await s.scheduler.onApplicationBootstrap();
    await s.runUntil(WINDOW_START + 10 * 60_000);
    held.delete('bus:1'); // another instance drives bus 1 from now on: it tests the rest there
    await s.runUntil(WINDOW_END + 60_000);
    s.scheduler.onModuleDestroy();
    expect(outcomes(s.rows)).toEqual({ 11: 'passed', 31: 'not-supported' });
    expect(s.log.map((c) => c.terminalId)).toEqual([11]);
  });

  it('tries a terminal that was playing again after the rest of its bus', async () => {
    const s = setUp();
    // terminal 21 plays a county programme until 02:30
    const sim = s.units.get(21)!.sim;
    const play = buildCommandBlock(
      1,
      {
        code: 'play',
        source: 'fm',
        priority: 6,
        broadcastClass: 5,
        volume: 60,
        clipId: 0,
        sourceParam: 9530,
        repeat: 0,
        startAt: null,
        endAt: new Date(WINDOW_START + 30 * 60_000),
        broadcastId: null,
      },
      { signer, time: new Date(START) },
    );
    expect(sim.writeRegisters(REGISTERS.command.address, play, WINDOW_START - 1000, false)).toBeNull();
    await s.scheduler.onApplicationBootstrap();
    await s.runUntil(WINDOW_END);
    s.scheduler.onModuleDestroy();
    const tries = s.rows.filter((r) => r.terminalId === 21).map((r) => r.outcome);
    expect(tries).toEqual(['busy', 'passed']);
    // tried again after units 22 and 23 of its bus (their tests at +40 and +80 min)
    const order = s.log
      .filter((c) => [21, 22, 23].includes(c.terminalId))
      .map((c) => [c.terminalId, c.at - WINDOW_START]);
    expect(order).toEqual([
      [21, 0],
      [22, 40 * 60_000],
      [23, 80 * 60_000],
      [21, 80 * 60_000],
    ]);
  });

  it('clears the alarm once a later test passes, and a restart inside the window tests only what is left', async () => {
    const s = setUp();
    await s.scheduler.onApplicationBootstrap();
    await s.runUntil(WINDOW_START + 50 * 60_000);
    s.scheduler.onModuleDestroy();
    // the first two of each bus are done; the server restarts
    expect(s.rows.map((r) => r.terminalId).sort()).toEqual([11, 12, 21, 22, 31]);
    s.units.get(12)!.sim.faultChanged('none', 'speaker-line-short', s.manual.now());
    let causes: () => AlarmCause[] = () => [];
    const again = new SelfTestScheduler(
      { field: { enabled: true }, monitoring: { selfTestWindow: parseWindow('02:00-04:00') } } as unknown as AppConfig,
      new TestClock(s.manual),
      (s.scheduler as unknown as { field: FieldCommands }).field,
      (s.scheduler as unknown as { repo: SelfTestRepository }).repo,
      {
        addCauses: (f: () => AlarmCause[]) => (causes = f),
        evaluate: async () => undefined,
      } as unknown as AlarmsService,
      new MonitoringService(),
      solo(),
    );
    await again.onApplicationBootstrap();
    await s.runUntil(WINDOW_END);
    expect(s.rows.slice(5).map((r) => [r.terminalId, r.outcome])).toEqual([
      [13, 'not-supported'],
      [23, 'no-answer'],
    ]);
    // the restarted server remembers the failed check from the stored rows
    expect(causes().map((c) => c.key)).toEqual(['self-test:terminal:12:speakerLineShort']);
    // a technician's test after the repair passes and takes the alarm away
    const manual = again.test({ terminalId: 12, areaCode: TOWN, gatewayId: 1 }, DAY, 'manual', 'tech');
    await s.runUntil(s.manual.now() + 20_000);
    expect((await manual).outcome).toBe('passed');
    expect(causes()).toEqual([]);
    again.onModuleDestroy();
  });

  it('sounds the monthly audible test with one test tone per bus: a terminal seen playing it passes', async () => {
    const plan = {
      areaCode: '341523000000',
      enabled: true,
      dayOfMonth: 8,
      time: '10:00',
      seconds: 10,
      volume: 60,
    } as AudibleTestPlanEntity;
    const s = setUp([plan]);
    await s.scheduler.onApplicationBootstrap();
    const tenOClock = shanghaiMidnight(DAY) + 10 * 3600_000;
    await s.runUntil(tenOClock - 1);
    expect(s.busLog).toEqual([]);
    await s.runUntil(tenOClock + 60_000);
    s.scheduler.onModuleDestroy();

    // one tone per Modbus bus at 10:00 sharp; the adapter bus has none to send
    expect(s.busLog).toEqual([
      { at: tenOClock, gatewayId: 1, code: 'test-tone' },
      { at: tenOClock, gatewayId: 2, code: 'test-tone' },
    ]);
    const audible = s.rows.filter((r) => r.kind === 'audible');
    expect(outcomes(audible)).toEqual({
      11: 'passed',
      12: 'passed', // a speaker line fault the nightly test finds does not keep the status from showing the tone
      13: 'passed', // older firmware without the self-test still sounds a test tone
      21: 'passed',
      22: 'passed',
      23: 'no-answer',
      31: 'not-supported',
    });
    expect(audible.find((r) => r.terminalId === 23)?.detail).toBe('not seen sounding the test tone');
    // the terminals stopped by themselves after the tone's 10 s
    const after = s.units
      .get(11)!
      .sim.readHolding(REGISTERS.status.address, REGISTERS.status.count, tenOClock + 60_000);
    expect(toStatus(decodeStatus(after as number[]), () => null).source).not.toBe('tone');
  });
});
