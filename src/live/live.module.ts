import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
import { AudioModule } from '../audio/audio.module';
import { AuthModule } from '../auth/auth.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { MonitoringModule } from '../monitoring/monitoring.module';
import { RelayModule } from '../relay/relay.module';
import { SelfTestModule } from '../selftest/self-test.module';
import { LiveChannel } from './live.channel';
import { LiveFanout } from './live-fanout';
import { LiveHub } from './live-hub';
import { RedisLink } from './redis-link';

/** The live view: Socket.IO namespace `/live`, scoped by the same JWT and area scopes as the API. */
@Module({
  imports: [MonitoringModule, AuthModule, DispatchModule, AlertsModule, AudioModule, RelayModule, SelfTestModule],
  providers: [LiveHub, LiveChannel, RedisLink, LiveFanout],
  exports: [LiveHub, RedisLink],
})
export class LiveModule {}
