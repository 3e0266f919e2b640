/**
 * The periodic tests as users see them (docs/self-test.md): a terminal's latest tests (the technician's page), a test
 * run now by a technician, the missed-test report of a day and region with its CSV/XLSX export, and the counties'
 * audible-test plans. Every read and run is confined to the user's area scopes.
 */
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, visibleSubtrees } from '../auth/scope';
import { Clock } from '../common/clock';
import { DomainError, ForbiddenError, ValidationFailedError } from '../common/errors';
import { shanghaiDay } from '../relay/recurrence';
import { TerminalsService } from '../terminals/terminals.service';
import { writeTable, type TableFormat } from '../terminals/tabular';
import { RAN, type SelfTestChecks, type SelfTestOutcome } from './self-test-outcome';
import type { AudiblePlanDto } from './self-test.dto';
import { AudibleTestPlanEntity, type SelfTestEntity } from './self-test.entities';
import { SelfTestRepository, type Prefixes } from './self-test.repository';
import { SelfTestScheduler } from './self-test.scheduler';

export interface SelfTestView {
  id: number;
  terminalId: number;
  areaCode: string;
  gatewayId: number;
  kind: SelfTestEntity['kind'];
  origin: SelfTestEntity['origin'];
  dueDay: string;
  testId: number;
  startedAt: string;
  finishedAt: string;
  outcome: SelfTestOutcome;
  checks: SelfTestChecks | null;
  detail: string | null;
  requestedBy: string | null;
}

export function selfTestView(r: SelfTestEntity): SelfTestView {
  return {
    id: r.id,
    terminalId: r.terminalId,
    areaCode: r.areaCode,
    gatewayId: r.gatewayId,
    kind: r.kind,
    origin: r.origin,
    dueDay: r.dueDay,
    testId: r.testId,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    outcome: r.outcome,
    checks: r.checks,
    detail: r.detail,
    requestedBy: r.requestedBy,
  };
}

/** Why a terminal's test counts as missed: never tried in the window, or the last try's outcome. */
export type MissedReason = 'not-run' | Exclude<SelfTestOutcome, 'passed' | 'failed' | 'not-supported'>;

export interface MissedRow {
  terminalId: number;
  name: string;
  areaCode: string;
  gatewayId: number;
  unitId: number;
  reason: MissedReason;
  detail: string | null;
  lastTriedAt: string | null;
}

export interface MissedReport {
  date: string;
  areaCode: string | null;
  summary: { due: number; ran: number; passed: number; failed: number; notSupported: number; missed: number };
  items: MissedRow[];
}

const EXPORT_COLUMNS = [
  'date',
  'terminalId',
  'name',
  'areaCode',
  'gatewayId',
  'unitId',
  'reason',
  'detail',
  'lastTriedAt',
].map((key) => ({ key, header: key }));

@Injectable()
export class SelfTestService {
  constructor(
    private readonly repo: SelfTestRepository,
    private readonly scheduler: SelfTestScheduler,
    private readonly terminals: TerminalsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async history(terminalId: number, user: AuthUser, limit: number): Promise<SelfTestView[]> {
    const t = await this.terminals.get(terminalId, user);
    return (await this.repo.forTerminal(t.id, limit)).map(selfTestView);
  }

  /** A silent self-test of one terminal now (a technician after a repair), audited. */
  async runNow(terminalId: number, user: AuthUser): Promise<SelfTestView> {
    const t = await this.terminals.get(terminalId, user);
    if (!t.enabled)
      throw new DomainError('terminal_disabled', `terminal ${t.id} is disabled: nothing reaches it`, 409, {
        terminalId: t.id,
      });
    const row = await this.scheduler.test(
      { terminalId: t.id, areaCode: t.areaCode, gatewayId: t.gatewayId },
      shanghaiDay(this.clock.date()),
      'manual',
      user.username,
    );
    const view = selfTestView(row);
    await this.audit.record({
      actor: user,
      action: 'terminal.self_test',
      entityType: 'terminal',
      entityId: t.id,
      after: { testId: view.testId, outcome: view.outcome, detail: view.detail },
    });
    return view;
  }

  private scope(user: AuthUser, areaCode: string | undefined): Prefixes {
    const visible = visibleSubtrees(user, areaCode);
    if (areaCode && visible !== null && visible.length === 0)
      throw new ForbiddenError('forbidden_area', 'area is outside your area scope');
    return visible;
  }

  /** Terminals whose nightly test was due on `date` and did not run or did not answer, with the day's counts. */
  async missed(user: AuthUser, date: string, areaCode?: string): Promise<MissedReport> {
    const prefixes = this.scope(user, areaCode);
    const [terminals, rows] = await Promise.all([
      this.repo.terminals(prefixes),
      this.repo.onDay(date, 'silent', prefixes),
    ]);
    const last = new Map<number, SelfTestEntity>();
    for (const r of rows) last.set(r.terminalId, r);
    const summary = { due: terminals.length, ran: 0, passed: 0, failed: 0, notSupported: 0, missed: 0 };
    const items: MissedRow[] = [];
    for (const t of terminals) {
      const r = last.get(t.id);
      if (r?.outcome === 'not-supported') summary.notSupported += 1;
      else if (r && RAN.includes(r.outcome)) {
        summary.ran += 1;
        summary[r.outcome === 'passed' ? 'passed' : 'failed'] += 1;
      } else {
        summary.missed += 1;
        items.push({
          terminalId: t.id,
          name: t.name,
          areaCode: t.areaCode,
          gatewayId: t.gatewayId,
          unitId: t.unitId,
          reason: r ? (r.outcome as MissedReason) : 'not-run',
          detail: r?.detail ?? null,
          lastTriedAt: r?.finishedAt.toISOString() ?? null,
        });
      }
    }
    return { date, areaCode: areaCode ?? null, summary, items };
  }

  async export(
    user: AuthUser,
    date: string,
    areaCode: string | undefined,
    format: TableFormat,
  ): Promise<{ name: string; body: Buffer }> {
    const report = await this.missed(user, date, areaCode);
    const body = await writeTable(
      format,
      EXPORT_COLUMNS,
      report.items.map((r) => ({ date, ...r })),
    );
    return { name: `self-test-missed-${date}${areaCode ? `-${areaCode}` : ''}.${format}`, body };
  }

  async plans(user: AuthUser): Promise<AudibleTestPlanEntity[]> {
    return this.repo.plans(visibleSubtrees(user));
  }

  /** Turns a county's monthly audible test on or off, or moves it; an administrator of that county only. */
  async setPlan(user: AuthUser, areaCode: string, dto: AudiblePlanDto): Promise<AudibleTestPlanEntity> {
    if (!/^\d{6}000000$/.test(areaCode) || /^\d{4}00/.test(areaCode))
      throw ValidationFailedError.field('areaCode', 'areaCode must be a county area code (12 digits ending in 000000)');
    assertCanReach(user, areaCode, 'county');
    const before = await this.repo.plan(areaCode);
    const row = Object.assign(new AudibleTestPlanEntity(), {
      areaCode,
      ...dto,
      updatedBy: user.username,
      updatedAt: this.clock.date(),
    });
    await this.repo.savePlan(row);
    await this.audit.record({
      actor: user,
      action: 'self_test.audible_plan',
      entityType: 'area',
      entityId: areaCode,
      before: before ?? undefined,
      after: dto,
    });
    await this.scheduler.armAudible();
    return row;
  }
}
