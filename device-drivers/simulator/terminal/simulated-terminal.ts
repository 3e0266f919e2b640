/**
 * A simulated terminal as the bus sees it: the register map of firmware-protocols/terminal-modbus PROTOCOL.md applied
 * to a TerminalModel, with that folder's codecs (never a second copy). Reads: identity §2, status §3, receive block and
 * bitmap pages §6.3, directory §6.5. Writes: command block §4 (checked by §5), chunk frames §6.2, commit §6.4.
 * Refusals are Modbus exceptions for unicast (§5.3) and silently counted for broadcast; a command block is checked in
 * the order of §5.4 (signature, replay, code and parameters, state); a command's translation for the model and the
 * exception of each refusal are in model-command.ts.
 */
import type { FaultKey } from '../../../firmware-protocols/codes';
import {
  COMMAND_LAYOUT,
  decodeChunkFrame,
  directoryReadCount,
  encodeDirectory,
  encodeIdentity,
  encodeMissingBitmap,
  encodeSelfTest,
  encodeStatus,
  MAP_VERSION,
  MAX_READ_REGISTERS,
  parseCommandBlock,
  readReceiveRegisters,
  REGISTERS,
  TERMINAL_EXCEPTIONS,
  TerminalCodecError,
  type IdentityRecord,
  type MapVersion,
  type SelfTestRecord,
} from '../../../firmware-protocols/terminal-modbus';
import { selfTestReading, type LatentFault } from './self-test-reading';
import { registersToBytes } from '../../../firmware-protocols/terminal-modbus/words';
import type { ModbusDevice, PlayRecord, UnitFault } from '../modbus/virtual-bus';
import type { StoredClip } from './clip-store';
import type { CommandVerifier } from './command-verifier';
import { REFUSAL_EXCEPTION, toModelCommand } from './model-command';
import { ModelCommand, TerminalModel } from './terminal-model';

type Result = { exception: number } | null;

const SPEAKER_LINE_OPEN: FaultKey = 'speakerLineOpen';

export interface SimulatedTerminalOptions {
  identity: Omit<IdentityRecord, 'mapVersion'>;
  /** The register map it speaks (PROTOCOL.md §2 reg 39, §6.3); MAP_VERSION unless a version 1 terminal is wanted. */
  mapVersion?: MapVersion;
  verifier: CommandVerifier;
  now: number;
  /** Measurements reported in the status block (fixed per terminal, seeded by the network); null unknown (§3). */
  supplyVoltage?: number | null;
  temperature?: number | null;
  signalQuality?: number | null;
  /** False: the terminal has lost the time and reads clock 0 until a clock command sets it (§3). Default true. */
  clockKnown?: boolean;
  /** False: older firmware without the self-test (§3.3): code 8 is refused 0x03 and 0x0140 answers 0x02. Default true. */
  selfTest?: boolean;
  /** Battery voltage its self-test measures; null: no battery fitted. Default 13.2 V. */
  batteryVoltage?: number | null;
}

const inBlock = (address: number, count: number, start: number, size: number): boolean =>
  address >= start && address + count <= start + size;

export class SimulatedTerminal implements ModbusDevice {
  readonly model: TerminalModel;
  private pendingVerifyMs = 0;
  private signalQuality: number | null = null;
  /** Faults only a self-test finds (the simulator's unit faults amplifier-low, speaker-line-short, …). */
  readonly latent = new Set<LatentFault>();
  private selfTestChecks: SelfTestRecord['checks'] | null = null;

  constructor(private readonly opts: SimulatedTerminalOptions) {
    this.model = new TerminalModel(opts.now, {
      clockKnown: opts.clockKnown,
      clipCapacityBytes: opts.identity.clipStorageKb * 1024,
    });
    this.model.onSelfTestDone = (run) => {
      this.selfTestChecks = selfTestReading(run.checks, {
        amplifierOn: this.model.amplifierOn,
        speakerLineOpen: this.model.faults.has(SPEAKER_LINE_OPEN),
        latent: this.latent,
        supplyVoltage: this.opts.supplyVoltage === undefined ? 24 : this.opts.supplyVoltage,
        batteryVoltage: this.opts.batteryVoltage === undefined ? 13.2 : this.opts.batteryVoltage,
      });
    };
  }

