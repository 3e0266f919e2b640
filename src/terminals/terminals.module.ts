import { Global, Module } from '@nestjs/common';
import { RegionsModule } from '../regions/regions.module';
import { GatewaysRepository } from './gateways.repository';
import { GatewaysService } from './gateways.service';
import { GatewaysController, TerminalsController } from './registry.controllers';
import { RegistryEvents } from './registry-events';
import { RegistryJournal } from './registry-journal';
import { RegistryTransferService } from './registry-transfer.service';
import { TerminalsRepository } from './terminals.repository';
import { TerminalsService } from './terminals.service';
import { TransferController } from './transfer.controller';

/** Gateways, terminals, import/export and the registry change stream (global, for the field layer). */
@Global()
@Module({
  imports: [RegionsModule],
  controllers: [TransferController, TerminalsController, GatewaysController],
  providers: [
    GatewaysRepository,
    TerminalsRepository,
    GatewaysService,
    TerminalsService,
    RegistryTransferService,
    RegistryEvents,
    RegistryJournal,
  ],
  exports: [GatewaysRepository, TerminalsRepository, GatewaysService, TerminalsService, RegistryEvents],
})
export class TerminalsModule {}
