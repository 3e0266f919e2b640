/**
 * The adapter driver: a TerminalBus (family 'adapter') over one adapter line, speaking
 * firmware-protocols/adapter/PROTOCOL.md. Commands are signed (§2.3) and sent one at a time through the transaction
 * bus scheduler (device-drivers/bus), each awaiting its reply (§4.1) under a deadline; a status query also awaits its 回传 TLV reply (§7).
 * Heartbeats, task start/end and 回传 reports arrive unasked and become 'status' and 'report' events.
 *
 * Units: unit n (1-based) is `config.terminals[n - 1]`, the resource code of the n-th terminal behind the adapter;
 * unit 0 is the adapter itself (its heartbeats are reported on unit 0). 'all' addresses every listed terminal.
 */
import { Subject, type Observable } from 'rxjs';
import {
  COMMANDS,
  encodeCommandBody,
  encodeCommandFrame,
  REPLY_FOR,
  type AdapterCommand,
  type FrameSigner,
  type ParsedItem,
} from '../../firmware-protocols/adapter';
import {
  BusError,
  type BusErrorKind,
  type BusEvent,
  type BusMetrics,
  type ClipToTransfer,
  type ClipTransferResult,
  type CommandResult,
  type ConnectionState,
  type RequestOptions,
  type TerminalBus,
  type TerminalCommand,
  type TerminalIdentity,
  type TerminalStatus,
} from '../terminal-bus';
import { BusScheduler } from '../bus';
import { AdapterLine } from './line';
import { identityFromQuery, statusFromQuery, toAdapterCommand } from './mapping';
import type { ByteLink, Clock, LinkOpener } from './ports';
import { ReportRouter } from './reports';

export interface AdapterDriverConfig {
  busId: string;
  /** Our resource code: the source of every command frame. */
  platformCode: string;
  /** Resource codes of the adapter's terminals; unit n is terminals[n - 1]. */
  terminals: string[];
  /** How long a reply may take, ms (default 2,000). */
  requestTimeoutMs?: number;
  /** Silence after which the link is dropped and reopened, ms (default 20,000: 3 missed 5 s heartbeats + margin). */
  silenceMs?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Event type sent with a play, which the neutral command does not carry (default '10000' 其他). */
  eventType?: string;
  /** A play without end time lasts this long, ms (default 1 hour). */
  defaultDurationMs?: number;
}

export interface AdapterDriverDeps {
  open: LinkOpener;
  clock: Clock;
  signer: FrameSigner;
  /** Asked before each transaction goes on the wire (BusSchedulerOptions.mayTransmit); absent: always. */
  mayTransmit?: () => boolean;
}

/** The scheduler's bound on a running transaction exceeds the reply timeout by this, so the driver's own error wins. */
const SCHEDULER_MARGIN_MS = 50;

export class AdapterDriver implements TerminalBus {
  readonly family = 'adapter' as const;
  readonly id: string;
  private readonly subject = new Subject<BusEvent>();
  readonly events: Observable<BusEvent> = this.subject.asObservable();
  private readonly line: AdapterLine;
  private readonly scheduler: BusScheduler<ByteLink>;
  private readonly reports: ReportRouter;
  private state: ConnectionState = 'disconnected';
  private sequence = 0;
  private session = 0;

  constructor(
    private readonly config: AdapterDriverConfig,
    private readonly deps: AdapterDriverDeps,
  ) {
    this.id = config.busId;
    this.reports = new ReportRouter(config.busId, config.terminals, deps.clock, (e) => this.emit(e));
    this.line = new AdapterLine(
      { clock: deps.clock, silenceMs: config.silenceMs ?? 20_000 },
      { item: (item) => this.reports.route(item), lineError: (kind, message) => this.lineError(kind, message) },
    );
    // every transaction goes through the shared bus scheduler, which also keeps the link open (reconnect + backoff)
    this.scheduler = new BusScheduler<ByteLink>({
      busId: config.busId,
      clock: deps.clock,
      connect: async () => {
        const link = await deps.open();
        this.line.attach(link);
        return link;
      },
      timeoutMs: (config.requestTimeoutMs ?? 2000) + SCHEDULER_MARGIN_MS,
      mayTransmit: deps.mayTransmit,
      reconnectBackoff: {
        baseMs: config.reconnectInitialMs ?? 500,
        maxMs: config.reconnectMaxMs ?? 30_000,
        threshold: 1,
      },
    });
    this.scheduler.connectionChanges.subscribe((c) => {
      this.state = c.state;
      this.emit({
        type: 'connection',
        busId: this.id,
        state: c.state,
        at: c.at,
        ...(c.detail === undefined ? {} : { detail: c.detail }),
      });
    });
  }

