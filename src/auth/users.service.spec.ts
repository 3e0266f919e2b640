import type { Role } from './auth-user';
import { UserEntity } from './user.entity';
import type { UserView } from './users.dto';
import { sessionsEnd } from './users.service';

const view = (roles: Role[], scopes: string[], disabled = false): UserView => ({
  id: 1,
  username: 'u',
  roles,
  scopes,
  disabled,
  createdAt: '',
  updatedAt: '',
});
const entity = (roles: Role[], scopes: string[], disabled = false): UserEntity =>
  Object.assign(new UserEntity(), { roles, scopes, disabled });

describe('sessionsEnd', () => {
  const COUNTY = '341523000000';
  const TOWN = '341523100000';

  it.each([
    ['disabled', view(['viewer'], [COUNTY]), entity(['viewer'], [COUNTY], true), 'account disabled'],
    ['re-enabled', view(['viewer'], [COUNTY], true), entity(['viewer'], [COUNTY]), 'account re-enabled'],
    ['a role taken away', view(['officer', 'viewer'], [COUNTY]), entity(['viewer'], [COUNTY]), 'role taken away'],
    ['narrowed to a town', view(['viewer'], [COUNTY]), entity(['viewer'], [TOWN]), 'scope narrowed'],
    ['an unrestricted admin given a scope', view(['admin'], []), entity(['admin'], [COUNTY]), 'scope narrowed'],
    ['widened to the county', view(['viewer'], [TOWN]), entity(['viewer'], [COUNTY]), null],
    ['an admin made unrestricted', view(['admin'], [TOWN]), entity(['admin'], []), null],
    ['given a role', view(['viewer'], [TOWN]), entity(['viewer', 'officer'], [TOWN]), null],
  ] as const)('%s → %s', (_, before, after, expected) => {
    expect(sessionsEnd(before, after)).toBe(expected);
  });
});
