import fc from 'fast-check';
import commandsVec from './vectors/commands.json';
import clipsVec from './vectors/clips.json';
import idVec from './vectors/identity-status.json';
import {
  broadcastHandle,
  buildCommandBlock,
  CHUNK_BYTES,
  chunkCount,
  COMMAND_LAYOUT,
  decodeChunkFrame,
  decodeDirectory,
  decodeIdentity,
  decodeReceiveBlock,
  decodeStatus,
  encodeChunkFrame,
  encodeCommit,
  encodeDirectory,
  encodeIdentity,
  encodeMissingBitmap,
  encodeReceiveBlock,
  encodeStatus,
  MAX_READ_REGISTERS,
  MAX_WRITE_REGISTERS,
  missingFromBitmap,
  parseCommandBlock,
  receiveReadCount,
  REGISTERS,
  registersToBytes,
  bytesToRegisters,
  TerminalCodecError,
  type CommandRecord,
  type IdentityRecord,
  type StatusRecord,
} from '.';
import { generateKeyPair, Sm2Signer, Sm2Verifier } from '../signing';

const regs = (hex: string): number[] => bytesToRegisters(Buffer.from(hex, 'hex'));
const hex = (r: number[]): string => registersToBytes(r).toString('hex');

/** JSON dates come back as strings: revive the command records of the vectors. */
function revive(c: Record<string, unknown>): CommandRecord {
  const out: Record<string, unknown> = { ...c };
  for (const k of ['startAt', 'endAt', 'at']) if (typeof out[k] === 'string') out[k] = new Date(out[k]);
  return out as unknown as CommandRecord;
}

