import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';

/** Provides the server's Clock to every module. */
@Global()
@Module({ providers: [{ provide: Clock, useValue: new SystemClock() }], exports: [Clock] })
export class ClockModule {}
