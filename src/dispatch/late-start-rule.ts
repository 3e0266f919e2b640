/**
 * Whether a terminal that missed a broadcast's start may be started late now, by monitoring's latest status of it:
 * online, and nothing at least as strong playing there (docs/relay.md, "Late starts"). The relay watch judges the
 * terminals of its own buses by it, and in a cluster each bus's holder judges the late starts asked of it.
 */
import type { LiveStatus } from '../monitoring/status-store';
import { isBroadcasting } from './bus-plan';

export function startableLate(
  s: Pick<LiveStatus, 'online' | 'reading'> | undefined,
  broadcastId: string,
  priority: number,
): boolean {
  const r = s?.reading;
  if (!s?.online || !r) return false;
  return !(isBroadcasting(r) && r.broadcastId !== broadcastId && r.priority <= priority);
}
