import type { AuthUser } from './auth-user';
import { assertCanReach, canReach, isUnrestricted, visibleSubtrees } from './scope';
import { ForbiddenError } from '../common/errors';

const user = (roles: AuthUser['roles'], scopes: string[]): AuthUser => ({ id: 1, username: 'u', roles, scopes });
const county = '341523000000';
const town = '341523100000';
const otherTown = '341523101000';
const village = '341523100201';

describe('area scopes', () => {
  it('lets an admin without scopes reach everything, and nobody else without scopes reach anything', () => {
    expect(isUnrestricted(user(['admin'], []))).toBe(true);
    expect(canReach(user(['admin'], []), village)).toBe(true);
    expect(canReach(user(['officer'], []), village)).toBe(false);
    expect(isUnrestricted(user(['admin'], [town]))).toBe(false);
  });

  it('reaches an area inside one of the subtrees, not beside or above it', () => {
    const tech = user(['technician'], [town]);
    expect(canReach(tech, town)).toBe(true);
    expect(canReach(tech, village)).toBe(true);
    expect(canReach(tech, `${village}002`)).toBe(true);
    expect(canReach(tech, otherTown)).toBe(false);
    expect(canReach(tech, county)).toBe(false);
    expect(() => assertCanReach(tech, otherTown, 'terminal')).toThrow(ForbiddenError);
    expect(() => assertCanReach(tech, otherTown, 'terminal')).toThrow(/^terminal is outside your area scope$/);
  });

  it('narrows list queries to what the user may see', () => {
    expect(visibleSubtrees(user(['admin'], []))).toBeNull();
    expect(visibleSubtrees(user(['admin'], []), town)).toEqual([town]);
    expect(visibleSubtrees(user(['viewer'], [town, otherTown]))).toEqual([town, otherTown]);
    expect(visibleSubtrees(user(['viewer'], [town, otherTown]), county)).toEqual([town, otherTown]);
    expect(visibleSubtrees(user(['viewer'], [town]), otherTown)).toEqual([]);
    expect(visibleSubtrees(user(['viewer'], [county]), village)).toEqual([village]);
  });
});
