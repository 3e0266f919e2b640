/**
 * Accounts: create, list, change roles and scopes, disable, reset passwords — each write audited in the same
 * transaction. The last enabled administrator cannot be disabled or lose the admin role.
 *
 * Administration stays inside scope (scope.ts `administers`): an admin sees and touches only accounts whose scopes lie
 * inside its own, grants only roles it holds and scopes inside its own (its own account included: it cannot widen
 * itself). Disabling, re-enabling, narrowing (a scope or role taken away) and a password reset raise the account's
 * token version, which ends every session issued before; AccountEvents tells the live channel after commit.
 */
import { Injectable } from '@nestjs/common';
import { isAreaCode } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import { ConflictError, ForbiddenError, NotFoundError, ValidationFailedError } from '../common/errors';
import { Transactions, Tx } from '../database/transactions';
import { AccountEvents } from './account-events';
import type { AuthUser, Role } from './auth-user';
import { administers, grantableRoles, isWithinAny } from './scope';
import { hashPassword, verifyPassword } from './password';
import { assertPasswordPolicy } from './password-policy';
import { UserEntity } from './user.entity';
import type { UserView } from './users.dto';
import { UsersRepository } from './users.repository';
import { Clock } from '../common/clock';

export interface NewUser {
  username: string;
  password: string;
  roles: Role[];
  scopes: string[];
}

export interface UserChange {
  roles?: Role[];
  scopes?: string[];
  disabled?: boolean;
}

