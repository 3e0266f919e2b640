import { ConflictError } from '../common/errors';
import {
  DELIVERY_STATES,
  type DeliveryState,
  assertDeliveryTransition,
  coverageOf,
  isFinalDeliveryState,
} from './delivery-lifecycle';

/** Each state and the states it may go to, as a reader checks it. */
const TABLE = `
  pending       transferring ready failed unreachable cancelled
  transferring  ready failed unreachable cancelled
  ready         playing transferring failed unreachable cancelled
  playing       played failed unreachable preempted cancelled
  played
  failed        pending cancelled
  unreachable   pending cancelled
  preempted     playing cancelled
  cancelled
`;

const expected = new Map<DeliveryState, Set<string>>(
  TABLE.trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([state, ...next]) => [state as DeliveryState, new Set(next)]),
);

const pairs = DELIVERY_STATES.flatMap((from) =>
  DELIVERY_STATES.map((to) => [from, to] as [DeliveryState, DeliveryState]),
);

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('delivery lifecycle', () => {
  it('lists every state once', () => {
    expect([...expected.keys()].sort()).toEqual([...DELIVERY_STATES].sort());
  });

  it.each(pairs)('%s → %s', (from, to) => {
    const error = thrown(() => assertDeliveryTransition(from, to, 'a reason', 7));
    if (expected.get(from)?.has(to)) {
      expect(error).toBeUndefined();
    } else {
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({
        code: 'illegal_delivery_transition',
        status: 409,
        details: { deliveryId: 7, from, to },
      });
    }
  });

  it('needs a reason to fail', () => {
    expect(thrown(() => assertDeliveryTransition('playing', 'failed'))).toMatchObject({
      code: 'delivery_reason_required',
    });
    expect(thrown(() => assertDeliveryTransition('playing', 'unreachable'))).toBeUndefined();
  });

  it('has exactly played and cancelled as final states', () => {
    expect(DELIVERY_STATES.filter(isFinalDeliveryState)).toEqual(['played', 'cancelled']);
  });

  it.each([
    [0, 0, 0, 0],
    [3, 4, 0.75, 75],
    [3079, 3300, 0.933, 93.3],
    [2, 3, 0.6667, 66.67],
    [3300, 3300, 1, 100],
  ])('coverage of %i played out of %i targeted is %f (%f %%)', (played, targeted, rate, percent) => {
    expect(coverageOf(played, targeted)).toEqual({ played, targeted, rate, percent });
  });
});
