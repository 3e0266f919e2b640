/**
 * Keeps a bus's connection (gateway socket, serial port) open: connects through an injected function, surfaces the
 * state as an observable, and reconnects with exponential backoff when the connection drops or cannot be opened
 * (docs/protocols.md, "the bus scheduler").
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../transport/clock';
import type { ConnectionState } from '../terminal-bus';
import { backoffDelayMs, type BackoffPolicy } from './backoff';

/** What a connection must offer; ByteLink (adapter/ports.ts) fits as it is. */
export interface BusConnection {
  /** Called once when the connection closes, for whatever reason. */
  onClose(fn: (reason: string) => void): void;
  close(): void;
}

export type Connector<C extends BusConnection> = () => Promise<C>;

export interface ConnectionChange {
  state: ConnectionState;
  at: number;
  detail?: string;
  /** Consecutive failed attempts so far (0 once connected). */
  attempts: number;
}

export class ConnectionSupervisor<C extends BusConnection> {
  private readonly subject: BehaviorSubject<ConnectionChange>;
  private current: C | null = null;
  private retry: TimerHandle | null = null;
  private attempts = 0;
  private generation = 0;

  constructor(
    private readonly connector: Connector<C>,
    private readonly clock: Clock,
    private readonly policy: BackoffPolicy,
    private readonly onConnected: () => void,
  ) {
    this.subject = new BehaviorSubject<ConnectionChange>({ state: 'disconnected', at: clock.now(), attempts: 0 });
  }

  get changes(): Observable<ConnectionChange> {
    return this.subject.asObservable();
  }

  state(): ConnectionState {
    return this.subject.value.state;
  }

  connection(): C | null {
    return this.current;
  }

  /** Starts connecting; resolves after the first attempt, whatever its outcome (retries continue by themselves). */
  start(): Promise<void> {
    if (this.state() === 'connecting' || this.state() === 'connected') return Promise.resolve();
    return this.attempt();
  }

  /** Closes and stops retrying. */
  stop(): void {
    this.generation++;
    this.retry?.cancel();
    this.retry = null;
    const c = this.current;
    this.current = null;
    this.emit('stopped');
    c?.close();
  }

  /** Drops the connection (a transaction that would not end) and reconnects with backoff; not one opened since. */
  drop(reason: string, which: C | null = this.current): void {
    const c = this.current;
    if (c === null || c !== which) return;
    this.lost(reason);
    c.close();
  }

  private async attempt(): Promise<void> {
    const gen = ++this.generation;
    this.retry = null;
    this.emit('connecting');
    let conn: C;
    try {
      conn = await this.connector();
    } catch (e) {
      if (gen !== this.generation) return;
      this.attempts++;
      this.emit('disconnected', `connect failed: ${e instanceof Error ? e.message : String(e)}`);
      this.schedule();
      return;
    }
    if (gen !== this.generation) {
      conn.close();
      return;
    }
    this.current = conn;
    this.attempts = 0;
    conn.onClose((reason) => {
      if (this.current === conn && gen === this.generation) this.lost(reason);
    });
    this.emit('connected');
    this.onConnected();
  }

  private lost(reason: string): void {
    this.generation++;
    this.current = null;
    this.attempts++;
    this.emit('disconnected', `connection lost: ${reason}`);
    this.schedule();
  }

  private schedule(): void {
    const delay = backoffDelayMs(this.policy, this.attempts);
    this.retry = this.clock.setTimeout(() => void this.attempt(), delay);
  }

  private emit(state: ConnectionState, detail?: string): void {
    this.subject.next({
      state,
      at: this.clock.now(),
      attempts: this.attempts,
      ...(detail === undefined ? {} : { detail }),
    });
  }
}
