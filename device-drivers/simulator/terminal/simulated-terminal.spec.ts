import { sm2, sm3 } from 'sm-crypto-v2';
import { composeBroadcastId, PRIORITY, TERMINAL_STATES } from '../../../firmware-protocols/codes';
import {
  broadcastHandle,
  buildCommandBlock,
  decodeDirectory,
  decodeIdentity,
  decodeReceiveBlock,
  decodeStatus,
  encodeChunkFrame,
  REGISTERS,
  TERMINAL_EXCEPTIONS,
  type CommandRecord,
  type CommandSigner,
} from '../../../firmware-protocols/terminal-modbus';
import { DEFAULT_USER_ID } from '../../../firmware-protocols/signing';
import { CommandVerifier } from './command-verifier';
import { SimulatedTerminal } from './simulated-terminal';

const keys = sm2.generateKeyPairHex();
const stranger = sm2.generateKeyPairHex();
const signerOf = (privateKey: string, certSerial: string): CommandSigner => ({
  certSerial,
  sign: (data) => ({
    signature: Buffer.from(
      sm2.doSignature(data, privateKey, { der: false, hash: true, userId: DEFAULT_USER_ID }),
      'hex',
    ),
  }),
});
const trusted = signerOf(keys.privateKey, '000000000017');
const forger = signerOf(stranger.privateKey, '000000000017');
const unknown = signerOf(keys.privateKey, '000000000099');

const T0 = Date.UTC(2024, 9, 23, 2, 0, 0);
const ID = composeBroadcastId('43415230000000101010101', new Date(T0), 1);

function terminal(verifier = new CommandVerifier([{ serial: '000000000017', publicKeyHex: keys.publicKey }])) {
  return new SimulatedTerminal({
    now: T0,
    verifier,
    identity: {
      vendor: 'Dalaba Sim',
      model: 'DLB-T300',
      firmware: '1.0.0',
      serial: 'SN001',
      resourceCode: '63415231002000301010401',
      codecs: ['opus-16k'],
      clipStorageKb: 4096,
      sources: ['stored', 'fm', 'tone'],
      display: false,
    },
  });
}

const play = (priority: number, extra: Partial<Extract<CommandRecord, { code: 'play' }>> = {}): CommandRecord => ({
  code: 'play',
  source: 'fm',
  priority,
  broadcastClass: 4,
  volume: 80,
  clipId: 0,
  sourceParam: 9860,
  repeat: 0,
  startAt: null,
  endAt: null,
  broadcastId: ID,
  ...extra,
});
const block = (seq: number, c: CommandRecord, signer: CommandSigner | null = trusted) =>
  buildCommandBlock(seq, c, signer ? { signer, time: new Date(T0) } : null);
const write = (t: SimulatedTerminal, regs: number[], now = T0, broadcast = false) =>
  t.writeRegisters(REGISTERS.command.address, regs, now, broadcast);
const status = (t: SimulatedTerminal, now = T0) =>
  decodeStatus(t.readHolding(REGISTERS.status.address, REGISTERS.status.count, now) as number[]);

