import fc from 'fast-check';
import { sealRtu } from '../../modbus-crc';
import { decodeRequest, RtuRequestParser } from './rtu-frames';

/** Requests as the controller sends them: FC03 reads, FC06 and FC16 writes, to units 1–247. */
const request = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 247 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 125 }))
    .map(([unit, address, count]) => {
      const pdu = Buffer.alloc(5);
      pdu[0] = 0x03;
      pdu.writeUInt16BE(address, 1);
      pdu.writeUInt16BE(count, 3);
      return sealRtu(unit, pdu);
    }),
  fc
    .tuple(fc.integer({ min: 1, max: 247 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
    .map(([unit, address, value]) => {
      const pdu = Buffer.alloc(5);
      pdu[0] = 0x06;
      pdu.writeUInt16BE(address, 1);
      pdu.writeUInt16BE(value, 3);
      return sealRtu(unit, pdu);
    }),
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 123 }),
    )
    .map(([unit, address, values]) => {
      const pdu = Buffer.alloc(6 + 2 * values.length);
      pdu[0] = 0x10;
      pdu.writeUInt16BE(address, 1);
      pdu.writeUInt16BE(values.length, 3);
      pdu[5] = 2 * values.length;
      values.forEach((v, i) => pdu.writeUInt16BE(v, 6 + 2 * i));
      return sealRtu(unit, pdu);
    }),
);
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const chunking = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });

/** Feeds `input` in chunks of the given sizes (then the rest), checking the cap after every push. */
function feed(p: RtuRequestParser, input: Buffer, sizes: number[], cap: number): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  for (const size of [...sizes, input.length]) {
    if (at >= input.length) break;
    frames.push(...p.push(input.subarray(at, at + size)));
    at += size;
    expect(p.buffered).toBeLessThanOrEqual(cap);
  }
  return frames;
}

describe('RtuRequestParser', () => {
  it('cuts every request fed whole, byte by byte, or in any chunking', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 5 }), chunking, (reqs, sizes) => {
        const input = Buffer.concat(reqs);
        expect(feed(new RtuRequestParser(), input, sizes, 512).map((f) => f.toString('hex'))).toEqual(
          reqs.map((r) => r.toString('hex')),
        );
        const oneByOne = new RtuRequestParser();
        const frames = [...input].flatMap((b) => oneByOne.push(Buffer.from([b])));
        expect(frames.map((f) => f.toString('hex'))).toEqual(reqs.map((r) => r.toString('hex')));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws and never grows past its cap on random input, in any chunking', () => {
    fc.assert(
      fc.property(bytes(3000), chunking, (input, sizes) => {
        const p = new RtuRequestParser(512);
        for (const frame of feed(p, input, sizes, 512)) expect(() => decodeRequest(frame)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  // RTU delimits frames by silence: garbage, noise or a cut frame is followed on a real line by the idle gap before the
  // next request. Without it a CRC-16 match inside random bytes (1 in 65,536) may overlap the next frame.
  it('recovers the next valid request after garbage and the idle gap, in any chunking', () => {
    fc.assert(
      fc.property(bytes(300), chunking, request, chunking, (garbage, sizesBefore, req, sizes) => {
        const p = new RtuRequestParser();
        feed(p, garbage, sizesBefore, 512);
        p.idle();
        expect(feed(p, req, sizes, 512).map((f) => f.toString('hex'))).toEqual([req.toString('hex')]);
      }),
      { numRuns: 300 },
    );
  });

  it('recovers the next valid request after a truncated or corrupted one and the idle gap', () => {
    fc.assert(
      fc.property(
        request,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        request,
        chunking,
        (bad, at, flip, good, sizes) => {
          const truncated = bad.subarray(0, at % bad.length);
          const corrupted = Buffer.from(bad);
          corrupted[at % corrupted.length] ^= flip;
          for (const before of [truncated, corrupted]) {
            const p = new RtuRequestParser();
            const early = p.push(before);
            p.idle();
            expect(early.map((f) => f.toString('hex'))).not.toContain(bad.toString('hex'));
            expect(feed(p, good, sizes, 512).map((f) => f.toString('hex'))).toEqual([good.toString('hex')]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a request whose pieces arrive without a gap, whatever came before it', () => {
    fc.assert(
      fc.property(request, request, chunking, (first, second, sizes) => {
        const p = new RtuRequestParser();
        expect(feed(p, Buffer.concat([first, second]), sizes, 512).map((f) => f.toString('hex'))).toEqual([
          first.toString('hex'),
          second.toString('hex'),
        ]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('RtuRequestParser framing of the function codes a terminal refuses (PROTOCOL.md §1)', () => {
  // so that each is answered 0x01 instead of being lost to resynchronisation
  it.each([
    ['17 report server id', [0x11]],
    ['22 mask write register', [0x16, 0x02, 0x00, 0xff, 0xff, 0x00, 0x00]],
    ['23 read/write multiple registers', [0x17, 0x01, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00, 0x03]],
    ['43 read device identification', [0x2b, 0x0e, 0x01, 0x00]],
    ['8 diagnostics', [0x08, 0x00, 0x00, 0x12, 0x34]],
  ])('%s is cut as one frame, back to back with a read', (_name, pdu) => {
    const frame = sealRtu(1, Buffer.from(pdu));
    const next = sealRtu(1, Buffer.from([0x03, 0x01, 0x00, 0x00, 0x14]));
    const frames = new RtuRequestParser().push(Buffer.concat([frame, next]));
    expect(frames.map((f) => f.toString('hex'))).toEqual([frame.toString('hex'), next.toString('hex')]);
    expect(decodeRequest(frame)).toMatchObject({ fc: pdu[0], unsupported: true });
  });
});
