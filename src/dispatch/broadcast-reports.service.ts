/**
 * Reports of broadcasts (播发报告): the list, one broadcast with its counts, coverage and roll-up by town and village,
 * its deliveries, and the whole report as CSV or XLSX with Chinese headers. A reader sees only the deliveries inside
 * their area scopes (counts and coverage included); drills are marked as drills everywhere.
 */
import { Injectable } from '@nestjs/common';
import { areaPrefix } from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { visibleSubtrees } from '../auth/scope';
import { NotFoundError } from '../common/errors';
import { writeTable, type TableColumn, type TableFormat } from '../terminals/tabular';
import type { BroadcastEntity, DeliveryEntity } from './broadcast.entities';
import { BROADCAST_STATE_NAMES } from './broadcast-lifecycle';
import {
  coverageOf,
  DELIVERY_STATE_NAMES,
  emptyCounts,
  type Coverage,
  type DeliveryState,
  type StateCounts,
} from './delivery-lifecycle';
import { DispatchRepository } from './dispatch.repository';

export interface BroadcastView {
  id: number;
  broadcastId: string;
  alertId: number;
  title: string;
  eventType: string;
  severity: number;
  messageType: string;
  broadcastClass: number;
  priority: number;
  drill: boolean;
  emergency: boolean;
  clipId: string;
  repeat: number;
  volume: number;
  startAt: Date;
  endAt: Date;
  state: string;
  stateName: string;
  cancelled: boolean;
  targeted: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cancelRequestedAt: Date | null;
}

export interface AreaRollUp {
  areaCode: string;
  name: string | null;
  counts: StateCounts;
  coverage: Coverage;
}

export interface BroadcastDetail extends BroadcastView {
  counts: StateCounts;
  coverage: Coverage;
  byTown: AreaRollUp[];
  byVillage: AreaRollUp[];
}

const view = (b: BroadcastEntity): BroadcastView => ({
  id: b.id,
  broadcastId: b.broadcastId,
  alertId: b.alertId,
  title: b.title,
  eventType: b.eventType,
  severity: b.severity,
  messageType: b.messageType,
  broadcastClass: b.broadcastClass,
  priority: b.priority,
  drill: b.drill,
  emergency: b.emergency,
  clipId: b.clipId,
  repeat: b.repeat,
  volume: b.volume,
  startAt: b.startAt,
  endAt: b.endAt,
  state: b.state,
  stateName: BROADCAST_STATE_NAMES[b.state],
  cancelled: b.state === 'cancelled',
  targeted: b.targeted,
  createdAt: b.createdAt,
  startedAt: b.startedAt,
  finishedAt: b.finishedAt,
  cancelRequestedAt: b.cancelRequestedAt,
});

const total = (c: StateCounts): number => Object.values(c).reduce((a, b) => a + b, 0);

/** The 12-digit code of the town (9 significant digits) or village a code lies in. */
const townOf = (code: string): string => (code.length >= 9 ? `${code.slice(0, 9)}000` : code);
const villageOf = (code: string): string => code.slice(0, 12);

export const REPORT_COLUMNS: TableColumn[] = [
  { key: '播发编号', header: '播发编号' },
  { key: '标题', header: '标题' },
  { key: '演练', header: '演练' },
  { key: '播发状态', header: '播发状态' },
  { key: '终端编号', header: '终端编号' },
  { key: '终端名称', header: '终端名称' },
  { key: '区域编码', header: '区域编码' },
  { key: '乡镇', header: '乡镇' },
  { key: '行政村', header: '行政村' },
  { key: '网关', header: '网关' },
  { key: '单元号', header: '单元号' },
  { key: '结果', header: '结果' },
  { key: '原因', header: '原因' },
  { key: '尝试次数', header: '尝试次数' },
  { key: '开始指令时间', header: '开始指令时间' },
  { key: '确认播放时间', header: '确认播放时间' },
  { key: '结束时间', header: '结束时间' },
  { key: '被抢占的播发', header: '被抢占的播发' },
];

const shanghai = (d: Date | null): string =>
  d ? new Date(d.getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19) : '';

@Injectable()
export class BroadcastReportsService {
  constructor(private readonly repo: DispatchRepository) {}

