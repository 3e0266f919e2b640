/**
 * The relay's fan-out on the live channel: clients following kind `relay` and the changes of the relay (RelayChanges)
 * routed to those of them who may see each. Who sees what is decided when a change goes out, on the client's account
 * as it stands then (a socket whose account loses rights is closed by the channel).
 */
import type { AuthUser } from '../auth/auth-user';
import type { RelayChange } from '../relay/relay-view';
import { covers } from '../relay/relay-rules';
import type { LiveFeed } from './live-feed';
import { type SubscribeReply, emptySnapshot } from './subscription-request';

/** What the fan-out needs of a connected client. */
export interface Watcher {
  user: AuthUser;
  feed: LiveFeed;
  /** Subscription key → what it put in the indexes, to take it out again. */
  subscriptions: Map<string, () => void>;
}

export class RelayFeed {
  /** Clients following the relay: schedules published or withdrawn, as-run rows, inside their scopes. */
  private readonly relayWatch = new Set<Watcher>();

  subscribeRelay(c: Watcher, key: string): SubscribeReply {
    this.relayWatch.add(c);
    c.subscriptions.set(key, () => this.relayWatch.delete(c));
    return { ok: true, subscription: { kind: 'relay', id: null }, snapshot: emptySnapshot() };
  }

  /**
   * A relay change goes to the relay watchers who may see it: a schedule when every area its programme (and the
   * revision on air) targets lies in their scope, as GET /api/relay/schedules/:id; an as-run row when its terminal does.
   */
  routeRelay(change: RelayChange): void {
    for (const c of this.relayWatch) {
      if (!covers(c.user, `|${change.areaCodes.join('|')}|`)) continue;
      if (change.kind === 'schedule') c.feed.relay({ kind: 'schedule', schedule: change.schedule });
      else c.feed.relay({ kind: 'asRun', asRun: change.asRun });
    }
  }
}
