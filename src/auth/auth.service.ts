/**
 * Login (username + password → signed JWT) and token checking (signature, expiry, the account still enabled, its
 * password unchanged and its token version the same as at login — roles and scopes are read from the database on every request, so a change takes
 * effect at once).
 * Successes and failures are audited (failures aggregated, failed-logins.ts); a failure never says whether the
 * username exists. Throttling: login-throttle.ts.
 */
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AuditService } from '../audit/audit.service';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { DomainError, UnauthorizedError } from '../common/errors';
import type { AuthUser } from './auth-user';
import { FailedLogins } from './failed-logins';
import { LoginThrottle } from './login-throttle';
import { UNUSABLE_HASH, verifyPassword } from './password';
import type { UserView } from './users.dto';
import { UsersRepository } from './users.repository';
import { toUserView } from './users.service';

export interface LoginResult {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: UserView;
}

interface TokenClaims {
  sub: number;
  username: string;
  /** Fingerprint of the password hash at login: a password reset ends every session opened before it. */
  pwd: string;
  /** The account's token version at login: disabling, re-enabling or narrowing the account raises it. */
  ver: number;
}

function passwordFingerprint(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('base64url').slice(0, 12);
}

@Injectable()
export class AuthService {
  private readonly throttle = new LoginThrottle();

  constructor(
    private readonly users: UsersRepository,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
    private readonly failures: FailedLogins,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(username: string, password: string, from: string | undefined): Promise<LoginResult> {
    const wait = this.throttle.retryAfterSeconds(username, from);
    if (wait > 0) {
      const account = await this.users.findByUsername(username);
      await this.failures.record({ account, username, from, reason: 'too many attempts' }, true);
      throw new DomainError('too_many_attempts', `too many failed logins; try again in ${wait} s`, 429, {
        retryAfterSeconds: wait,
      });
    }
    const user = await this.users.findByUsername(username);
    const matches = await verifyPassword(password, user?.passwordHash ?? UNUSABLE_HASH);
    if (!user || !matches || user.disabled) {
      const reason = !user ? 'unknown user' : !matches ? 'wrong password' : 'account disabled';
      this.throttle.failed(username, from);
      await this.failures.record({ account: user, username, from, reason }, false);
      throw new UnauthorizedError('invalid username or password');
    }
    this.throttle.succeeded(username, from);
    const claims: TokenClaims = {
      sub: user.id,
      username: user.username,
      pwd: passwordFingerprint(user.passwordHash),
      ver: user.tokenVersion,
    };
    const accessToken = await this.jwt.signAsync(claims);
    await this.audit.record({
      actor: user,
      action: 'auth.login',
      entityType: 'user',
      entityId: user.id,
      after: { from },
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.tokenTtlSeconds, user: toUserView(user) };
  }

  /** The user a bearer token stands for; UnauthorizedError when the token is bad or the account disabled or gone. */
  async authenticate(token: string): Promise<AuthUser> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token);
    } catch {
      throw new UnauthorizedError('invalid or expired token');
    }
    const user = typeof claims.sub === 'number' ? await this.users.findById(claims.sub) : null;
    if (
      !user ||
      user.disabled ||
      user.username !== claims.username ||
      claims.pwd !== passwordFingerprint(user.passwordHash) ||
      claims.ver !== user.tokenVersion
    ) {
      throw new UnauthorizedError('session no longer valid: account disabled, changed or gone, or password changed');
    }
    return { id: user.id, username: user.username, roles: [...user.roles], scopes: [...user.scopes] };
  }
}
