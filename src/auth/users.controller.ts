import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { AuthUser } from './auth-user';
import { CurrentUser, Roles } from './decorators';
import { PageQueryDto, pageWindow } from '../common/paging';
import { CreateUserDto, ResetPasswordDto, UpdateUserDto, UserView } from './users.dto';
import { UsersService } from './users.service';
import { IdPipe } from '../common/validation';

/** Account management, for administrators, each inside its own scope. Disabling is `PATCH {disabled: true}`. */
@ApiTags('users')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors(401, 403)
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: 'Create an account' })
  @ApiErrors(400, 409)
  create(@Body() dto: CreateUserDto, @CurrentUser() actor: AuthUser): Promise<UserView> {
    return this.users.create(dto, actor);
  }

  @Get()
  @ApiOperation({ summary: "List the accounts inside the caller's scope" })
  @ApiErrors(400)
  list(@Query() q: PageQueryDto, @CurrentUser() actor: AuthUser): Promise<{ items: UserView[]; total: number }> {
    const { limit, offset } = pageWindow(q);
    return this.users.list(actor, limit, offset);
  }

  @Get(':id')
  @ApiOperation({ summary: "One account inside the caller's scope" })
  @ApiErrors(400, 404)
  get(@Param('id', IdPipe) id: number, @CurrentUser() actor: AuthUser): Promise<UserView> {
    return this.users.get(id, actor);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change, disable or re-enable an account, its roles and scopes' })
  @ApiErrors(400, 404, 409)
  update(
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateUserDto,
    @CurrentUser() actor: AuthUser,
  ): Promise<UserView> {
    return this.users.update(id, dto, actor);
  }

  @Post(':id/password')
  @HttpCode(204)
  @ApiOperation({ summary: "Reset an account's password (ends its sessions)" })
  @ApiErrors(400, 404)
  resetPassword(
    @Param('id', IdPipe) id: number,
    @Body() dto: ResetPasswordDto,
    @CurrentUser() actor: AuthUser,
  ): Promise<void> {
    return this.users.resetPassword(id, dto.password, actor);
  }
}
