import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { Request } from 'express';
import type { AuthUser } from './auth-user';
import { AuthService, LoginResult } from './auth.service';
import { CurrentUser, Public } from './decorators';
import { ChangePasswordDto, LoginDto, UserView } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in: username and password for a bearer token' })
  @ApiErrors(400, 401, 429)
  login(@Body() dto: LoginDto, @Req() req: Request): Promise<LoginResult> {
    return this.auth.login(dto.username, dto.password, req.ip);
  }

  /** The caller's own password: the current one, then a new one that passes the policy; every session ends. */
  @ApiBearerAuth()
  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: "Change one's own password (ends every session)" })
  @ApiErrors(400, 401)
  changePassword(@Body() dto: ChangePasswordDto, @CurrentUser() user: AuthUser): Promise<void> {
    return this.users.changeOwnPassword(user, dto.currentPassword, dto.newPassword);
  }

  /** The account behind the token. */
  @ApiBearerAuth()
  @Get('me')
  @ApiOperation({ summary: 'The account behind the token' })
  @ApiErrors(401)
  me(@CurrentUser() user: AuthUser): Promise<UserView> {
    return this.users.get(user.id);
  }
}
