/**
 * A technician's tools for a silent terminal: test tone, volume, amplifier on/off, clock set, reboot — each a signed
 * command through the terminal's bus at command priority, audited, with its outcome (and, where it shows, the status
 * read back) returned — plus a bounded raw register read and the bus's own figures.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from '../../../device-drivers/transport/clock';
import { AuditService } from '../../audit/audit.service';
import type { AuthUser } from '../../auth/auth-user';
import { DomainError } from '../../common/errors';
import { GatewaysService } from '../../terminals/gateways.service';
import { TerminalsService } from '../../terminals/terminals.service';
import { FieldBuses } from '../field-buses';
import { FieldError, type TerminalCommand, type TerminalStatus } from '../field-port';
import { FIELD_CLOCK } from '../field.tokens';

export type DiagnosticAction =
  | { kind: 'test-tone'; seconds: number; volume: number }
  | { kind: 'volume'; volume: number }
  | { kind: 'amplifier'; on: boolean }
  /** null: the server's clock now. */
  | { kind: 'clock'; at: Date | null }
  | { kind: 'reboot' };

export interface DiagnosticOutcome {
  terminalId: number;
  action: DiagnosticAction['kind'];
  gatewayId: number;
  unit: number;
  /** The terminal accepted the signed command. */
  accepted: boolean;
  sequence: number;
  durationMs: number;
  /** The status read right after (test tone, volume, amplifier): proof the terminal did it. */
  status: TerminalStatus | null;
}

/** How long a diagnostic command may wait for its bus. */
const DEADLINE_MS = 10_000;

function toCommand(a: DiagnosticAction, now: number): TerminalCommand {
  switch (a.kind) {
    case 'test-tone':
      return { code: 'test-tone', seconds: a.seconds, volume: a.volume };
    case 'volume':
      return { code: 'volume', volume: a.volume };
    case 'amplifier':
      return { code: 'amplifier', on: a.on };
    case 'clock':
      return { code: 'clock', at: a.at ?? new Date(now) };
    case 'reboot':
      return { code: 'reboot' };
  }
}

/** A driver failure as the API's error: who did not answer, and why. */
function fieldError(e: FieldError, terminalId: number): DomainError {
  const details = { terminalId, kind: e.kind, bus: e.busId, unit: e.unit, operation: e.operation };
  switch (e.kind) {
    case 'exception':
    case 'refused':
      return new DomainError('terminal_refused', `terminal ${terminalId} refused: ${e.message}`, 409, details);
    case 'timeout':
    case 'disconnected':
    case 'backoff':
    case 'deadline':
    case 'cancelled':
      return new DomainError(
        'terminal_unreachable',
        `terminal ${terminalId} did not answer: ${e.message}`,
        504,
        details,
      );
    case 'crc':
    case 'wrong-unit':
    case 'short-reply':
    case 'protocol':
      return new DomainError('terminal_bad_reply', `terminal ${terminalId} answered badly: ${e.message}`, 502, details);
    case 'start-in-doubt':
      return new DomainError('terminal_start_in_doubt', `terminal ${terminalId}: ${e.message}`, 409, details);
  }
}

@Injectable()
export class DiagnosticsService {
  constructor(
    private readonly terminals: TerminalsService,
    private readonly gateways: GatewaysService,
    private readonly field: FieldBuses,
    private readonly audit: AuditService,
    @Inject(FIELD_CLOCK) private readonly clock: Clock,
  ) {}

  async run(terminalId: number, action: DiagnosticAction, user: AuthUser): Promise<DiagnosticOutcome> {
    const t = await this.terminals.get(terminalId, user);
    const started = this.clock.now();
    const where = this.field.locate(t.id);
    const auditEntry = {
      actor: user,
      action: `terminal.${action.kind.replace('-', '_')}`,
      entityType: 'terminal',
      entityId: t.id,
    };
    try {
      const result = await this.field.command(t.id, toCommand(action, started), {
        priority: 'command',
        deadline: started + DEADLINE_MS,
      });
      const verify = action.kind === 'test-tone' || action.kind === 'volume' || action.kind === 'amplifier';
      const status =
        verify && result.accepted
          ? await this.field.readStatus(t.id, { deadline: this.clock.now() + DEADLINE_MS }).catch(() => null)
          : null;
      const outcome: DiagnosticOutcome = {
        terminalId: t.id,
        action: action.kind,
        gatewayId: where?.gatewayId ?? t.gatewayId,
        unit: t.unitId,
        accepted: result.accepted,
        sequence: result.sequence,
        durationMs: this.clock.now() - started,
        status,
      };
      await this.audit.record({
        ...auditEntry,
        after: { ...action, accepted: outcome.accepted, sequence: outcome.sequence, durationMs: outcome.durationMs },
      });
      return outcome;
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      await this.audit.record({
        ...auditEntry,
        after: { ...action, accepted: false, error: e.kind, message: e.message },
      });
      throw fieldError(e, t.id);
    }
  }

  /**
   * Reads the terminal's status now, at command priority (ahead of the sweep, and past any backoff of a unit that was
   * silent): after a repair in the field the technician sees it online at once, not at the bus's next try.
   */
  async poll(
    terminalId: number,
    user: AuthUser,
  ): Promise<{ terminalId: number; durationMs: number; status: TerminalStatus }> {
    const t = await this.terminals.get(terminalId, user);
    const started = this.clock.now();
    try {
      const status = await this.field.readStatus(t.id, { deadline: started + DEADLINE_MS });
      return { terminalId: t.id, durationMs: this.clock.now() - started, status };
    } catch (e) {
      if (e instanceof FieldError) throw fieldError(e, t.id);
      throw e;
    }
  }

  async readRegisters(
    terminalId: number,
    address: number,
    count: number,
    user: AuthUser,
  ): Promise<{ terminalId: number; address: number; values: number[] }> {
    const t = await this.terminals.get(terminalId, user);
    try {
      const values = await this.field.readRegisters(t.id, address, count, { deadline: this.clock.now() + DEADLINE_MS });
      return { terminalId: t.id, address, values };
    } catch (e) {
      if (e instanceof FieldError) throw fieldError(e, t.id);
      throw e;
    }
  }

  async bus(
    gatewayId: number,
    user: AuthUser,
  ): Promise<{ gatewayId: number; open: boolean; metrics: ReturnType<FieldBuses['busMetrics']> }> {
    const g = await this.gateways.get(gatewayId, user);
    const metrics = this.field.busMetrics(g.id);
    return { gatewayId: g.id, open: metrics !== null, metrics };
  }
}
