/**
 * The pure part of `npm run bench -- relay` (src/bench/relay.ts): the figures from what the simulated terminals report
 * they sounded (their play logs) against the slots of the grid and the alert that cut in on some buses.
 */
import { percentile } from '../../device-drivers/bench/report';
import type { PlayRecord } from '../../device-drivers/simulator/modbus/virtual-bus';
import { broadcastHandle } from '../../firmware-protocols/terminal-modbus/status';

/** A relay slot of the grid (or the alert): its broadcast and its planned start and end, wall-clock ms. */
export interface Slot {
  broadcastId: string;
  start: number;
  end: number;
}

export const round = (v: number | null): number | null => (v === null ? null : Number(v.toFixed(3)));

/** The figures from what the terminals sounded: `logs` are [gateway, unit, play log]; `dead` holds `gateway:unit`. */
export function relayFigures(
  logs: [number, number, PlayRecord[]][],
  slots: Slot[],
  alert: Slot | null,
  dead: Set<string>,
): Record<string, number | null> {
  const offsets: number[] = [];
  const overruns: number[] = [];
  const gaps: number[] = [];
  let expected = 0;
  let onTime = 0;
  let cut = 0;
  const cutSlot = slots[Math.min(1, slots.length - 1)];
  for (const [g, u, log] of logs) {
    if (dead.has(`${g}:${u}`)) continue;
    for (const s of slots) {
      expected++;
      const mine = log.filter((p) => p.handle === broadcastHandle(s.broadcastId));
      if (mine.length === 0) continue;
      const offset = mine[0].startAt - s.start;
      offsets.push(offset);
      if (offset >= 0 && offset < 1000) onTime++;
      const last = mine[mine.length - 1];
      overruns.push(Math.max(0, (last.endAt ?? Infinity) - s.end));
    }
    const a = alert ? log.findIndex((p) => p.handle === broadcastHandle(alert.broadcastId)) : -1;
    if (a < 0) continue;
    cut++;
    // back within the slot it cut (a terminal not back before the slot's end counts as its whole remaining time)
    const next = log[a + 1];
    const end = log[a].endAt ?? Infinity;
    if (next && cutSlot && next.handle === broadcastHandle(cutSlot.broadcastId)) gaps.push((next.startAt - end) / 1000);
    else gaps.push(((cutSlot?.end ?? end) - end) / 1000);
  }
  if (process.env.BENCH_DEBUG) console.error(`resume gaps (s): ${gaps.sort((x, y) => x - y).join(' ')}`);
  return {
    targets: expected,
    on_time_percent: round((100 * onTime) / Math.max(1, expected)),
    start_offset_p99_ms: round(percentile(offsets, 99)),
    start_offset_max_ms: round(offsets.length ? Math.max(...offsets) : null),
    overrun_p99_ms: round(percentile(overruns, 99)),
    resume_gap_p99_s: round(percentile(gaps, 99)),
    alert_cut: cut,
  };
}
