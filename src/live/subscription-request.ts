/**
 * What a client may ask of the live channel: the kinds of subscription, the shape of a `subscribe` request and its
 * reply. A request is checked here (kind, id) before the hub looks at the client's rights.
 */
import { isAreaCode } from '../../firmware-protocols/codes';
import type { AudioJob } from '../audio/jobs/audio-jobs';
import type { AuthUser } from '../auth/auth-user';
import type { ToneProvisioningView } from '../dispatch/tone-provisioning';
import type { PublishedAlarmEvent } from '../monitoring/alarms.service';
import type { OnlineRate } from '../monitoring/online-rate';
import type { LiveFeed } from './live-feed';
import type { LiveBroadcast, LiveGateway, LiveTerminal } from './live-payload';

/** Subscriptions one client may hold at once (the console holds a handful); more are refused. */
export const MAX_SUBSCRIPTIONS = 32;

export const SUBSCRIPTION_KINDS = [
  'region',
  'terminal',
  'gateway',
  'alarms',
  'broadcast',
  'alerts',
  'provisioning',
  'audioJob',
  'relay',
  'selfTests',
] as const;
export type SubscriptionKind = (typeof SUBSCRIPTION_KINDS)[number];

export interface LiveSnapshot {
  terminals: LiveTerminal[];
  gateways: LiveGateway[];
  rates: OnlineRate[];
  alarms: PublishedAlarmEvent['alarm'][];
  broadcasts: LiveBroadcast[];
  provisioning?: { areaCode: string | null; view: ToneProvisioningView }[];
  audioJobs?: AudioJob[];
}

/** A connected client as the feeds see it: its account now, its outbox, its subscriptions. */
export interface Watcher {
  user: AuthUser;
  feed: LiveFeed;
  /** Subscription key → what it put in the indexes, to take it out again. */
  subscriptions: Map<string, () => void>;
}

export type SubscribeReply =
  | { ok: true; subscription: { kind: SubscriptionKind; id: string | number | null }; snapshot: LiveSnapshot }
  | { ok: false; code: string; message: string };

export type SubscriptionRequest = { kind: SubscriptionKind; id: string | number | null };

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const fail = (code: string, message: string): SubscribeReply => ({ ok: false, code, message });

/** A reply with nothing in its snapshot (the page reads the current state through the API). */
export const emptySnapshot = (): LiveSnapshot => ({
  terminals: [],
  gateways: [],
  rates: [],
  alarms: [],
  broadcasts: [],
});

/** The subscription's key in a client's list: one per kind and id. */
export const keyOf = (r: SubscriptionRequest): string => `${r.kind}:${r.id ?? '*'}`;

/** The request checked: a known kind with an id of the right shape, or why not. */
export function parseSubscription(request: unknown): SubscriptionRequest | { message: string } {
  if (typeof request !== 'object' || request === null) return { message: 'send {kind, id}' };
  const { kind, id } = request as { kind?: unknown; id?: unknown };
  if (typeof kind !== 'string' || !(SUBSCRIPTION_KINDS as readonly string[]).includes(kind)) {
    return { message: `kind must be one of ${SUBSCRIPTION_KINDS.join(', ')}` };
  }
  switch (kind as SubscriptionKind) {
    case 'region':
      return typeof id === 'string' && isAreaCode(id)
        ? { kind: 'region', id }
        : { message: 'id must be a 12-digit area code or a 15-digit group code' };
    case 'alarms':
      if (id === undefined || id === null) return { kind: 'alarms', id: null };
      return typeof id === 'string' && isAreaCode(id)
        ? { kind: 'alarms', id }
        : { message: 'id must be an area code, or absent for every alarm in your scope' };
    case 'provisioning':
    case 'selfTests':
      if (id === undefined || id === null) return { kind: kind as 'provisioning' | 'selfTests', id: null };
      return typeof id === 'string' && isAreaCode(id)
        ? { kind: kind as 'provisioning' | 'selfTests', id }
        : { message: 'id must be an area code, or absent for your whole scope' };
    case 'alerts':
    case 'relay':
      return { kind: kind as 'alerts' | 'relay', id: null };
    case 'audioJob':
      return typeof id === 'string' && JOB_ID.test(id)
        ? { kind: 'audioJob', id }
        : { message: 'id must be an audio job id' };
    case 'broadcast':
      return typeof id === 'string' && /^\d{35}$/.test(id)
        ? { kind: 'broadcast', id }
        : { message: 'id must be a 35-digit broadcast id' };
    case 'terminal':
    case 'gateway': {
      const n = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
      return typeof n === 'number' && Number.isInteger(n) && n > 0
        ? { kind: kind as 'terminal' | 'gateway', id: n }
        : { message: `id must be a ${kind} id` };
    }
  }
}

/** Adds a watcher to an index's set under `key`; returns how to take it out again. */
export function addTo<K, W>(index: Map<K, Set<W>>, key: K, c: W): () => void {
  const set = index.get(key) ?? new Set<W>();
  set.add(c);
  index.set(key, set);
  return () => {
    set.delete(c);
    if (set.size === 0) index.delete(key);
  };
}
