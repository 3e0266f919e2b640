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

  /** Starts a pass now (after terminals were replaced, say) unless one is under way; answers at once. */
  @Post('pass')
  @HttpCode(202)
  @Roles('technician')
  @ApiOperation({ summary: 'Start a tone-provisioning pass now' })
  pass(@CurrentUser() user: AuthUser): ToneProvisioningView {
    void this.provisioning.runPass();
    return this.provisioning.view(user);
  }
}
