/**
 * The hand-off between alerts and dispatch. The alerts service composes and reviews an alert; when it is to go on air
 * (approved and due, or the one-key emergency path) it resolves the targets to terminal ids and the audio to one
 * library clip, and gives dispatch a DispatchOrder inside the same transaction that moves the alert on, so that the
 * broadcast and its delivery rows exist exactly when the alert says it is scheduled or dispatching. Dispatch reports
 * the outcome back through AlertOutcomes (schedule, start, complete, complete-partially, fail, cancel).
 */
import type { AlertEvent } from '../alerts/alert-lifecycle';
import type { Tx } from '../database/transactions';
import type { LiveSource } from './broadcast.entities';
import type { BroadcastClass, MessageTypeKey } from '../../firmware-protocols/codes';

export interface DispatchOrder {
  alertId: number;
  /** The 35-digit broadcast id (EBMID) assigned to the alert. */
  broadcastId: string;
  title: string;
  eventType: string;
  /** 1–4 (Ⅰ–Ⅳ), 0 unspecified. */
  severity: number;
  messageType: MessageTypeKey;
  /** Broadcast class sent to the terminal (drills are visible on the terminal). */
  broadcastClass: BroadcastClass;
  /** From the one priority table (firmware-protocols/codes/priority.ts). */
  priority: number;
  /** One audio-library clip id (an upload, a text-to-speech clip, a tone, or a composed tone + message). */
  clipId: string;
  /** A relay's live source instead of the clip (nothing is transferred), with its parameter; absent = the clip. */
  source?: LiveSource;
  sourceParam?: number;
  repeat: number;
  volume: number;
  startAt: Date;
  endAt: Date;
  /** Resolved, enabled terminals inside the sender's scope, without duplicates. */
  terminalIds: number[];
  /** The one-key emergency path: dispatched at once, confirmed afterwards. */
  emergency: boolean;
  /** The user on whose authority it goes on air. */
  userId: number;
}

export interface PlannedBroadcast {
  broadcastId: string;
  alertId: number;
  deliveries: number;
}

export abstract class Dispatcher {
  /** Writes the broadcast and one pending delivery per terminal inside `tx`; nothing is sent yet. */
  abstract plan(order: DispatchOrder, tx: Tx): Promise<PlannedBroadcast>;
  /** Starts (or, after a restart, continues) sending a planned broadcast; call after `tx` has committed. */
  abstract launch(broadcastId: string): void;
  /** Stops the alert's broadcast everywhere; resolves once every terminal has been told to stop. */
  abstract cancel(alertId: number, userId: number): Promise<void>;
}

export abstract class AlertOutcomes {
  /** Moves the alert by a dispatch event (schedule, start, complete, complete-partially, fail, cancel). */
  abstract advance(alertId: number, event: AlertEvent, detail?: string): Promise<void>;
}
