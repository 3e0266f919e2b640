import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { ProvisioningQueryDto } from './broadcasts.dto';
import { ToneProvisioning, type ToneProvisioningView } from './tone-provisioning';

/** Which terminals hold the built-in tones already (in the reader's scope), and a pass started on demand. */
@ApiTags('provisioning')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/provisioning/tones')
export class ToneProvisioningController {
  constructor(private readonly provisioning: ToneProvisioning) {}

  @Get()
  @Roles('technician', 'officer')
  @ApiOperation({ summary: 'Which terminals hold each built-in tone, and the buses at work' })
  @ApiErrors(400)
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
  @ApiOperation({ summary: "Start a tone-provisioning pass over the caller's scope" })
  @ApiErrors(429)
  pass(@CurrentUser() user: AuthUser): ToneProvisioningView & { pass: { areas: string[] | null } } {
    const pass = this.provisioning.requestPass(user);
    return { ...this.provisioning.view(user), pass };
  }
}