  connectionState(): ConnectionState {
    return this.state;
  }

  start(): Promise<void> {
    return this.scheduler.start();
  }

  stop(): Promise<void> {
    this.scheduler.stop();
    this.line.stop();
    return Promise.resolve();
  }

  /** The resource code of a unit, or a BusError naming the unit. */
  resourceCodeOf(unit: number, operation: string): string {
    const code = Number.isInteger(unit) && unit >= 1 ? this.config.terminals[unit - 1] : undefined;
    if (code === undefined) {
      throw new BusError(
        'wrong-unit',
        this.id,
        unit,
        operation,
        `no terminal ${unit}: this adapter lists units 1–${this.config.terminals.length}`,
      );
    }
    return code;
  }

  async identify(unit: number, opts?: RequestOptions): Promise<TerminalIdentity> {
    const code = this.resourceCodeOf(unit, 'identify');
    return identityFromQuery(await this.query(unit, code, 'identify', opts), code);
  }

  async readStatus(unit: number, opts?: RequestOptions): Promise<TerminalStatus> {
    const code = this.resourceCodeOf(unit, 'readStatus');
    const q = await this.query(unit, code, 'readStatus', opts);
    const status = statusFromQuery(q, this.reports.lastStatus(unit), this.sequence);
    this.reports.setStatus(unit, status);
    return status;
  }

  async command(unit: number | 'all', command: TerminalCommand, opts?: RequestOptions): Promise<CommandResult> {
    const operation = `command ${command.code}`;
    const targets = unit === 'all' ? [...this.config.terminals] : [this.resourceCodeOf(unit, operation)];
    const mapped = toAdapterCommand(command, targets, new Date(this.deps.clock.now()), {
      eventType: this.config.eventType ?? '10000',
      defaultDurationMs: this.config.defaultDurationMs ?? 3_600_000,
    });
    const u = unit === 'all' ? null : unit;
    if (targets.length === 0)
      throw this.fail(new BusError('wrong-unit', this.id, u, operation, 'this adapter lists no terminals (§3.2)'));
    if (!mapped.ok) throw this.fail(new BusError('protocol', this.id, u, operation, mapped.reason));
    const sequence = await this.transact(u, operation, mapped.command, opts);
    return { accepted: true, unit, sequence };
  }

  transferClip(units: number[], clip: ClipToTransfer): Promise<ClipTransferResult> {
    return Promise.reject(
      this.fail(
        new BusError(
          'protocol',
          this.id,
          units[0] ?? null,
          'transferClip',
          `adapters keep no clip store (clip ${clip.clipId}); play it as auxiliary media of 0x04`,
        ),
      ),
    );
  }

  readRegisters(unit: number): Promise<number[]> {
    return Promise.reject(
      this.fail(new BusError('protocol', this.id, unit, 'readRegisters', 'adapters have no registers; use readStatus')),
    );
  }

  metrics(): BusMetrics {
    return this.scheduler.metrics();
  }

