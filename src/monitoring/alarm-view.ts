/** An alarm as the API and the live view show it, and the row written for an alarm of the book. */
import type { Alarm, AlarmEvent } from './alarm-book';
import type { AlarmKind } from './alarm-causes';
import type { AlarmEntity, AlarmState } from './monitoring.entities';

export interface AlarmView {
  id: number;
  key: string;
  kind: AlarmKind;
  state: AlarmState;
  areaCode: string;
  gatewayId: number | null;
  terminalId: number | null;
  fault: string | null;
  terminalIds: number[];
  raisedAt: string;
  clearedAt: string | null;
  flaps: number;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  reminders: number;
}

export interface PublishedAlarmEvent {
  type: AlarmEvent['type'];
  at: number;
  alarm: AlarmView;
}

export function alarmView(row: AlarmEntity): AlarmView {
  return {
    id: row.id,
    key: row.alarmKey,
    kind: row.kind,
    state: row.state,
    areaCode: row.areaCode,
    gatewayId: row.gatewayId,
    terminalId: row.terminalId,
    fault: row.fault,
    terminalIds: row.terminalIds,
    raisedAt: row.raisedAt.toISOString(),
    clearedAt: row.clearedAt?.toISOString() ?? null,
    flaps: row.flaps,
    acknowledgedBy: row.acknowledgedBy,
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    reminders: row.reminders,
  };
}

export function rowOf(
  alarm: Alarm,
  state: AlarmState,
  clearedAt: number | null,
  reminders: number,
): Omit<AlarmEntity, 'id'> {
  return {
    alarmKey: alarm.key,
    kind: alarm.kind,
    state,
    areaCode: alarm.areaCode,
    gatewayId: alarm.gatewayId,
    terminalId: alarm.terminalId,
    fault: alarm.fault,
    terminalIds: alarm.terminalIds,
    raisedAt: new Date(alarm.raisedAt),
    clearedAt: clearedAt === null ? null : new Date(clearedAt),
    flaps: alarm.flaps,
    acknowledgedBy: alarm.acknowledgedBy,
    acknowledgedAt: alarm.acknowledgedAt === null ? null : new Date(alarm.acknowledgedAt),
    lastRemindedAt: new Date(alarm.lastRemindedAt),
    reminders,
  };
}
