import { CODECS } from '../../../firmware-protocols/terminal-modbus/registers';
import { CODEC_PROFILES, findProfile } from './codec-profiles';

describe('codec profiles', () => {
  it('are exactly the codecs a terminal can declare (terminal-modbus PROTOCOL.md §2.1)', () => {
    expect(CODEC_PROFILES.map((p) => p.id).sort()).toEqual(CODECS.map((c) => c.name).sort());
  });

  it('are mono, with unique ids and file extensions the clip store accepts', () => {
    expect(new Set(CODEC_PROFILES.map((p) => p.id)).size).toBe(CODEC_PROFILES.length);
    for (const p of CODEC_PROFILES) {
      expect(p.channels).toBe(1);
      expect(p.extension).toMatch(/^[a-z0-9]{1,5}$/);
      expect(p.encoderArgs).toContain('-f');
      expect(findProfile(p.id)).toBe(p);
    }
  });
});
