/**
 * The global guard (APP_GUARD): every HTTP route needs a valid bearer token of an enabled account unless marked
 * @Public(); @Roles(...) further restricts it (admin always passes). Non-HTTP contexts (Socket.IO) authenticate in
 * their own handshake with AuthService.authenticate.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ForbiddenError, UnauthorizedError } from '../common/errors';
import type { AuthUser, Role } from './auth-user';
import { AuthService } from './auth.service';
import { IS_PUBLIC, ROLES_KEY } from './decorators';

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1] : null;
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new UnauthorizedError('authentication required: send Authorization: Bearer <token>');
    const user = await this.auth.authenticate(token);
    req.user = user;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && roles.length > 0 && !user.roles.includes('admin') && !roles.some((r) => user.roles.includes(r))) {
      throw new ForbiddenError('forbidden_role', `this needs one of the roles: ${roles.join(', ')}`, { roles });
    }
    return true;
  }
}
