/**
 * The fan-out of the daily work on the live channel: the relay's changes (RelayChanges) to the clients following kind
 * `relay`, and self-test results as they are stored to those following kind `selfTests`, each to those of them who
 * may see it. Who sees what is decided when a change goes out, on the client's account as it stands then (a socket
 * whose account loses rights is closed by the channel).
 */
import { areaPrefix } from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { canReach, visibleSubtrees } from '../auth/scope';
import type { RelayChange } from '../relay/relay-view';
import { covers } from '../relay/relay-rules';
import { type SelfTestView } from '../selftest/self-test.service';
import { type SubscribeReply, type Watcher, emptySnapshot, fail } from './subscription-request';

/** Who may follow self-test results: those the self-test API is for (technicians; administrators pass every role). */
const SELF_TEST_ROLES = ['technician', 'admin'];

/** The area-code index a relay change's codes stand for ('' when it has none: nobody is covered by it). */
const indexOf = (codes: string[]): string => (codes.length === 0 ? '' : `|${codes.join('|')}|`);
const sees = (user: AuthUser, codes: string[]): boolean => codes.length > 0 && covers(user, indexOf(codes));

export class RelayFeed {
  /** Clients following the relay: schedules published or withdrawn, as-run rows, inside their scopes. */
  private readonly relayWatch = new Set<Watcher>();
  /** Self-test watchers with the area prefixes of each subscription (null: everything). */
  private readonly selfTestWatch = new Map<Watcher, Map<string, string[] | null>>();

  subscribeRelay(c: Watcher, key: string): SubscribeReply {
    this.relayWatch.add(c);
    c.subscriptions.set(key, () => this.relayWatch.delete(c));
    return { ok: true, subscription: { kind: 'relay', id: null }, snapshot: emptySnapshot() };
  }

  /**
   * A relay change goes to the relay watchers who may see it: a schedule when every area its programme (and the
   * revision on air) targets lies in their scope, as GET /api/relay/schedules/:id; an as-run row when its terminal does;
   * a programme when every area it targets does, as GET /api/relay/programmes/:id. A programme edited out of a
   * watcher's view goes from it by id alone (nothing of where it went).
   */
  routeRelay(change: RelayChange): void {
    for (const c of this.relayWatch) {
      if (change.kind === 'programme') {
        const programmeId = change.programme.id;
        if (sees(c.user, change.areaCodes))
          c.feed.relay({ kind: 'programme', programmeId, programme: change.programme });
        else if (sees(c.user, change.formerAreaCodes))
          c.feed.relay({ kind: 'programme', programmeId, programme: null });
        continue;
      }
      if (!sees(c.user, change.areaCodes)) continue;
      if (change.kind === 'schedule') c.feed.relay({ kind: 'schedule', schedule: change.schedule });
      else c.feed.relay({ kind: 'asRun', asRun: change.asRun });
    }
  }

  /** Technicians: every self-test result stored from now on in their scope, narrowed to `areaCode` if given. */
  subscribeSelfTests(c: Watcher, key: string, areaCode: string | null): SubscribeReply {
    if (!c.user.roles.some((r) => SELF_TEST_ROLES.includes(r)))
      return fail('forbidden', 'self-test results are for technicians');
    const visible = visibleSubtrees(c.user, areaCode ?? undefined);
    if (visible !== null && visible.length === 0)
      return fail(
        'forbidden_area',
        areaCode ? `area ${areaCode} is outside your area scope` : 'you have no area scope',
      );
    const mine = this.selfTestWatch.get(c) ?? new Map<string, string[] | null>();
    mine.set(key, visible === null ? null : visible.map((code) => areaPrefix(code)));
    this.selfTestWatch.set(c, mine);
    c.subscriptions.set(key, () => {
      mine.delete(key);
      if (mine.size === 0) this.selfTestWatch.delete(c);
    });
    return { ok: true, subscription: { kind: 'selfTests', id: areaCode }, snapshot: emptySnapshot() };
  }

  /** A stored result goes to the self-test watchers whose subscription holds its terminal's area (and who still may). */
  routeSelfTest(view: SelfTestView): void {
    for (const [c, subs] of this.selfTestWatch) {
      if (!c.user.roles.some((r) => SELF_TEST_ROLES.includes(r)) || !canReach(c.user, view.areaCode)) continue;
      for (const prefixes of subs.values())
        if (prefixes === null || prefixes.some((p) => view.areaCode.startsWith(p))) {
          c.feed.selfTest(view);
          break;
        }
    }
  }
}
