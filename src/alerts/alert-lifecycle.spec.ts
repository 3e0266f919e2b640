import { ConflictError } from '../common/errors';
import {
  ALERT_EVENTS,
  ALERT_STATES,
  type AlertEvent,
  type AlertState,
  isFinalAlertState,
  nextAlertState,
} from './alert-lifecycle';

/** The lifecycle as a reader checks it: each state with the events it accepts and where they lead. */
const TABLE = `
  draft               update→draft submit→submitted emergency→dispatching cancel→cancelled expire→expired
  submitted           update→draft reject→draft approve→approved emergency→dispatching cancel→cancelled expire→expired
  approved            schedule→scheduled cancel→cancelled expire→expired
  scheduled           start→dispatching cancel→cancelled expire→expired
  dispatching         complete→completed complete-partially→partially-completed fail→failed cancel→cancelled
  completed
  partially-completed
  failed
  cancelled
  expired
`;

const expected = new Map<AlertState, Map<string, string>>(
  TABLE.trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([state, ...steps]) => [state as AlertState, new Map(steps.map((s) => s.split('→') as [string, string]))]),
);

const pairs = ALERT_STATES.flatMap((state) => ALERT_EVENTS.map((event) => [state, event] as [AlertState, AlertEvent]));

describe('alert lifecycle', () => {
  it('lists every state once', () => {
    expect([...expected.keys()].sort()).toEqual([...ALERT_STATES].sort());
  });

  it.each(pairs)('%s + %s', (state, event) => {
    const to = expected.get(state)?.get(event);
    if (to) {
      expect(nextAlertState(state, event)).toBe(to);
    } else {
      let error: unknown;
      try {
        nextAlertState(state, event);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ code: 'illegal_transition', status: 409, details: { from: state, event } });
    }
  });

  it.each(ALERT_STATES.map((s) => [s]))('%s is final exactly when it accepts nothing', (state) => {
    expect(isFinalAlertState(state)).toBe(expected.get(state)?.size === 0);
  });
});