describe('SimulatedTerminal register map', () => {
  it('answers its identity and idle status in one read each', () => {
    const t = terminal();
    const id = decodeIdentity(t.readHolding(0, REGISTERS.identity.count, T0) as number[]);
    expect(id).toMatchObject({ model: 'DLB-T300', resourceCode: '63415231002000301010401', codecs: ['opus-16k'] });
    expect(status(t)).toMatchObject({
      state: TERMINAL_STATES.normal,
      priority: PRIORITY.idle,
      source: 'none',
      lastCommandSequence: 0,
    });
    expect(t.readHolding(0x0300, 2, T0)).toEqual({ exception: TERMINAL_EXCEPTIONS.illegalAddress });
  });

  it('refuses unsigned, forged, unknown-certificate and replayed plays with their exceptions, and counts them', () => {
    const t = terminal();
    expect(write(t, block(1, play(6), null))).toEqual({ exception: TERMINAL_EXCEPTIONS.badSignature });
    expect(write(t, block(2, play(6), forger))).toEqual({ exception: TERMINAL_EXCEPTIONS.badSignature });
    expect(write(t, block(3, play(6), unknown))).toEqual({ exception: TERMINAL_EXCEPTIONS.unknownCertificate });
    const good = block(4, play(6));
    expect(write(t, good)).toBeNull();
    expect(write(t, good)).toEqual({ exception: TERMINAL_EXCEPTIONS.replay });
    const s = status(t);
    expect(s).toMatchObject({
      state: TERMINAL_STATES.broadcasting,
      priority: 6,
      refusedCommands: 4,
      lastCommandSequence: 4,
    });
    expect(s.broadcastHandle).toBe(broadcastHandle(ID));
  });

  it('obeys a play at equal or higher priority only', () => {
    const t = terminal();
    expect(write(t, block(1, play(PRIORITY.town)))).toBeNull();
    expect(write(t, block(2, play(PRIORITY.village)))).toEqual({ exception: TERMINAL_EXCEPTIONS.priority });
    expect(write(t, block(3, play(PRIORITY.town)))).toBeNull();
    expect(write(t, block(4, play(1)))).toBeNull();
    expect(status(t).priority).toBe(1);
    expect(t.model.preempted).toHaveLength(0); // same broadcast re-commanded: nothing cut off
  });

  it('verifies an identical signed block once for every terminal that shares the verifier', () => {
    const verifier = new CommandVerifier([{ serial: '000000000017', publicKeyHex: keys.publicKey }], 6);
    const terminals = Array.from({ length: 12 }, () => terminal(verifier));
    const b = block(1, play(3));
    for (const t of terminals) expect(write(t, b, T0, true)).toBeNull();
    expect(verifier.computed).toBe(1);
    expect(terminals[0].extraTurnaroundMs()).toBe(6);
  });

  it('stores a clip through prepare, broadcast chunks, bitmap, repair and commit, then plays it for its length', () => {
    const t = terminal();
    const data = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7) & 0xff));
    expect(
      write(t, block(1, { code: 'prepare-clip', clipId: 5, codec: 'opus-16k', size: data.length, digest: sm3(data) })),
    ).toBeNull();
    for (let i = 0; i < 9; i++)
      if (i !== 2 && i !== 8)
        expect(t.writeRegisters(REGISTERS.chunk.address, encodeChunkFrame(5, i, data), T0, true)).toBeNull();
    let rx = decodeReceiveBlock(t.readHolding(REGISTERS.receive.address, 5, T0) as number[]);
    expect(rx).toMatchObject({ clipId: 5, state: 'receiving', chunkCount: 9, missingCount: 2, missing: [2, 8] });
    t.writeRegisters(REGISTERS.commit.address, [5], T0, true);
    expect(decodeReceiveBlock(t.readHolding(REGISTERS.receive.address, 4, T0) as number[]).state).toBe('receiving');
    for (const i of [2, 8])
      expect(t.writeRegisters(REGISTERS.chunk.address, encodeChunkFrame(5, i, data), T0, false)).toBeNull();
    expect(t.writeRegisters(REGISTERS.chunk.address, encodeChunkFrame(6, 0, data), T0, false)).toEqual({
      exception: TERMINAL_EXCEPTIONS.illegalValue,
    });
    t.writeRegisters(REGISTERS.commit.address, [5], T0, true);
    rx = decodeReceiveBlock(t.readHolding(REGISTERS.receive.address, 4, T0) as number[]);
    expect(rx.state).toBe('stored');
    // the directory (§6.5) lists it, though its address lies inside the range of bitmap pages
    expect(decodeDirectory(t.readHolding(REGISTERS.directory.address, 7, T0) as number[]).clips).toEqual([
      { clipId: 5, digestPrefix: sm3(data).slice(0, 8) },
    ]);
    // 2,000 bytes of opus-16k (2,000 B/s) play 1 s; twice from a synchronised start 3 s ahead
    expect(
      write(t, block(2, play(3, { source: 'stored', clipId: 5, repeat: 2, startAt: new Date(T0 + 3000) }))),
    ).toBeNull();
    expect(status(t, T0 + 2999).state).toBe(TERMINAL_STATES.normal);
    expect(status(t, T0 + 3000)).toMatchObject({ state: TERMINAL_STATES.broadcasting, clipId: 5, source: 'stored' });
    expect(status(t, T0 + 5000).state).toBe(TERMINAL_STATES.normal);
    expect(write(t, block(3, play(3, { source: 'stored', clipId: 9 })))).toEqual({
      exception: TERMINAL_EXCEPTIONS.clipNotStored,
    });
  });

  it('reports an open speaker line and reboots when power returns, keeping its last sequence', () => {
    const t = terminal();
    expect(write(t, block(7, play(6)))).toBeNull();
    t.faultChanged('speaker-line-open', 'none', T0);
    expect(status(t).faults).toEqual(['speakerLineOpen']);
    expect(status(t).state).toBe(TERMINAL_STATES.fault);
    t.faultChanged('power-loss', 'speaker-line-open', T0 + 1000);
    t.faultChanged('none', 'power-loss', T0 + 60_000);
    expect(status(t, T0 + 61_000)).toMatchObject({
      state: TERMINAL_STATES.normal,
      uptimeSeconds: 1,
      lastCommandSequence: 7,
      faults: [],
    });
    expect(t.model.preempted).toHaveLength(1);
  });
});
