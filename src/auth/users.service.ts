/**
 * Accounts: create, list, change roles and scopes, disable, reset passwords — each write audited in the same
 * transaction. The last enabled administrator cannot be disabled or lose the admin role.
 */
import { Injectable } from '@nestjs/common';
import { isAreaCode } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors';
import { Transactions, Tx } from '../database/transactions';
import type { AuthUser, Role } from './auth-user';
import { hashPassword } from './password';
import { UserEntity } from './user.entity';
import type { UserView } from './users.dto';
import { UsersRepository } from './users.repository';

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
    .map(({ s, i }) => ({ field: `scopes.${i}`, message: `"${s}" is not a valid area code (12 digits) or group code (15 digits)` }));
  if (bad.length > 0) throw new ValidationFailedError(`invalid scopes: ${bad.map((b) => b.field).join(', ')}`, bad);
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
  ) {}

  async create(input: NewUser, actor: AuthUser): Promise<UserView> {
    checkScopes(input.scopes);
    const passwordHash = await hashPassword(input.password);
    return this.transactions.run(async (tx) => {
      if (await this.users.findByUsername(input.username, tx)) {
        throw new ConflictError('username_taken', `username ${input.username} is already taken`, { field: 'username' });
      }
      const now = new Date();
      const user = Object.assign(new UserEntity(), {
        username: input.username,
        passwordHash,
        roles: [...input.roles],
        scopes: [...input.scopes],
        disabled: false,
        createdAt: now,
        updatedAt: now,
      });
      const saved = await this.users.save(tx, user);
      const view = toUserView(saved);
      await this.audit.record({ actor, action: 'user.create', entityType: 'user', entityId: saved.id, after: view }, tx);
      return view;
    });
  }

  async list(limit: number, offset: number): Promise<{ items: UserView[]; total: number }> {
    const { items, total } = await this.users.page(limit, offset);
    return { items: items.map(toUserView), total };
  }

  async get(id: number): Promise<UserView> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundError('user', id);
    return toUserView(user);
  }

  update(id: number, change: UserChange, actor: AuthUser): Promise<UserView> {
    if (change.scopes) checkScopes(change.scopes);
    return this.transactions.run(async (tx) => {
      const user = await this.mustFind(id, tx);
      const before = toUserView(user);
      if (change.roles) user.roles = [...change.roles];
      if (change.scopes) user.scopes = [...change.scopes];
      if (change.disabled !== undefined) user.disabled = change.disabled;
      await this.keepAnAdmin(before, user, tx);
      user.updatedAt = new Date();
      const after = toUserView(await this.users.save(tx, user));
      const action = change.disabled === true && !before.disabled ? 'user.disable' : 'user.update';
      await this.audit.record({ actor, action, entityType: 'user', entityId: id, before, after }, tx);
      return after;
    });
  }

  async resetPassword(id: number, password: string, actor: AuthUser): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.transactions.run(async (tx) => {
      const user = await this.mustFind(id, tx);
      user.passwordHash = passwordHash;
      user.updatedAt = new Date();
      await this.users.save(tx, user);
      await this.audit.record({ actor, action: 'user.password_reset', entityType: 'user', entityId: id }, tx);
    });
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
      const now = new Date();
      const user = (await this.users.findByUsername(input.username, tx)) ?? Object.assign(new UserEntity(), { createdAt: now });
      const before = user.id ? toUserView(user) : undefined;
      Object.assign(user, { username: input.username, passwordHash, roles: [...input.roles], scopes: [...input.scopes], disabled: false, updatedAt: now });
      const saved = await this.users.save(tx, user);
      const action = before ? 'user.password_reset' : 'user.create';
      await this.audit.record({ actor, action, entityType: 'user', entityId: saved.id, before, after: toUserView(saved) }, tx);
      return true;
    });
  }

  async hasEnabledAdmin(): Promise<boolean> {
    return (await this.users.enabledAdmins()).length > 0;
  }

  private async mustFind(id: number, tx: Tx): Promise<UserEntity> {
    const user = await this.users.findById(id, tx);
    if (!user) throw new NotFoundError('user', id);
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
