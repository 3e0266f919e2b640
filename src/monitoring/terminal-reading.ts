/**
 * What one good read (a Modbus poll or an adapter heartbeat/回传) says about a terminal, in the server's terms.
 * The field module maps the drivers' TerminalStatus onto this; monitoring never imports device-drivers.
 */
export interface TerminalReading {
  /** 1 normal, 2 stopped, 3 fault, 4 fault recovered, 5 broadcasting (TERMINAL_STATES, docs/domain.md). */
  state: number;
  priority: number;
  source: string;
  clipId: number;
  broadcastId: string | null;
  broadcastClass: number;
  volume: number;
  faults: string[];
  supplyVoltage: number | null;
  temperature: number | null;
  signalQuality: number | null;
  uptimeSeconds: number | null;
  counters: { crcErrors: number; refusedCommands: number };
  lastCommandSequence: number;
  clock: Date | null;
}

/** The fields whose change is news to a technician; analogue values are compared at the resolution shown. */
export function readingDiff(before: TerminalReading | null, after: TerminalReading): string[] {
  if (!before) return ['reading'];
  const changed: string[] = [];
  const same = (a: number | null, b: number | null, step: number): boolean =>
    a === b || (a !== null && b !== null && Math.round(a / step) === Math.round(b / step));
  if (before.state !== after.state) changed.push('state');
  if (before.priority !== after.priority) changed.push('priority');
  if (before.source !== after.source) changed.push('source');
  if (before.clipId !== after.clipId || before.broadcastId !== after.broadcastId) changed.push('playing');
  if (before.broadcastClass !== after.broadcastClass) changed.push('broadcastClass');
  if (before.volume !== after.volume) changed.push('volume');
  if (before.faults.join(',') !== after.faults.join(',')) changed.push('faults');
  if (!same(before.supplyVoltage, after.supplyVoltage, 0.5)) changed.push('supplyVoltage');
  if (!same(before.temperature, after.temperature, 1)) changed.push('temperature');
  if (!same(before.signalQuality, after.signalQuality, 5)) changed.push('signalQuality');
  return changed;
}
