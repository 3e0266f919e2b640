import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from './auth-user';
import { CurrentUser, Roles } from './decorators';
import { PageQueryDto, pageWindow } from '../common/paging';
import { CreateUserDto, ResetPasswordDto, UpdateUserDto, UserView } from './users.dto';
import { UsersService } from './users.service';
import { IdPipe } from '../common/validation';

/** Account management, for administrators. Disabling is `PATCH {disabled: true}`. */
@ApiTags('users')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  create(@Body() dto: CreateUserDto, @CurrentUser() actor: AuthUser): Promise<UserView> {
    return this.users.create(dto, actor);
  }

  @Get()
  list(@Query() q: PageQueryDto): Promise<{ items: UserView[]; total: number }> {
    const { limit, offset } = pageWindow(q);
    return this.users.list(limit, offset);
  }

  @Get(':id')
  get(@Param('id', IdPipe) id: number): Promise<UserView> {
    return this.users.get(id);
  }

  @Patch(':id')
  update(@Param('id', IdPipe) id: number, @Body() dto: UpdateUserDto, @CurrentUser() actor: AuthUser): Promise<UserView> {
    return this.users.update(id, dto, actor);
  }

  @Post(':id/password')
  @HttpCode(204)
  resetPassword(@Param('id', IdPipe) id: number, @Body() dto: ResetPasswordDto, @CurrentUser() actor: AuthUser): Promise<void> {
    return this.users.resetPassword(id, dto.password, actor);
  }
}
