/** Roles (docs/architecture.md, "Roles"): admin; officer issues alerts; approver reviews them; technician; viewer. */
export const ROLES = ['admin', 'officer', 'approver', 'technician', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated user as every controller and service sees it (from the JWT, checked against the database). */
export interface AuthUser {
  id: number;
  username: string;
  roles: Role[];
  /** Area codes of the subtrees the user may see and act in (12-digit, or 15-digit group codes). */
  scopes: string[];
}

/** The actor of system work (demo seeding, schedules, the field layer) in the audit log. */
export const SYSTEM_ACTOR: AuthUser = { id: 0, username: 'system', roles: ['admin'], scopes: [] };
