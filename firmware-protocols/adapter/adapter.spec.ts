import * as fc from 'fast-check';
import commandVectors from './vectors/command-frames.json';
import replyVectors from './vectors/reply-frames.json';
import returnVectors from './vectors/return-frames.json';
import {
  AdapterCodecError,
  crc32Mpeg2,
  decodeCommandBody,
  decodeCommandFrame,
  decodeMessageBody,
  decodeReturnFrame,
  decodeText,
  encodeCommandBody,
  encodeCommandFrame,
  encodeMessageBody,
  encodeReturnFrame,
  encodeText,
  type AdapterCommand,
  type AdapterMessage,
  type ReturnFrame,
  type SignatureBlock,
} from './index';

/** JSON vectors carry dates as ISO strings; revive them. */
function revive<T>(v: unknown): T {
  return JSON.parse(JSON.stringify(v), (_k, x: unknown) =>
    typeof x === 'string' && /^\d{4}-\d\d-\d\dT.*Z$/.test(x) ? new Date(x) : x,
  ) as T;
}
const sig: SignatureBlock = {
  time: new Date(commandVectors.signature.time),
  certSerial: commandVectors.signature.certSerial,
  signature: Buffer.from(commandVectors.signature.signature, 'hex'),
};

/** Bit-by-bit definition, independent of the table-driven implementation. */
function crcByDefinition(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = ((crc >>> 31) ^ (byte >>> bit)) & 1;
      crc = ((crc << 1) ^ (top ? 0x04c11db7 : 0)) >>> 0;
    }
  }
  return crc;
}

describe('CRC-32/MPEG-2 (PROTOCOL.md §2.4)', () => {
  it('agrees with the bit-by-bit definition', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (d) => crc32Mpeg2(d) === crcByDefinition(d)));
  });

  it('has the catalogue check value', () => {
    expect(crc32Mpeg2(Buffer.from(commandVectors.crcCheck.ascii, 'ascii')).toString(16).padStart(8, '0')).toBe(
      commandVectors.crcCheck.crc,
    );
  });
});

describe('command frames (PROTOCOL.md §2, §3)', () => {
  it.each(commandVectors.commands)('$name encodes byte-exactly and decodes back', (v) => {
    const cmd = revive<AdapterCommand>(v.command);
    const { code, body } = encodeCommandBody(cmd);
    expect(code).toBe(v.code);
    expect(body.toString('hex')).toBe(v.body);
    expect(
      encodeCommandFrame('command', code, commandVectors.platform, body, v.signed ? sig : null).toString('hex'),
    ).toBe(v.frame);
    const frame = decodeCommandFrame(Buffer.from(v.frame, 'hex'));
    expect(frame).toMatchObject({ direction: 'command', version: 1, code: v.code, source: commandVectors.platform });
    expect(frame.signature === null).toBe(!v.signed);
    expect(decodeCommandBody(frame.code, frame.body)).toEqual(cmd);
  });

  it('lays the header out as head, version, command, source, length', () => {
    const hex = commandVectors.commands.find((c) => c.name === 'clock')!.frame;
    expect(hex.slice(0, 2)).toBe('49');
    expect(hex.slice(2, 6)).toBe('0001');
    expect(hex.slice(6, 8)).toBe('09');
    expect(hex.slice(8, 32)).toBe('f43415230000000101010101');
    expect(hex.slice(32, 40)).toBe('00000004');
    expect(hex.slice(48, 52)).toBe('004a'); // signature block length 74
  });

  it('refuses a bad CRC and a bad field by name', () => {
    const raw = Buffer.from(commandVectors.commands[0].frame, 'hex');
    raw[raw.length - 1] ^= 1;
    expect(() => decodeCommandFrame(raw)).toThrow(/frame\.crc/);
    const c: AdapterCommand = { code: 'volume', volume: 101, addressing: 'logical', targets: [] };
    expect(() => encodeCommandBody(c)).toThrow(AdapterCodecError);
    expect(() => encodeCommandBody(c)).toThrow(/volume/);
    expect(() => decodeCommandBody(0x09, Buffer.from('0102', 'hex'))).toThrow(/clock\.at/);
  });
});

describe('adapter → platform messages (PROTOCOL.md §4)', () => {
  it.each(replyVectors.messages)('$name encodes byte-exactly and decodes back', (v) => {
    const raw = revive<Record<string, unknown>>(v.message);
    const m = ('data' in raw ? { ...raw, data: Buffer.from(raw.data as string, 'hex') } : raw) as AdapterMessage;
    const { code, body } = encodeMessageBody(m);
    expect(code).toBe(v.code);
    expect(body.toString('hex')).toBe(v.body);
    expect(encodeCommandFrame('reply', code, replyVectors.adapter, body, null).toString('hex')).toBe(v.frame);
    const frame = decodeCommandFrame(Buffer.from(v.frame, 'hex'));
    expect(frame.direction).toBe('reply');
    expect(decodeMessageBody(frame.code, frame.body)).toEqual(m);
  });

  it('refuses a reply code that cannot answer the command it names', () => {
    expect(() => decodeMessageBody(0x12, Buffer.from([0x06, 0]))).toThrow(/cannot answer command volume/);
  });
});

describe('回传 frames (PROTOCOL.md §5)', () => {
  it.each(returnVectors.returns)('$name encodes byte-exactly and decodes back', (v) => {
    const f = revive<ReturnFrame>(v.value);
    expect(encodeReturnFrame(f).toString('hex')).toBe(v.frame);
    expect(decodeReturnFrame(Buffer.from(v.frame, 'hex'))).toEqual(f);
  });

  it('starts with 0xFEFD, version 0x0100', () => {
    expect(returnVectors.returns[0].frame.slice(0, 8)).toBe('fefd0100');
  });
});

describe('text (PROTOCOL.md §3.1)', () => {
  it('round-trips GB18030 beyond GB2312 and refuses it as GB2312', () => {
    const s = '大喇叭 𠮷 €';
    expect(decodeText(encodeText(s, 'gb18030'))).toBe(s);
    expect(() => encodeText('𠮷', 'gb2312')).toThrow(/outside GB2312/);
  });
});
