import type { AudioService } from '../audio/audio.service';
import type { StockClip, TerminalStock } from '../field/field.tokens';
import { ClipVariants } from './clip-variants';
import type { DispatchRepository } from './dispatch.repository';

/** Three terminals, two decoding opus only and one mp3 only; every clip has one variant per codec. */
function setUp(stock: TerminalStock | null) {
  const repo = {
    terminals: async (ids: number[]) =>
      ids.map((id) => ({ id, capabilities: { codecs: id === 3 ? ['mp3'] : ['opus'] } })),
  } as unknown as DispatchRepository;
  const audio = {
    get: async () => ({ durationMs: 1000 }),
    forTerminals: async (id: string, codecs: readonly string[]) => ({
      clipId: codecs[0] === 'mp3' ? 2 : 1,
      profile: codecs[0],
      digest: `${id}-${codecs[0]}`,
      data: new Uint8Array(10),
    }),
  } as unknown as AudioService;
  return new ClipVariants(repo, audio, stock);
}

describe('ClipVariants', () => {
  it('groups terminals by the codecs they decode, one variant each', async () => {
    const groups = await setUp(null).forTerminals('tone-chime', [1, 2, 3]);
    expect(groups.map((g) => [g.terminalIds, g.clip?.clipId])).toEqual([
      [[1, 2], 1],
      [[3], 2],
    ]);
  });

  it('where terminals can be stocked off the line, gives each its variant of a built-in tone once, before returning', async () => {
    const stocked: StockClip[][] = [];
    const variants = setUp({ stock: async (clips) => (stocked.push([...clips]), clips.length) });
    await variants.forTerminals('tone-air-raid', [1, 2, 3]);
    expect(stocked).toEqual([
      [
        {
          terminalId: 1,
          clipId: 1,
          codec: 'opus',
          digest: 'tone-air-raid-opus',
          size: 10,
          durationMs: expect.any(Number),
        },
        {
          terminalId: 2,
          clipId: 1,
          codec: 'opus',
          digest: 'tone-air-raid-opus',
          size: 10,
          durationMs: expect.any(Number),
        },
        {
          terminalId: 3,
          clipId: 2,
          codec: 'mp3',
          digest: 'tone-air-raid-mp3',
          size: 10,
          durationMs: expect.any(Number),
        },
      ],
    ]);
    // asked again (the next pass, an alert): nothing is stocked twice
    await variants.forTerminals('tone-air-raid', [1, 2, 3]);
    expect(stocked).toHaveLength(1);
  });

  it('never stocks an upload or synthesised speech: only the built-in tones come with a terminal', async () => {
    const stocked: StockClip[][] = [];
    await setUp({ stock: async (clips) => (stocked.push([...clips]), clips.length) }).forTerminals(
      'upload-123',
      [1, 2, 3],
    );
    expect(stocked).toEqual([]);
  });
});
