/**
 * The one priority table (docs/domain.md): lower number wins. Used by dispatch, schedules and the simulator's terminals.
 * 0 superior-platform emergency relay · 1–4 emergency by severity Ⅰ–Ⅳ · 5 drills and tests · 6 county live/daily ·
 * 7 town · 8 village. A command of strictly higher priority preempts.
 */
export const PRIORITY = {
  superiorRelay: 0,
  drill: 5,
  county: 6,
  town: 7,
  village: 8,
  /** A terminal that plays nothing accepts anything. */
  idle: 15,
} as const;

export type PriorityInput =
  | { kind: 'superiorRelay' }
  | { kind: 'emergency'; severity: number }
  | { kind: 'drill' }
  | { kind: 'daily'; level: 'county' | 'town' | 'village' };

export function priorityOf(input: PriorityInput): number {
  switch (input.kind) {
    case 'superiorRelay':
      return PRIORITY.superiorRelay;
    case 'emergency':
      // unspecified severity (0) is treated as the lowest emergency level
      return input.severity >= 1 && input.severity <= 4 ? input.severity : 4;
    case 'drill':
      return PRIORITY.drill;
    case 'daily':
      return PRIORITY[input.level];
  }
}

/** A new session preempts the current one only with strictly higher priority (a lower number). */
export function preempts(incoming: number, current: number): boolean {
  return incoming < current;
}

/** A play is obeyed at equal or higher priority than what plays now (terminal-modbus PROTOCOL.md §5.3). */
export function mayPlayOver(incoming: number, current: number): boolean {
  return incoming <= current;
}
