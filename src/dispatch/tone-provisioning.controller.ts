import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { ProvisioningQueryDto } from './broadcasts.dto';
import { ToneProvisioning, type ToneProvisioningView } from './tone-provisioning';

/** Which terminals hold the built-in tones already (in the reader's scope), and a pass started on demand. */
@ApiTags('provisioning')
@ApiBearerAuth()
@Controller('api/provisioning/tones')
export class ToneProvisioningController {
  constructor(private readonly provisioning: ToneProvisioning) {}

  @Get()
  @Roles('technician', 'officer')
  view(@Query() q: ProvisioningQueryDto, @CurrentUser() user: AuthUser): ToneProvisioningView {
    return this.provisioning.view(user, q.areaCode);
  }

  /**
   * Starts a pass over the caller's scope now (after terminals were replaced, say), or after the one under way; at most
   * one per area a minute (429). Answers at once, with the areas the pass covers (null: everything).
   */
  @Post('pass')
  @HttpCode(202)
  @Roles('technician')
  pass(@CurrentUser() user: AuthUser): ToneProvisioningView & { pass: { areas: string[] | null } } {
    const pass = this.provisioning.requestPass(user);
    return { ...this.provisioning.view(user), pass };
  }
}