export function toUserView(user: UserEntity): UserView {
  return {
    id: user.id,
    username: user.username,
    roles: [...user.roles],
    scopes: [...user.scopes],
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

function checkScopes(scopes: readonly string[]): void {
  const bad = scopes
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => !isAreaCode(s))
    .map(({ s, i }) => ({
      field: `scopes.${i}`,
      message: `"${s}" is not a valid area code (12 digits) or group code (15 digits)`,
    }));
  if (bad.length > 0) throw new ValidationFailedError(`invalid scopes: ${bad.map((b) => b.field).join(', ')}`, bad);
}

/** Roles granted must be held by the actor, and the scopes granted must lie inside the actor's own. */
function assertMayGrant(actor: AuthUser, roles: readonly Role[], scopes: readonly string[]): void {
  const held = grantableRoles(actor);
  const foreign = roles.filter((r) => !held.includes(r));
  if (foreign.length > 0) {
    throw new ForbiddenError('forbidden_role', `you can grant only roles you hold; not ${foreign.join(', ')}`, {
      field: 'roles',
    });
  }
  if (!administers(actor, { scopes })) {
    throw new ForbiddenError('forbidden_scope', 'scopes must be given and lie inside your own area scope', {
      field: 'scopes',
    });
  }
}

/** Why a change ends the account's sessions (disabled, re-enabled, narrowed), or null when it does not. */
export function sessionsEnd(before: UserView, after: UserEntity): string | null {
  if (before.disabled !== after.disabled) return after.disabled ? 'account disabled' : 'account re-enabled';
  if (before.roles.some((r) => !after.roles.includes(r))) return 'role taken away';
  const unrestricted = (roles: readonly Role[], scopes: readonly string[]): boolean =>
    roles.includes('admin') && scopes.length === 0;
  if (unrestricted(after.roles, after.scopes)) return null;
  if (unrestricted(before.roles, before.scopes)) return 'scope narrowed';
  if (before.scopes.length > 0 && !before.scopes.every((s) => isWithinAny(s, after.scopes))) return 'scope narrowed';
  return null;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly events: AccountEvents,
    private readonly clock: Clock,
  ) {}

  async create(input: NewUser, actor: AuthUser): Promise<UserView> {
    checkScopes(input.scopes);
    assertMayGrant(actor, input.roles, input.scopes);
    assertPasswordPolicy(input.password, input.username);
    const passwordHash = await hashPassword(input.password);
    return this.transactions.run(async (tx) => {
      if (await this.users.findByUsername(input.username, tx)) {
        throw new ConflictError('username_taken', `username ${input.username} is already taken`, { field: 'username' });
      }
      const now = this.clock.date();
      const user = Object.assign(new UserEntity(), {
        username: input.username,
        passwordHash,
        roles: [...input.roles],
        scopes: [...input.scopes],
        disabled: false,
        tokenVersion: 0,
        createdAt: now,
        updatedAt: now,
      });
      const saved = await this.users.save(tx, user);
      const view = toUserView(saved);
      await this.audit.record(
        { actor, action: 'user.create', entityType: 'user', entityId: saved.id, after: view },
        tx,
      );
      return view;
    });
  }

  /** The accounts the admin manages (every account for an unrestricted one), by id. */
  async list(actor: AuthUser, limit: number, offset: number): Promise<{ items: UserView[]; total: number }> {
    const mine = (await this.users.all()).filter((u) => administers(actor, u));
    return { items: mine.slice(offset, offset + limit).map(toUserView), total: mine.length };
  }

  /** Ids of the accounts the admin manages, or null for every account (an unrestricted admin). */
  async administeredIds(actor: AuthUser): Promise<number[] | null> {
    if (administers(actor, { scopes: [] })) return null;
    return (await this.users.all()).filter((u) => administers(actor, u)).map((u) => u.id);
  }

  /** One account; with `actor`, only one it manages (any other is 404, as if it did not exist). */
  async get(id: number, actor?: AuthUser): Promise<UserView> {
    const user = await this.users.findById(id);
    if (!user || (actor && !administers(actor, user))) throw new NotFoundError('user', id);
    return toUserView(user);
  }

  async update(id: number, change: UserChange, actor: AuthUser): Promise<UserView> {
    if (change.scopes) checkScopes(change.scopes);
    const { after, revoked } = await this.transactions.run(async (tx) => {
      const user = await this.mustFind(id, tx, actor);
      const before = toUserView(user);
      if (change.roles) user.roles = [...change.roles];
      if (change.scopes) user.scopes = [...change.scopes];
      if (change.disabled !== undefined) user.disabled = change.disabled;
      const added = user.roles.filter((r) => !before.roles.includes(r));
      assertMayGrant(actor, added, user.scopes);
      await this.keepAnAdmin(before, user, tx);
      const revoked = sessionsEnd(before, user);
      if (revoked) user.tokenVersion += 1;
      user.updatedAt = this.clock.date();
      const after = toUserView(await this.users.save(tx, user));
      const action =
        change.disabled === true && !before.disabled
          ? 'user.disable'
          : change.disabled === false && before.disabled
            ? 'user.enable'
            : 'user.update';
      await this.audit.record({ actor, action, entityType: 'user', entityId: id, before, after }, tx);
      return { after, revoked };
    });
    if (revoked) this.events.revoked.next({ userId: id, reason: revoked });
    return after;
  }

  async resetPassword(id: number, password: string, actor: AuthUser): Promise<void> {
    await this.setPassword(id, password, actor, 'user.password_reset', (user) => {
      if (!administers(actor, user)) throw new NotFoundError('user', id);
      assertPasswordPolicy(password, user.username);
    });
  }

  /** A user's own change: the current password first; the new one passes the policy; every session ends. */
  async changeOwnPassword(user: AuthUser, current: string, next: string): Promise<void> {
    const account = await this.users.findById(user.id);
    if (!account || !(await verifyPassword(current, account.passwordHash))) {
      throw ValidationFailedError.field('currentPassword', 'currentPassword is not the password of this account');
    }
    assertPasswordPolicy(next, account.username, 'newPassword');
    await this.setPassword(user.id, next, user, 'user.password_change', () => undefined);
  }

  /** `check` refuses (who may, the policy) before the costly hash, and again inside the transaction. */
  private async setPassword(
    id: number,
    password: string,
    actor: AuthUser,
    action: string,
    check: (user: UserEntity) => void,
  ): Promise<void> {
    const target = await this.users.findById(id);
    if (!target) throw new NotFoundError('user', id);
    check(target);
    const passwordHash = await hashPassword(password);
    await this.transactions.run(async (tx) => {
      const user = await this.users.findById(id, tx);
      if (!user) throw new NotFoundError('user', id);
      check(user);
      user.passwordHash = passwordHash;
      user.tokenVersion += 1;
      user.updatedAt = this.clock.date();
      await this.users.save(tx, user);
      await this.audit.record({ actor, action, entityType: 'user', entityId: id }, tx);
    });
    this.events.revoked.next({ userId: id, reason: 'password changed' });
  }

  /**
   * Makes sure an account exists with these roles, scopes and password (first admin, demo accounts); audited as the
   * system when it creates or changes anything. Returns true when it wrote.
   */
  async ensure(input: NewUser, actor: AuthUser, keepPassword: (hash: string) => Promise<boolean>): Promise<boolean> {
    const existing = await this.users.findByUsername(input.username);
    if (existing && (await keepPassword(existing.passwordHash))) return false;
    const passwordHash = await hashPassword(input.password);
    return this.transactions.run(async (tx) => {
      const now = this.clock.date();
      const user =
        (await this.users.findByUsername(input.username, tx)) ?? Object.assign(new UserEntity(), { createdAt: now });
      const before = user.id ? toUserView(user) : undefined;
      Object.assign(user, {
        username: input.username,
        passwordHash,
        roles: [...input.roles],
        scopes: [...input.scopes],
        disabled: false,
        tokenVersion: (user.tokenVersion ?? 0) + 1,
        updatedAt: now,
      });
      const saved = await this.users.save(tx, user);
      const action = before ? 'user.password_reset' : 'user.create';
      await this.audit.record(
        { actor, action, entityType: 'user', entityId: saved.id, before, after: toUserView(saved) },
        tx,
      );
      return true;
    });
  }

  async hasEnabledAdmin(): Promise<boolean> {
    return (await this.users.enabledAdmins()).length > 0;
  }

  /** The account, when `actor` manages it; 404 otherwise, so accounts above or beside the actor stay unseen. */
  private async mustFind(id: number, tx: Tx, actor: AuthUser): Promise<UserEntity> {
    const user = await this.users.findById(id, tx);
    if (!user || !administers(actor, user)) throw new NotFoundError('user', id);
    return user;
  }

  private async keepAnAdmin(before: UserView, after: UserEntity, tx: Tx): Promise<void> {
    const wasAdmin = before.roles.includes('admin') && !before.disabled;
    const isAdmin = after.roles.includes('admin') && !after.disabled;
    if (!wasAdmin || isAdmin) return;
    const others = (await this.users.enabledAdmins(tx)).filter((u) => u.id !== after.id);
    if (others.length === 0) {
      throw new ConflictError('last_admin', `${after.username} is the last enabled administrator and must stay one`);
    }
  }
}
