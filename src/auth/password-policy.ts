/**
 * The password policy, the same for an account created, a reset by an administrator and a user's own change: at least
 * PASSWORD_MIN_LENGTH characters, not a common password (common-passwords.ts; also not one followed by digits and
 * punctuation only) and not containing the username.
 */
import { ValidationFailedError } from '../common/errors';
import { COMMON_PASSWORDS } from './common-passwords';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
const COMMON = new Set(COMMON_PASSWORDS);

/** Why the password is refused, or null when it passes. */
export function passwordProblem(password: string, username: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  const lower = password.normalize('NFC').toLowerCase();
  const stem = lower.replace(/[\d\W_]+$/u, '');
  if (COMMON.has(lower) || COMMON.has(stem) || /^\d+$/.test(lower) || /^(.)\1*$/u.test(lower))
    return 'is too common; choose one that is not in lists of common passwords';
  if (username.length >= 3 && lower.includes(username.toLowerCase())) return 'must not contain the username';
  return null;
}

/** 400 naming `field` when the password does not pass. */
export function assertPasswordPolicy(password: string, username: string, field = 'password'): void {
  const problem = passwordProblem(password, username);
  if (problem) throw ValidationFailedError.field(field, `${field} ${problem}`);
}