  get selfTestSupported(): boolean {
    return this.opts.selfTest ?? true;
  }

  get mapVersion(): MapVersion {
    return this.opts.mapVersion ?? MAP_VERSION;
  }

  readHolding(address: number, count: number, now: number): number[] | { exception: number } {
    const R = REGISTERS;
    if (inBlock(address, count, R.identity.address, R.identity.count)) {
      return encodeIdentity({ ...this.opts.identity, mapVersion: this.mapVersion }).slice(
        address - R.identity.address,
        address - R.identity.address + count,
      );
    }
    if (inBlock(address, count, R.status.address, R.status.count)) {
      return this.status(now).slice(address - R.status.address, address - R.status.address + count);
    }
    if (this.selfTestSupported && inBlock(address, count, R.selfTest.address, R.selfTest.count)) {
      return this.selfTestRegisters(now).slice(address - R.selfTest.address, address - R.selfTest.address + count);
    }
    const receive = this.receive(address, count);
    if (receive !== null) return receive;
    const held = this.readHeld(address, count);
    if (held !== null) return held;
    if (address === R.directory.address && count >= R.directory.headerCount && count <= directoryReadCount()) {
      // §6.5: version 2 lists the clips stored last first (a version 1 terminal: in the order it stored them)
      const stored = this.model.clips.list();
      const clips = (this.mapVersion >= 2 ? stored.reverse() : stored).slice(0, R.directory.maxEntries);
      const regs = encodeDirectory({
        freeKb: Math.floor(this.model.clips.freeBytes() / 1024),
        clips: clips.map((c) => ({ clipId: c.clipId, digestPrefix: c.digest.slice(0, 8) })),
      });
      return Array.from({ length: count }, (_, i) => regs[i] ?? 0);
    }
    return { exception: TERMINAL_EXCEPTIONS.illegalAddress };
  }

  /**
   * An FC16 write. Every write the terminal does not carry out is counted in status register 15 (§3), answered or,
   * broadcast, not; a broadcast chunk frame that §6.2 ignores is not a refusal.
   */
  writeRegisters(address: number, values: number[], now: number, broadcast: boolean): Result {
    this.pendingVerifyMs = 0;
    const counted = this.model.refusedTotal;
    const r = this.write(address, values, now, broadcast);
    if (r !== null && this.model.refusedTotal === counted) this.model.countRefusal();
    return r;
  }

  /** An FC16 request the bus refused for its count or byte count (§1): counted like any refused write. */
  writeRefused(): void {
    this.model.countRefusal();
  }

  private write(address: number, values: number[], now: number, broadcast: boolean): Result {
    const R = REGISTERS;
    if (address === R.command.address && values.length === R.command.count) return this.command(values, now);
    if (address === R.chunk.address) {
      try {
        const f = decodeChunkFrame(values);
        const ok = this.model.clips.chunk(f.clipId, f.index, f.data);
        return ok || broadcast ? null : { exception: TERMINAL_EXCEPTIONS.illegalValue };
      } catch (e) {
        if (e instanceof TerminalCodecError) return { exception: TERMINAL_EXCEPTIONS.illegalValue };
        throw e;
      }
    }
    if (address === R.commit.address && values.length === R.commit.count) {
      this.model.clips.commit(values[0]);
      return null;
    }
    if (this.holdsSchedule) return this.writeHeld(address, values);
    return { exception: TERMINAL_EXCEPTIONS.illegalAddress };
  }

  private get holdsSchedule(): boolean {
    return this.opts.identity.holdsSchedule === true;
  }

