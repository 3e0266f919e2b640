/**
 * A Dispatcher that records what alerts hand over: the order, and what the alert row looked like inside the
 * transaction it was given (proof that plan runs inside the alert's own transaction). Cancel reports `cancel` back
 * through AlertOutcomes, as the engine does once every terminal has been told to stop.
 */
import { Global, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AlertEntity } from '../../src/alerts/alert.entities';
import { managerOf, type Tx } from '../../src/database/transactions';
import { AlertOutcomes, Dispatcher, type DispatchOrder, type PlannedBroadcast } from '../../src/dispatch/dispatch-order';

export interface RecordedPlan {
  order: DispatchOrder;
  /** The alert's state as read through the tx given to plan. */
  stateInTx: string | null;
}

@Injectable()
export class RecordingDispatcher extends Dispatcher {
  readonly plans: RecordedPlan[] = [];
  readonly launched: string[] = [];
  readonly cancelled: { alertId: number; userId: number }[] = [];

  constructor(private readonly moduleRef: ModuleRef) {
    super();
  }

  async plan(order: DispatchOrder, tx: Tx): Promise<PlannedBroadcast> {
    const row = await managerOf(tx).findOneBy(AlertEntity, { id: order.alertId });
    this.plans.push({ order, stateInTx: row?.state ?? null });
    return { broadcastId: order.broadcastId, alertId: order.alertId, deliveries: order.terminalIds.length };
  }

  launch(broadcastId: string): void {
    this.launched.push(broadcastId);
  }

  async cancel(alertId: number, userId: number): Promise<void> {
    this.cancelled.push({ alertId, userId });
    const alert = await this.moduleRef.get(AlertOutcomes, { strict: false }).advance(alertId, 'cancel', 'stopped on every terminal');
    return alert;
  }

  orderOf(alertId: number): DispatchOrder | undefined {
    return this.plans.find((p) => p.order.alertId === alertId)?.order;
  }
}

@Global()
@Module({})
export class RecordingDispatchModule {
  static register(): DynamicModule {
    return { module: RecordingDispatchModule, providers: [RecordingDispatcher, { provide: Dispatcher, useExisting: RecordingDispatcher }], exports: [Dispatcher, RecordingDispatcher] };
  }
}
