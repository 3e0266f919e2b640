/**
 * Accounts at start: the first administrator `admin` from DALABA_ADMIN_PASSWORD when no enabled admin exists (the
 * server refuses to start without it, naming the variable), and in the demo one account per role named after the
 * role, all with the demo password (DALABA_DEMO_PASSWORD, else generated once into the data folder and printed).
 */
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { ConfigError } from '../config/env-values';
import { APP_CONFIG } from '../config/config.module';
import { persistentSecret } from '../config/data-dir';
import { ROLES, SYSTEM_ACTOR } from './auth-user';
import { verifyPassword } from './password';
import { UsersService } from './users.service';

/** The demo county (舒城县, docs/performance.md "The reference county"): every demo account except admin is scoped to it. */
export const DEMO_COUNTY = '341523000000';

@Injectable()
export class AccountsBootstrap implements OnModuleInit {
  /** The demo accounts' password, for main.ts to print; null outside the demo. */
  demoPassword: string | null = null;

  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.demo) {
      await this.demoAccounts();
      return;
    }
    if (await this.users.hasEnabledAdmin()) return;
    const password = this.config.adminPassword;
    if (!password) {
      throw new ConfigError(
        'DALABA_ADMIN_PASSWORD',
        'is required on first start to create the administrator "admin" (at least 8 characters)',
      );
    }
    await this.users.ensure(
      { username: 'admin', password: password.reveal(), roles: ['admin'], scopes: [] },
      SYSTEM_ACTOR,
      () => Promise.resolve(false),
    );
  }

  private async demoAccounts(): Promise<void> {
    const password = (
      this.config.demoPassword ??
      persistentSecret(this.config, 'demo-password', () => randomBytes(9).toString('base64url'))
    ).reveal();
    for (const role of ROLES) {
      const scopes = role === 'admin' ? [] : [DEMO_COUNTY];
      await this.users.ensure({ username: role, password, roles: [role], scopes }, SYSTEM_ACTOR, (hash) =>
        verifyPassword(password, hash),
      );
    }
    this.demoPassword = password;
  }
}
