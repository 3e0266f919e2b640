import * as fc from 'fast-check';
import commandVectors from './vectors/command-frames.json';
import replyVectors from './vectors/reply-frames.json';
import returnVectors from './vectors/return-frames.json';
import { AdapterStreamParser, crc32Mpeg2, PARSER_BUFFER_CAP, type ParsedItem } from './index';

const frames = [
  ...commandVectors.commands.map((c) => c.frame),
  ...replyVectors.messages.map((m) => m.frame),
  ...returnVectors.returns.map((r) => r.frame),
].map((h) => Buffer.from(h, 'hex'));
const anyFrame = fc.constantFrom(...frames);
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

/** Feeds the stream in the given chunk sizes, checking the buffer cap after every push; returns the frames' raw hex. */
function feed(parser: AdapterStreamParser, stream: Buffer, sizes: number[]): ParsedItem[] {
  const out: ParsedItem[] = [];
  let off = 0;
  let i = 0;
  while (off < stream.length) {
    const n = Math.max(1, sizes.length === 0 ? stream.length : sizes[i++ % sizes.length]);
    out.push(...parser.push(stream.subarray(off, off + n)));
    off += n;
    expect(parser.buffered()).toBeLessThanOrEqual(PARSER_BUFFER_CAP);
  }
  return out;
}
const rawOf = (items: ParsedItem[]) => items.filter((i) => i.kind !== 'invalid').map((i) => i.raw.toString('hex'));

describe('AdapterStreamParser (PROTOCOL.md §6)', () => {
  it('parses every vector frame fed byte by byte', () => {
    const p = new AdapterStreamParser();
    const stream = Buffer.concat(frames);
    expect(rawOf(feed(p, stream, [1]))).toEqual(frames.map((f) => f.toString('hex')));
    expect(p.buffered()).toBe(0);
    expect(p.stats).toMatchObject({ frames: frames.length, garbageBytes: 0, crcErrors: 0 });
  });

  it('never throws and never exceeds its cap on random input, in any chunking', () => {
    fc.assert(
      fc.property(bytes(3000), fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 }), (input, sizes) => {
        const p = new AdapterStreamParser();
        feed(p, input, sizes);
      }),
      { numRuns: 200 },
    );
  });

  it('recovers the next valid frame after garbage, in any chunking', () => {
    fc.assert(
      fc.property(
        bytes(400),
        anyFrame,
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 6 }),
        (garbage, frame, sizes) => {
          const p = new AdapterStreamParser();
          const items = feed(p, Buffer.concat([garbage, frame]), sizes);
          expect(rawOf(items)).toContain(frame.toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('recovers the next valid frame after a truncated one', () => {
    fc.assert(
      fc.property(
        anyFrame,
        fc.nat(),
        anyFrame,
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }),
        (cut, at, frame, sizes) => {
          const truncated = cut.subarray(0, at % cut.length);
          const p = new AdapterStreamParser();
          const items = feed(p, Buffer.concat([truncated, frame]), sizes);
          expect(rawOf(items)).toContain(frame.toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('skips a corrupted frame and keeps the following ones', () => {
    fc.assert(
      fc.property(anyFrame, fc.nat(), fc.integer({ min: 1, max: 255 }), anyFrame, (bad, at, flip, good) => {
        const corrupted = Buffer.from(bad);
        corrupted[at % corrupted.length] ^= flip;
        const p = new AdapterStreamParser();
        const items = feed(p, Buffer.concat([corrupted, good]), [1]);
        expect(rawOf(items)).toContain(good.toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('reports a frame whose CRC checks but whose content does not decode, and goes on', () => {
    const bad = Buffer.from(commandVectors.commands[6].frame, 'hex');
    bad.fill(0xaa, 4, 16); // source is no longer BCD
    bad.writeUInt32BE(crc32Mpeg2(bad, 0, bad.length - 4), bad.length - 4);
    const p = new AdapterStreamParser();
    const items = p.push(Buffer.concat([bad, frames[0]]));
    expect(items.map((i) => i.kind)).toEqual(['invalid', 'command']);
    expect(items[0].kind === 'invalid' && items[0].error.field).toBe('frame.source');
    expect(p.stats).toMatchObject({ frames: 1, invalidFrames: 1 });
  });

  it('ignores frames the side does not expect', () => {
    const p = new AdapterStreamParser(['command']);
    const items = p.push(
      Buffer.concat([
        Buffer.from(replyVectors.messages[0].frame, 'hex'),
        Buffer.from(commandVectors.commands[6].frame, 'hex'),
      ]),
    );
    expect(items.map((i) => i.kind)).toEqual(['command']);
  });

  it('drains a huge garbage chunk without holding it', () => {
    const p = new AdapterStreamParser();
    const junk = Buffer.alloc(PARSER_BUFFER_CAP * 3, 0x49);
    expect(p.push(Buffer.concat([junk, frames[0]])).map((i) => i.raw.toString('hex'))).toEqual([
      frames[0].toString('hex'),
    ]);
    expect(p.buffered()).toBe(0);
  });
});
