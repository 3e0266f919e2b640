/**
 * Area scopes: a user reaches an area when it lies in one of the user's subtrees. Admin users with no scopes reach
 * everything (the platform's own administrator); every other user with no scopes reaches nothing.
 */
import { isWithinArea } from '../../firmware-protocols/codes';
import { ForbiddenError } from '../common/errors';
import { ROLES, type AuthUser, type Role } from './auth-user';

export function isUnrestricted(user: AuthUser): boolean {
  return user.scopes.length === 0 && user.roles.includes('admin');
}

export function canReach(user: AuthUser, areaCode: string): boolean {
  return isUnrestricted(user) || user.scopes.some((scope) => isWithinArea(areaCode, scope));
}

export function assertCanReach(user: AuthUser, areaCode: string, what = 'area'): void {
  if (!canReach(user, areaCode)) {
    throw new ForbiddenError('forbidden_area', `${what} in area ${areaCode} is outside your area scope`, { areaCode });
  }
}

/**
 * Narrows a requested subtree to the user's scopes, for list queries: returns the area-code prefixes to filter by,
 * or null for no filter at all (unrestricted and nothing requested). An empty array means nothing is visible.
 */
export function visibleSubtrees(user: AuthUser, requested?: string): string[] | null {
  if (requested) {
    if (canReach(user, requested)) return [requested];
    // a request above the user's scope is narrowed to the scopes inside it
    return user.scopes.filter((s) => isWithinArea(s, requested));
  }
  return isUnrestricted(user) ? null : [...user.scopes];
}

/**
 * Whether an administrator manages an account with these scopes: an unrestricted admin manages every account; a scoped
 * one only accounts whose scopes all lie inside its own (never an unrestricted account, nor one with no scope at all).
 */
export function isWithinAny(areaCode: string, scopes: readonly string[]): boolean {
  return scopes.some((s) => isWithinArea(areaCode, s));
}

export function administers(admin: AuthUser, account: { scopes: readonly string[] }): boolean {
  if (isUnrestricted(admin)) return true;
  return account.scopes.length > 0 && account.scopes.every((s) => isWithinAny(s, admin.scopes));
}

/** The roles a user may grant: those it holds (the admin role stands for every role, as the guard treats it). */
export function grantableRoles(user: AuthUser): readonly Role[] {
  return user.roles.includes('admin') ? ROLES : user.roles;
}
