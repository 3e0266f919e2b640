/**
 * What the dispatch engine tells a broadcast's alert (started, completed, partly, failed, cancelled), through the alerts
 * module when the server has one. A relay slot's broadcast (alert id 0) belongs to no alert.
 */
import type { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { AlertEvent } from '../alerts/alert-lifecycle';
import { AlertOutcomes } from './dispatch-order';

/** The alert's event for a broadcast's outcome. */
export const OUTCOME_EVENT: Record<'completed' | 'partial' | 'failed', AlertEvent> = {
  completed: 'complete',
  partial: 'complete-partially',
  failed: 'fail',
};

export async function advanceAlert(
  moduleRef: ModuleRef,
  log: Logger,
  alertId: number,
  event: AlertEvent,
  detail?: string,
): Promise<void> {
  if (alertId <= 0) return;
  let outcomes: AlertOutcomes;
  try {
    outcomes = moduleRef.get(AlertOutcomes, { strict: false });
  } catch {
    return; // no alerts module in this server: nothing to tell
  }
  try {
    await outcomes.advance(alertId, event, detail);
  } catch (e) {
    log.warn(`alert ${alertId}: ${event} not applied: ${(e as Error).message}`);
  }
}