  /** Status query (§7): reply 0x16 and a 回传 TLV reply with the same session id. */
  private async query(unit: number, code: string, operation: string, opts?: RequestOptions) {
    const session = (this.session = (this.session + 1) >>> 0);
    const cmd: AdapterCommand = { code: 'statusQuery', session, target: code };
    let reply: ParsedItem | null = null;
    await this.transact(unit, operation, cmd, { priority: 'poll', ...opts }, (item) => {
      if (
        item.kind === 'return' &&
        item.frame.packType === 'reply' &&
        item.frame.session === session &&
        item.frame.data.business === 'queryReply'
      ) {
        reply = item;
        return true;
      }
      return false;
    });
    const item = reply as ParsedItem | null;
    if (item === null || item.kind !== 'return' || item.frame.data.business !== 'queryReply') {
      throw this.fail(new BusError('protocol', this.id, unit, operation, 'query reply missing'));
    }
    return item.frame.data.reply;
  }

  /** Sends one command through the runner and awaits its reply (and `also`, when given). Returns its sequence. */
  private transact(
    unit: number | null,
    operation: string,
    cmd: AdapterCommand,
    opts: RequestOptions | undefined,
    also?: (i: ParsedItem) => boolean,
  ): Promise<number> {
    const priority = opts?.priority ?? 'command';
    const timeout = this.config.requestTimeoutMs ?? 2000;
    const spec = {
      unit,
      operation,
      priority,
      timeoutMs: timeout + SCHEDULER_MARGIN_MS,
      ...(opts?.deadline === undefined ? {} : { deadline: opts.deadline }),
    };
    return this.scheduler.run(spec, async () => {
      const now = this.deps.clock.now();
      const byDeadline = opts?.deadline !== undefined && opts.deadline - now < timeout;
      const ms = byDeadline ? Math.max(0, (opts?.deadline ?? now) - now) : timeout;
      const { code, body } = encodeCommandBody(cmd);
      const frame = encodeCommandFrame('command', code, this.config.platformCode, body, {
        signer: this.deps.signer,
        at: new Date(now),
      });
      const replyCode = REPLY_FOR[cmd.code];
      const waits = [
        this.line.waitFor(
          (i) => i.kind === 'command' && i.frame.code === replyCode && i.frame.body[0] === COMMANDS[cmd.code],
          ms,
        ),
        ...(also ? [this.line.waitFor(also, ms)] : []),
      ];
      const seq = ++this.sequence;
      if (!this.line.write(frame)) {
        waits.forEach((w) => w.cancel());
        throw this.fail(new BusError('disconnected', this.id, unit, operation, 'the adapter line is not connected'));
      }
      let items: ParsedItem[];
      try {
        items = await Promise.all(waits.map((w) => w.promise));
      } catch (e) {
        waits.forEach((w) => w.cancel());
        const why = e instanceof Error ? e.message : String(e);
        const kind: BusErrorKind = why === 'disconnected' ? 'disconnected' : byDeadline ? 'deadline' : 'timeout';
        throw this.fail(
          new BusError(
            kind,
            this.id,
            unit,
            operation,
            kind === 'disconnected'
              ? 'the link closed before the reply'
              : `no reply 0x${replyCode.toString(16)} within ${ms} ms`,
          ),
        );
      }
      const reply = items[0];
      const result = reply.kind === 'command' ? reply.frame.body[1] : 0;
      if (result !== 0)
        throw this.fail(
          new BusError(
            'refused',
            this.id,
            unit,
            operation,
            `adapter answered result ${result} (${resultName(result)})`,
          ),
        );
      return seq;
    });
  }

  private lineError(kind: 'crc' | 'protocol' | 'timeout', message: string): void {
    this.emit({ type: 'error', busId: this.id, unit: null, error: kind, message, at: this.deps.clock.now() });
  }

  /** Errors are counted by the scheduler (metrics); here they become events. */
  private fail(e: BusError): BusError {
    this.emit({
      type: 'error',
      busId: this.id,
      unit: e.unit,
      error: e.kind,
      message: e.message,
      at: this.deps.clock.now(),
    });
    return e;
  }

  private emit(e: BusEvent): void {
    this.subject.next(e);
  }
}

function resultName(r: number): string {
  return ['ok', 'refused', 'bad signature', 'bad parameter', 'busy', 'unknown terminal'][r] ?? 'unknown';
}
