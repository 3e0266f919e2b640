/**
 * The field module: the only part of the server that imports device-drivers. It opens a bus for every enabled gateway,
 * follows registry changes, feeds monitoring and offers FieldCommands to dispatch and diagnostics.
 */
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SignedBlockCache } from '../../device-drivers/modbus-terminal';
import type { Clock } from '../../device-drivers/transport/clock';
import { Clock as ServerClock } from '../common/clock';
import { AuditModule } from '../audit/audit.module';
import { ClusterModule } from '../cluster/cluster.module';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { SequenceStore } from '../cluster/sequence-store';
import { MonitoringModule } from '../monitoring/monitoring.module';
import { TerminalsModule } from '../terminals/terminals.module';
import type { BusFactoryDeps } from './bus-factory';
import { ClusterCommandSequence } from './cluster-command-sequence';
import { CommandSequence, type CommandSequenceSource } from './command-sequence';
import { CommandSigning } from './command-signing';
import { DemoController } from './demo.controller';
import { DemoNetwork } from './demo-network';
import { DiagnosticsController } from './diagnostics/diagnostics.controller';
import { DiagnosticsService } from './diagnostics/diagnostics.service';
import { FieldBuses } from './field-buses';
import { FieldCommands } from './field-commands';
import { FieldRegistry } from './field-registry';
import { BUS_FACTORY_DEPS, FIELD_CLOCK, TERMINAL_STOCK } from './field.tokens';

/**
 * The sequence signed commands carry: this data folder's file alone; with DALABA_CLUSTER=on, blocks reserved from the
 * shared database (above what the file handed out, if this instance ran alone before), refused at start when this
 * instance's certificate is not the cluster's.
 */
async function commandSequence(c: AppConfig, signing: CommandSigning, ds: DataSource): Promise<CommandSequenceSource> {
  const file = CommandSequence.load(c.dataDir);
  if (!c.cluster.enabled) return file;
  return ClusterCommandSequence.start(new SequenceStore(ds), signing.certificate.serial, file.lastReserved);
}

@Module({
  imports: [TerminalsModule, MonitoringModule, AuditModule, ClusterModule],
  controllers: [DiagnosticsController, DemoController],
  providers: [
    // the server's one clock, which has the drivers' Clock shape
    { provide: FIELD_CLOCK, useExisting: ServerClock },
    { provide: CommandSigning, inject: [APP_CONFIG], useFactory: (c: AppConfig) => CommandSigning.load(c.dataDir) },
    {
      provide: BUS_FACTORY_DEPS,
      inject: [APP_CONFIG, FIELD_CLOCK, CommandSigning, DataSource],
      useFactory: async (
        c: AppConfig,
        clock: Clock,
        signing: CommandSigning,
        ds: DataSource,
      ): Promise<BusFactoryDeps> => {
        const sequence = await commandSequence(c, signing, ds);
        const signedBlocks = new SignedBlockCache({ now: () => clock.now() });
        return {
          clock,
          signer: signing.signer,
          nextSequence: () => sequence.take(),
          issuedSequence: () => sequence.issued(),
          passTakeover: () => sequence.passTakeover(),
          signedBlocks,
          platformCode: c.platformResourceCode,
        };
      },
    },
    FieldRegistry,
    FieldBuses,
    { provide: FieldCommands, useExisting: FieldBuses },
    DiagnosticsService,
    DemoNetwork,
    { provide: TERMINAL_STOCK, useExisting: DemoNetwork },
  ],
  exports: [FieldCommands, FieldBuses, CommandSigning, TERMINAL_STOCK],
})
export class FieldModule {}