  /** §9.1, §9.2, §9.5 reads: header, entries, play log; null outside them (or on a terminal without §9). */
  private readHeld(address: number, count: number): number[] | { exception: number } | null {
    const H = REGISTERS.held;
    if (!this.holdsSchedule) return null;
    const held = this.model.held;
    const blocks: [number, number, () => number[]][] = [
      [H.headerAddress, H.headerCount, () => held.header()],
      [H.entriesAddress, H.maxEntries * H.entryRegisters, () => held.readEntries(address, count)],
      [H.logAddress, H.logHeaderCount + H.logRecordRegisters * H.logRecordsPerRead, () => held.logRegisters()],
    ];
    for (const [start, size, regs] of blocks) {
      if (address < start || address >= start + size) continue;
      if (!inBlock(address, count, start, size)) return { exception: TERMINAL_EXCEPTIONS.illegalAddress };
      if (start === H.entriesAddress) return regs();
      const all = regs();
      return Array.from({ length: count }, (_, i) => all[address - start + i] ?? 0);
    }
    return null;
  }

  /** §9.2 entries, §9.3 commit, §9.5 acknowledgement. */
  private writeHeld(address: number, values: number[]): Result {
    const H = REGISTERS.held;
    const held = this.model.held;
    if (address === H.commitAddress && values.length === 1) {
      held.commit(values[0], this.opts.identity.sources);
      return null;
    }
    if (address === H.ackAddress && values.length === H.ackCount) {
      held.acknowledge(values[0] * 0x10000 + values[1]);
      return null;
    }
    const end = H.entriesAddress + H.maxEntries * H.entryRegisters;
    if (address >= H.entriesAddress && address < end) {
      if ((address - H.entriesAddress) % H.entryRegisters !== 0 || address + values.length > end)
        return { exception: TERMINAL_EXCEPTIONS.illegalAddress };
      return held.writeEntries(address, values) ? null : { exception: TERMINAL_EXCEPTIONS.illegalValue };
    }
    return { exception: TERMINAL_EXCEPTIONS.illegalAddress };
  }

  /** A good request reached this unit (§9.4: the link is up). */
  heard(now: number): void {
    this.model.heard(now);
  }

  /** Extra turnaround of the last request: a signed command's verification on the terminal's processor. */
  extraTurnaroundMs(): number {
    return this.pendingVerifyMs;
  }

  /**
   * A named fault set by the network: when power returns the terminal boots again (PROTOCOL.md §5.2: the last sequence
   * survives); an open speaker line is reported in the status fault bitmap.
   */
  faultChanged(fault: UnitFault, previous: UnitFault, now: number): void {
    if (previous === 'power-loss') this.model.reboot(now);
    if (fault === 'speaker-line-open') this.model.faults.add(SPEAKER_LINE_OPEN);
    if (previous === 'speaker-line-open') this.model.faults.delete(SPEAKER_LINE_OPEN);
    const latent = (f: UnitFault): LatentFault | null =>
      f === 'amplifier-low' || f === 'speaker-line-short' || f === 'battery-low' || f === 'mains-lost' ? f : null;
    const was = latent(previous);
    if (was) this.latent.delete(was);
    const is = latent(fault);
    if (is) this.latent.add(is);
  }

  counters(): Record<string, number> {
    return { plays: this.model.starts.plays, repeatedStarts: this.model.starts.repeatedStarts };
  }

  installClip(clip: StoredClip): boolean {
    return this.model.clips.install(clip);
  }

  playLog(now?: number): PlayRecord[] {
    if (now !== undefined) this.model.advance(now);
    return this.model.playLog.map((r) => ({ ...r }));
  }

  setSignalQuality(quality: number): void {
    this.signalQuality = quality;
  }

  switchSource(source: PlayRecord['source'], now: number): void {
    this.model.switchSource(source, now);
  }

  setVolume(volume: number): void {
    this.model.volume = volume;
  }

  crcError(): void {
    this.model.crcErrors = (this.model.crcErrors + 1) & 0xffff;
  }

