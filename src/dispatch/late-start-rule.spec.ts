import { TERMINAL_STATES } from '../../firmware-protocols/codes';
import type { LiveStatus } from '../monitoring/status-store';
import { startableLate } from './late-start-rule';

const status = (online: boolean, reading: object | null) =>
  ({ online, reading }) as unknown as Pick<LiveStatus, 'online' | 'reading'>;

describe('startableLate', () => {
  it('needs the terminal online with a reading', () => {
    expect(startableLate(undefined, 'b1', 6)).toBe(false);
    expect(startableLate(status(false, { state: TERMINAL_STATES.normal }), 'b1', 6)).toBe(false);
    expect(startableLate(status(true, null), 'b1', 6)).toBe(false);
    expect(startableLate(status(true, { state: TERMINAL_STATES.normal }), 'b1', 6)).toBe(true);
  });

  it('gives way to another broadcast at least as strong, not to a weaker one or its own', () => {
    const playing = (broadcastId: string, priority: number) =>
      status(true, { state: TERMINAL_STATES.broadcasting, broadcastId, priority });
    expect(startableLate(playing('other', 6), 'b1', 6)).toBe(false);
    expect(startableLate(playing('other', 2), 'b1', 6)).toBe(false);
    expect(startableLate(playing('other', 8), 'b1', 6)).toBe(true);
    expect(startableLate(playing('b1', 6), 'b1', 6)).toBe(true);
  });
});
