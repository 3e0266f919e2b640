import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { ROLES, type Role } from './auth-user';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy';
import { Optional } from '../common/validation';

const AREA_OR_GROUP = /^\d{12}(\d{3})?$/;
const ROLE_LIST = ROLES.join(', ');

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  username!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'zhangsan', description: 'letters, digits, ., _ and -' })
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{2,64}$/, { message: 'username must be 2–64 letters, digits, ".", "_" or "-"' })
  username!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, description: 'not a common password, not containing the username' })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  @IsArray()
  @ArrayNotEmpty({ message: 'roles must name at least one role' })
  @ArrayUnique()
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLE_LIST}` })
  roles!: Role[];

  @ApiProperty({
    type: [String],
    example: ['341523100000'],
    description: 'area codes of the subtrees the user reaches',
  })
  @IsArray()
  @ArrayMaxSize(500)
  @ArrayUnique()
  @Matches(AREA_OR_GROUP, { each: true, message: 'each scope must be a 12-digit area code or a 15-digit group code' })
  scopes!: string[];
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ROLES, isArray: true })
  @Optional()
  @IsArray()
  @ArrayNotEmpty({ message: 'roles must name at least one role' })
  @ArrayUnique()
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLE_LIST}` })
  roles?: Role[];

  @ApiPropertyOptional({ type: [String] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(500)
  @ArrayUnique()
  @Matches(AREA_OR_GROUP, { each: true, message: 'each scope must be a 12-digit area code or a 15-digit group code' })
  scopes?: string[];

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  disabled?: boolean;
}

export class ResetPasswordDto {
  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, description: 'not a common password, not containing the username' })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, description: 'not a common password, not containing the username' })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  newPassword!: string;
}

export interface UserView {
  id: number;
  username: string;
  roles: Role[];
  scopes: string[];
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}