  /** §5.4: the signature and the sequence are judged before the code and parameters are even parsed. */
  private command(values: number[], now: number): Result {
    const bytes = registersToBytes(values);
    const verdict = this.opts.verifier.verify(bytes);
    if (bytes.subarray(COMMAND_LAYOUT.timeOffset).some((b) => b !== 0))
      this.pendingVerifyMs = this.opts.verifier.verifyMs;
    let command: ModelCommand | null = null;
    try {
      const parsed = parseCommandBlock(values);
      const c = parsed.command;
      // a play of a source the terminal does not have (identity reg 35) is a bad parameter (§4.2)
      // a terminal without the self-test does not know code 8 (§4.1: refused 0x03)
      const known = c.code !== 'self-test' || this.selfTestSupported;
      if (known && (c.code !== 'play' || (this.opts.identity.sources as readonly string[]).includes(c.source)))
        command = toModelCommand(c, parsed.broadcastHandle, {
          volume: this.model.volume,
          codecs: this.opts.identity.codecs,
        });
      // §9.3: a terminal without a held schedule does not know command 17
      if (c.code === 'hold-schedule' && !this.holdsSchedule) command = null;
    } catch (e) {
      if (!(e instanceof TerminalCodecError)) throw e;
    }
    const refusal = this.model.apply(now, bytes.readUInt32BE(2), verdict, command);
    return refusal === null ? null : { exception: REFUSAL_EXCEPTION[refusal] };
  }

  private status(now: number): number[] {
    const m = this.model;
    const playing = m.playing(now);
    const s = m.session;
    return encodeStatus({
      state: m.state(now),
      priority: m.priority(now),
      source: playing && s ? s.source : 'none',
      broadcastClass: playing && s ? s.broadcastClass : 0,
      volume: playing && s ? s.volume : m.volume,
      clipId: playing && s ? s.clipId : 0,
      broadcastHandle: s ? s.broadcastHandle : 0,
      faults: [...m.faults],
      supplyVoltage: this.opts.supplyVoltage === undefined ? 24 : this.opts.supplyVoltage,
      temperature: this.opts.temperature === undefined ? 31.5 : this.opts.temperature,
      signalQuality: this.signalQuality ?? (this.opts.signalQuality === undefined ? 90 : this.opts.signalQuality),
      uptimeSeconds: Math.min(0xffffffff, m.uptimeSeconds(now)),
      crcErrors: m.crcErrors,
      refusedCommands: m.refusedTotal,
      lastCommandSequence: m.lastSequence,
      clockSeconds: Math.floor((m.clock(now) ?? 0) / 1000),
    });
  }

  /** §3.3: the last self-test since the terminal started. */
  private selfTestRegisters(now: number): number[] {
    this.model.advance(now);
    const run = this.model.selfTest;
    const unknown = { verdict: 'not-tested', value: null } as const;
    const checks: SelfTestRecord['checks'] =
      run?.state === 'done' && this.selfTestChecks
        ? this.selfTestChecks
        : { amplifier: unknown, speakerLine: unknown, supply: unknown, battery: unknown };
    const ended = run?.endedAt ?? null;
    const clock = ended === null ? null : this.model.clock(ended);
    return encodeSelfTest({
      testId: run?.testId ?? 0,
      state: run?.state ?? 'none',
      finishedAtSeconds: clock === null ? 0 : Math.floor(clock / 1000),
      checks,
    });
  }

  /** §6.3: header, bitmap mirror and bitmap pages as this terminal's map version lays them out; null outside them. */
  private receive(address: number, count: number): number[] | { exception: number } | null {
    const R = REGISTERS.receive;
    const inReceive = address >= R.address && address < R.address + 0x80;
    const inPages = address >= R.pagesAddress && address < R.pagesAddress + R.maxBitmapCount;
    if (!inReceive && !inPages) return null;
    if (count > MAX_READ_REGISTERS) return { exception: TERMINAL_EXCEPTIONS.illegalValue };
    const c = this.model.clips;
    const missing = c.missing();
    const chunks = c.chunkCount();
    const header = [c.clipId, c.state, chunks, missing.length];
    const regs = readReceiveRegisters(this.mapVersion, address, count, header, encodeMissingBitmap(missing, chunks));
    return regs ?? { exception: TERMINAL_EXCEPTIONS.illegalAddress };
  }
}
