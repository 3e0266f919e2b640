/** The drivers' failures in the field port's vocabulary (field-port.ts): what field-buses.ts and the benchmarks hand on. */
import { BusError, type ClipTransferResult } from '../../device-drivers/terminal-bus';
import { FieldError, type FieldFailure, type RequestFailureKind } from './field-port';

/** A driver call with its BusError, thrown at once or rejected, turned into the port's FieldError. */
export async function withFieldErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (!(e instanceof BusError)) throw e;
    const kind: RequestFailureKind = e.kind;
    throw new FieldError({ kind, exceptionCode: e.exceptionCode, message: e.message }, e.busId, e.unit, e.operation);
  }
}

/** One unit's failure in a driver's clip transfer result. */
export function transferFailure(f: ClipTransferResult['failed'][number]): FieldFailure {
  return { kind: f.kind, exceptionCode: f.exceptionCode, message: f.reason };
}