  private prefixes(user: AuthUser, area?: string): string[] | null {
    const subtrees = visibleSubtrees(user, area);
    return subtrees === null ? null : subtrees.map((c) => areaPrefix(c));
  }

  private async find(id: string): Promise<BroadcastEntity> {
    const b = /^\d{35}$/.test(id)
      ? await this.repo.findBroadcast(id)
      : /^\d{1,12}$/.test(id)
        ? await this.repo.findBroadcastById(Number(id))
        : null;
    if (!b) throw new NotFoundError('broadcast', id);
    return b;
  }

  async list(user: AuthUser, limit: number, offset: number): Promise<{ items: BroadcastView[]; total: number }> {
    const page = await this.repo.pageBroadcasts(this.prefixes(user), limit, offset);
    return { items: page.items.map(view), total: page.total };
  }

  async detail(user: AuthUser, id: string): Promise<BroadcastDetail> {
    const b = await this.find(id);
    const prefixes = this.prefixes(user);
    const rows = await this.repo.countsByArea(b.broadcastId, prefixes);
    if (prefixes !== null && rows.length === 0) throw new NotFoundError('broadcast', id);
    const counts = emptyCounts();
    const towns = new Map<string, StateCounts>();
    const villages = new Map<string, StateCounts>();
    for (const r of rows) {
      counts[r.state] += r.n;
      for (const [map, code] of [
        [towns, townOf(r.areaCode)],
        [villages, villageOf(r.areaCode)],
      ] as const) {
        const c = map.get(code) ?? emptyCounts();
        c[r.state] += r.n;
        map.set(code, c);
      }
    }
    const names = await this.repo.areaNames([...towns.keys(), ...villages.keys()]);
    const rollUp = (m: Map<string, StateCounts>): AreaRollUp[] =>
      [...m]
        .sort(([a], [b2]) => a.localeCompare(b2))
        .map(([areaCode, c]) => ({
          areaCode,
          name: names.get(areaCode) ?? null,
          counts: c,
          coverage: coverageOf(c.played, total(c)),
        }));
    return {
      ...view(b),
      counts,
      coverage: coverageOf(counts.played, total(counts)),
      byTown: rollUp(towns),
      byVillage: rollUp(villages),
    };
  }

  async deliveries(
    user: AuthUser,
    id: string,
    q: { state?: DeliveryState; areaCode?: string },
    limit: number,
    offset: number,
  ): Promise<{ items: DeliveryEntity[]; total: number }> {
    const b = await this.find(id);
    return this.repo.pageDeliveries(
      b.broadcastId,
      { prefixes: this.prefixes(user), state: q.state, area: q.areaCode ? areaPrefix(q.areaCode) : undefined },
      limit,
      offset,
    );
  }

  async report(user: AuthUser, id: string, format: TableFormat): Promise<{ name: string; body: Buffer }> {
    const b = await this.find(id);
    const { items } = await this.repo.pageDeliveries(b.broadcastId, { prefixes: this.prefixes(user) }, null);
    const names = await this.repo.areaNames([
      ...new Set(items.flatMap((d) => [townOf(d.areaCode), villageOf(d.areaCode)])),
    ]);
    const rows = items.map((d) => ({
      播发编号: b.broadcastId,
      标题: b.title,
      演练: b.drill ? '演练' : '否',
      播发状态: BROADCAST_STATE_NAMES[b.state],
      终端编号: d.terminalId,
      终端名称: d.terminalName,
      区域编码: d.areaCode,
      乡镇: names.get(townOf(d.areaCode)) ?? '',
      行政村: names.get(villageOf(d.areaCode)) ?? '',
      网关: d.gatewayId ?? '',
      单元号: d.unit ?? '',
      结果: DELIVERY_STATE_NAMES[d.state],
      原因: d.reason ?? '',
      尝试次数: d.attempts,
      开始指令时间: shanghai(d.startSentAt),
      确认播放时间: shanghai(d.verifiedAt),
      结束时间: shanghai(d.finishedAt),
      被抢占的播发: d.preemptedBroadcastId ?? '',
    }));
    const prefix = b.drill ? '演练-' : '';
    return {
      name: `${prefix}broadcast-${b.broadcastId}.${format}`,
      body: await writeTable(format, REPORT_COLUMNS, rows),
    };
  }
}