describe('terminal-modbus register map (PROTOCOL.md)', () => {
  it('every block fits one Modbus request (§1)', () => {
    for (const b of [REGISTERS.identity, REGISTERS.status]) expect(b.count).toBeLessThanOrEqual(MAX_READ_REGISTERS);
    expect(REGISTERS.status.count).toBeLessThanOrEqual(20);
    expect(REGISTERS.command.count).toBeLessThanOrEqual(MAX_WRITE_REGISTERS);
    expect(REGISTERS.command.count * 2).toBe(COMMAND_LAYOUT.bytes);
    expect(REGISTERS.chunk.headerCount + CHUNK_BYTES / 2).toBeLessThanOrEqual(MAX_WRITE_REGISTERS);
    expect(
      REGISTERS.directory.headerCount + REGISTERS.directory.entryCount * REGISTERS.directory.maxEntries,
    ).toBeLessThanOrEqual(MAX_READ_REGISTERS);
  });

  it('identity block matches its vector both ways (§2)', () => {
    const rec = idVec.identity.record as IdentityRecord;
    expect(hex(encodeIdentity(rec))).toBe(idVec.identity.hex);
    expect(decodeIdentity(regs(idVec.identity.hex))).toEqual(rec);
    // resource code at registers 28–33: 0xF then 23 BCD digits
    expect(idVec.identity.hex.slice(112, 136)).toBe('f63415231002000301010401');
  });

  it('status block matches its vector both ways (§3)', () => {
    const rec = idVec.status.record as StatusRecord;
    expect(hex(encodeStatus(rec))).toBe(idVec.status.hex);
    expect(decodeStatus(regs(idVec.status.hex))).toEqual(rec);
    const r = regs(idVec.status.hex);
    expect(r[8]).toBe((1 << 5) | (1 << 7)); // FAULTS bits of speakerLineOpen and mainsLost
    expect(r[10]).toBe(0x10000 - 35); // -3.5 °C
  });

  it('unknown measurements decode as null', () => {
    const rec = {
      ...(idVec.status.record as StatusRecord),
      supplyVoltage: null,
      temperature: null,
      signalQuality: null,
    };
    expect(decodeStatus(encodeStatus(rec))).toEqual(rec);
  });

  it('broadcast handle is the first 4 bytes of SM3 of the id (§3.1)', () => {
    expect(broadcastHandle(idVec.broadcastHandle.id)).toBe(idVec.broadcastHandle.handle);
    expect(() => broadcastHandle('123')).toThrow(/35 digits/);
  });

  describe('command block (§4)', () => {
    const signer = {
      certSerial: commandsVec.certSerial,
      sign: () => ({ signature: Buffer.from(commandsVec.signature, 'hex') }),
    };
    const time = new Date(commandsVec.time);
    it.each(commandsVec.commands.map((c) => [c.name, c] as const))('%s matches its vector both ways', (_n, v) => {
      const cmd = revive(v.command);
      expect(hex(buildCommandBlock(commandsVec.sequence, cmd, { signer, time }))).toBe(v.signed);
      expect(hex(buildCommandBlock(commandsVec.sequence, cmd, null))).toBe(v.unsigned);
      const parsed = parseCommandBlock(regs(v.signed));
      expect(parsed.command).toEqual(cmd);
      expect(parsed.sequence).toBe(commandsVec.sequence);
      expect(parsed.signature).toEqual({
        time,
        certSerial: commandsVec.certSerial,
        signature: Uint8Array.from(Buffer.from(commandsVec.signature, 'hex')),
      });
      expect(parsed.signedBytes.toString('hex')).toBe(v.signed.slice(0, 148));
      expect(parseCommandBlock(regs(v.unsigned)).signature).toBeNull();
    });

    it('play reports the broadcast handle; the signer sees bytes 0–73', () => {
      const play = commandsVec.commands[0];
      expect(parseCommandBlock(regs(play.signed)).broadcastHandle).toBe(idVec.broadcastHandle.handle);
      let seen = Buffer.alloc(0);
      buildCommandBlock(
        5,
        { code: 'reboot' },
        {
          signer: {
            certSerial: '202400000017',
            sign: (d) => ((seen = Buffer.from(d)), { signature: new Uint8Array(64) }),
          },
          time,
        },
      );
      expect(seen.length).toBe(74);
      expect(seen.subarray(68).toString('hex')).toBe('202400000017');
    });

    it('a block signed by Sm2Signer verifies over its signed bytes; a changed parameter does not', () => {
      const signer = new Sm2Signer('202400000017', generateKeyPair().privateKey);
      const verifier = new Sm2Verifier([{ certSerial: signer.certSerial, publicKey: signer.publicKey }]);
      const block = buildCommandBlock(42, { code: 'volume', volume: 70 }, { signer, time });
      const parsed = parseCommandBlock(block);
      expect(parsed.signature).not.toBeNull();
      expect(verifier.check(parsed.signedBytes, parsed.signature!)).toBe('valid');
      const forged = [...block];
      forged[4] = 99 << 8; // volume parameter changed after signing
      const p2 = parseCommandBlock(forged);
      expect(verifier.check(p2.signedBytes, p2.signature!)).toBe('bad-signature');
    });

    it('names the field that is wrong', () => {
      expect(() => buildCommandBlock(1, { code: 'volume', volume: 101 }, null)).toThrow(/volume\.volume/);
      expect(() => buildCommandBlock(0, { code: 'reboot' }, null)).toThrow(/command\.sequence/);
      const bad = regs(commandsVec.commands[0].unsigned);
      bad[0] = 99;
      expect(() => parseCommandBlock(bad)).toThrow(/unknown command code 99/);
    });

    it('parsing random registers throws only TerminalCodecError', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 69, maxLength: 69 }),
          fc.integer({ min: 1, max: 16 }),
          (r, code) => {
            r[0] = code;
            try {
              parseCommandBlock(r);
            } catch (e) {
              if (!(e instanceof TerminalCodecError)) throw e;
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('stored clips (§6)', () => {
    const data = Buffer.from(clipsVec.clip.dataHex, 'hex');
    it('chunk frames match their vectors and decode back', () => {
      for (const c of clipsVec.chunks) {
        expect(hex(encodeChunkFrame(clipsVec.clip.clipId, c.index, data))).toBe(c.hex);
        const f = decodeChunkFrame(regs(c.hex));
        expect(f.index).toBe(c.index);
        expect(f.data).toEqual(data.subarray(c.index * 240, c.index * 240 + 240));
      }
      expect(chunkCount(data.length)).toBe(3);
      expect(regs(clipsVec.chunks[0].hex).length).toBe(123);
    });

    it('receive block, commit and directory match their vectors', () => {
      const v = clipsVec.receive;
      expect(hex(encodeReceiveBlock(v.record as Parameters<typeof encodeReceiveBlock>[0], v.count))).toBe(v.hex);
      expect(decodeReceiveBlock(regs(v.hex))).toEqual({ ...v.record, missingCount: 3 });
      expect(receiveReadCount(40)).toBe(7);
      expect(receiveReadCount(5000)).toBe(125);
      expect(hex(encodeCommit(1201))).toBe(clipsVec.commit.hex);
      expect(hex(encodeDirectory(clipsVec.directory.record))).toBe(clipsVec.directory.hex);
      expect(decodeDirectory(regs(clipsVec.directory.hex))).toEqual(clipsVec.directory.record);
    });

    it('any chunk of any clip round-trips within 123 registers', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.nat(), (d, k) => {
          const i = k % chunkCount(d.length);
          const frame = encodeChunkFrame(9, i, d);
          expect(frame.length).toBeLessThanOrEqual(MAX_WRITE_REGISTERS);
          expect(decodeChunkFrame(frame).data).toEqual(Buffer.from(d.subarray(i * 240, i * 240 + 240)));
        }),
      );
    });

    it('the missing bitmap round-trips, also read in pages', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(fc.nat(), { maxLength: 40 }), (n, raw) => {
          const missing = [...new Set(raw.map((x) => x % n))];
          const bm = encodeMissingBitmap(missing, n);
          expect(missingFromBitmap(bm, n)).toEqual([...missing].sort((a, b) => a - b));
          const page = missingFromBitmap(bm.slice(2), n, 32);
          expect(page).toEqual(missing.filter((i) => i >= 32).sort((a, b) => a - b));
        }),
      );
    });

    it('refuses bad chunk frames by field', () => {
      expect(() => decodeChunkFrame([1, 0, 241, ...new Array<number>(121).fill(0)])).toThrow(/chunk/);
      expect(() => decodeChunkFrame([1, 0, 4, 0])).toThrow(/chunk\.length/);
      expect(() => encodeChunkFrame(1, 3, data)).toThrow(/chunk\.index/);
    });
  });
});
