import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AccountEvents } from './account-events';
import { AccountsBootstrap } from './accounts.bootstrap';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { FailedLogins } from './failed-logins';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/** Accounts, login, and the global guard. Global so that any module can authenticate a socket with AuthService. */
@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (!config.jwtSecret)
          throw new Error('the JWT secret was not resolved (prepareDataDir runs before the module)');
        return {
          secret: config.jwtSecret.reveal(),
          signOptions: { expiresIn: config.tokenTtlSeconds, algorithm: 'HS256' },
          verifyOptions: { algorithms: ['HS256'] },
        };
      },
    }),
  ],
  controllers: [AuthController, UsersController],
  providers: [
    AccountEvents,
    FailedLogins,
    UsersRepository,
    UsersService,
    AuthService,
    AccountsBootstrap,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService, UsersService, UsersRepository, AccountEvents],
})
export class AuthModule {}
