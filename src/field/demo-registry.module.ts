import { Module } from '@nestjs/common';
import { RegionsModule } from '../regions/regions.module';
import { TerminalsModule } from '../terminals/terminals.module';
import { DemoRegistrySeeder } from './demo-registry.seeder';

/** The demo's registry data (only with `--demo`). */
@Module({
  imports: [RegionsModule, TerminalsModule],
  providers: [DemoRegistrySeeder],
  exports: [DemoRegistrySeeder],
})
export class DemoRegistryModule {}
