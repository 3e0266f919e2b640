/**
 * What a failure from the field means to the plan: the terminal did not answer (it may answer a retry), it lacks the
 * clip it was believed to hold, or it failed for good (refused, or answered badly).
 */
import { TERMINAL_EXCEPTIONS } from '../../../firmware-protocols/terminal-modbus';
import { assertUnreachable } from '../../common/assert-unreachable';
import type { FieldFailure } from '../../field/field-port';

export type FailureMeaning = 'no-reply' | 'clip-missing' | 'failed';

export function meaningOf(f: FieldFailure): FailureMeaning {
  switch (f.kind) {
    case 'timeout':
    case 'disconnected':
    case 'backoff':
    case 'deadline':
    case 'start-in-doubt': // not sent while a start to the terminal is in doubt: sent on a later try
      return 'no-reply';
    case 'refused':
    case 'exception':
      // replay: the driver sent again a signed block the unit had already taken, after losing its answer — try again
      if (f.exceptionCode === TERMINAL_EXCEPTIONS.replay) return 'no-reply';
      return f.exceptionCode === TERMINAL_EXCEPTIONS.clipNotStored ? 'clip-missing' : 'failed';
    case 'crc':
    case 'wrong-unit':
    case 'short-reply':
    case 'cancelled':
    case 'protocol':
    case 'incomplete':
    case 'digest-mismatch':
    case 'unexpected-state':
      return 'failed';
    default:
      return assertUnreachable(f.kind, 'failure kind');
  }
}
