/**
 * modbus-serial records every request in its client's private `_transactions` object and never deletes a record
 * (node_modules/modbus-serial/index.js: each writeFCn sets `_transactions[_port._transactionIdWrite]`; no code path
 * deletes one, close() neither). The Modbus TCP port counts that id modulo 256 (ports/tcpport.js, MAX_TRANSACTIONS), so
 * a TCP client holds its last 256 records for as long as it lives; on RTU ports the id stays 1 (one record). A record
 * holds the request's callback and through it the settled promise with its reply, and the request's arguments (the
 * values written): with thousands of buses, most of the heap. Neither modbus-serial's API nor its options drop them.
 *
 * So, around one request: the record it made is remembered and, once the request has ended, dropped, with the timer
 * modbus-serial would still run for it (a request ended by its connection closing). A reply that comes afterwards is
 * ignored as before: `_onReceive` ignores a reply without a record as it ignores one whose timeout has fired.
 *
 * The shape is checked at run time: anything else (a later modbus-serial) leaves the client alone, and nothing here
 * throws. modbus-serial-records.spec.ts pins the shape and the reason.
 */

/** What a record of modbus-serial 8 looks like, as far as this reads it. */
interface TransactionRecord {
  next: (...args: unknown[]) => void;
  _timeoutHandle?: unknown;
}

type Records = Record<string, unknown>;

/** A request on the wire, and what drops modbus-serial's record of it once it has ended (idempotent). */
export interface RecordedRequest<T> {
  reply: Promise<T>;
  release(): void;
}

const keep = (): void => undefined;

/**
 * Sends one request through `send` (a promise method of `client`, a modbus-serial ModbusRTU) and returns its reply and
 * the release of its record. `send` is called once, as it is; what it throws goes to the caller.
 */
export function sendRecorded<T>(client: object, send: () => Promise<T>): RecordedRequest<T> {
  const where = recordsOf(client);
  const before = where === null ? undefined : read(where.records, where.id);
  const reply = send();
  if (where === null) return { reply, release: keep };
  const made = read(where.records, where.id);
  // a request refused before it was recorded (port not open, bad address) made none
  if (made === before || !isRecord(made)) return { reply, release: keep };
  return { reply, release: () => drop(where.records, where.id, made) };
}

/** The client's records and the id its next request is recorded under; null when the shape is not modbus-serial 8's. */
function recordsOf(client: object): { records: Records; id: number } | null {
  try {
    const c = client as { _transactions?: unknown; _port?: { _transactionIdWrite?: unknown } | null };
    const records = c._transactions;
    const id = c._port?._transactionIdWrite;
    if (records === null || typeof records !== 'object' || Array.isArray(records) || records instanceof Map)
      return null;
    if (typeof id !== 'number' || !Number.isInteger(id)) return null;
    return { records: records as Records, id };
  } catch {
    return null;
  }
}

function read(records: Records, id: number): unknown {
  try {
    return records[id];
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is TransactionRecord {
  return typeof v === 'object' && v !== null && typeof (v as { next?: unknown }).next === 'function';
}

function drop(records: Records, id: number, made: TransactionRecord): void {
  try {
    // a later request under the same id (the TCP id wraps at 256) keeps its own
    if (records[id] !== made) return;
    delete records[id];
    const timer = made._timeoutHandle;
    if (typeof timer === 'object' && timer !== null) clearTimeout(timer as NodeJS.Timeout);
  } catch {
    // a record that cannot be dropped stays, as it would have without this
  }
}
