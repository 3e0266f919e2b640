/**
 * The rows a dispatch order is planned as (DispatchService.plan writes them in the caller's transaction): the
 * broadcast, `planned`, and one `pending` delivery per distinct terminal, with where the terminal sits as far as this
 * instance knows (its open bus, else the registry).
 */
import { isDrillClass } from '../../firmware-protocols/codes';
import type { TerminalLocation } from '../field/field-commands';
import type { TerminalEntity } from '../terminals/registry.entities';
import { BroadcastEntity, DeliveryEntity } from './broadcast.entities';
import type { DispatchOrder } from './dispatch-order';

export function plannedBroadcast(order: DispatchOrder, targeted: number, now: Date): BroadcastEntity {
  return Object.assign(new BroadcastEntity(), {
    broadcastId: order.broadcastId,
    alertId: order.alertId,
    title: order.title.slice(0, 128),
    eventType: order.eventType,
    severity: order.severity,
    messageType: order.messageType,
    broadcastClass: order.broadcastClass,
    priority: order.priority,
    clipId: order.clipId,
    source: order.source ?? null,
    sourceParam: order.source ? (order.sourceParam ?? 0) : null,
    repeat: order.repeat,
    volume: order.volume,
    startAt: order.startAt,
    endAt: order.endAt,
    emergency: order.emergency,
    drill: isDrillClass(order.broadcastClass),
    userId: order.userId,
    state: 'planned',
    targeted,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    cancelRequestedAt: null,
    cancelledBy: null,
  } satisfies Omit<BroadcastEntity, 'id'>);
}

export function plannedDelivery(
  broadcastId: string,
  terminalId: number,
  t: TerminalEntity | undefined,
  where: TerminalLocation | null,
  now: Date,
): DeliveryEntity {
  return Object.assign(new DeliveryEntity(), {
    broadcastId,
    terminalId,
    gatewayId: where?.gatewayId ?? t?.gatewayId ?? null,
    unit: where?.unit ?? t?.unitId ?? null,
    areaCode: t?.areaCode ?? '',
    terminalName: (t?.name ?? `terminal ${terminalId}`).slice(0, 64),
    state: 'pending',
    reason: null,
    attempts: 0,
    terminalClipId: null,
    startSentAt: null,
    startSequence: null,
    startFloor: null,
    verifiedAt: null,
    finishedAt: null,
    preemptedBroadcastId: null,
    preemptedPriority: null,
    updatedAt: now,
  } satisfies Omit<DeliveryEntity, 'id'>);
}
