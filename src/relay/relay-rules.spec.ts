import type { AuthUser } from '../auth/auth-user';
import {
  assertMayUseClass,
  checkSource,
  covers,
  highestClassOf,
  isBelowEmergencies,
  nextScheduleState,
  priorityOfClass,
} from './relay-rules';

const user = (scopes: string[], roles: AuthUser['roles'] = ['officer']): AuthUser => ({
  id: 7,
  username: 'u',
  roles,
  scopes,
});

describe('relay rules', () => {
  it('checks each kind of source and its one parameter', () => {
    expect(checkSource({ kind: 'fm', frequency: 9530 }, 'source')).toEqual([]);
    expect(checkSource({ kind: 'fm', frequency: 10810 }, 'source').map((f) => f.field)).toEqual(['source.frequency']);
    expect(checkSource({ kind: 'fm', frequency: 9530, channel: 2 }, 'source').map((f) => f.field)).toEqual([
      'source.channel',
    ]);
    expect(checkSource({ kind: 'line-in', channel: 0 }, 'fallback').map((f) => f.field)).toEqual(['fallback.channel']);
    expect(checkSource({ kind: 'ip', stream: 0 }, 'source')).toEqual([]);
    expect(checkSource({ kind: 'playlist', clipIds: [] }, 'source').map((f) => f.field)).toEqual(['source.clipIds']);
  });

  it('maps classes onto the one priority table, all below emergencies and drills', () => {
    expect(['county', 'town', 'village'].map((c) => priorityOfClass(c as 'county'))).toEqual([6, 7, 8]);
    expect([6, 7, 8].every(isBelowEmergencies)).toBe(true);
  });

  it('上级优先: nobody gives a class above their own level', () => {
    expect(highestClassOf(user([], ['admin']))).toBe('county');
    expect(highestClassOf(user(['341523100000']))).toBe('town');
    expect(highestClassOf(user(['341523100201', '341523000000']))).toBe('county');
    expect(() => assertMayUseClass(user(['341523100000']), 'county')).toThrow(/above your level/);
    expect(() => assertMayUseClass(user(['341523100201']), 'village')).not.toThrow();
  });

  it('sees a programme only when every target lies in the scope', () => {
    expect(covers(user(['341523100000']), '|341523100000|341523100201|')).toBe(true);
    expect(covers(user(['341523100000']), '|341523000000|')).toBe(false);
    expect(covers(user(['341523100000']), '|341523100201|341523101201|')).toBe(false);
  });

  it('sends every edit back to draft and publishes only a submitted revision', () => {
    expect(nextScheduleState('published', 'edit')).toBe('draft');
    expect(nextScheduleState('submitted', 'approve')).toBe('published');
    expect(() => nextScheduleState('draft', 'approve')).toThrow(/cannot approve/);
    expect(() => nextScheduleState('withdrawn', 'submit')).toThrow(/illegal|cannot submit/);
  });
});
