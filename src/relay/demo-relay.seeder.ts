/**
 * Demo only (`--demo`): the county FM station's news relayed to the whole demo county every weekday, 12:00–12:30 and
 * 18:40–19:00 (docs/relay.md, "In the demo"). Drafted and submitted by the demo officer and published by the demo
 * approver through the same services and review rule (三审) a person goes through in the console, so the schedules,
 * their review history and the audit log read as a real county's would. Once: a restart finds the programme and
 * leaves everything as it is. Runs after the demo accounts and the demo county exist; without them it says so and
 * seeds nothing.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DEMO_COUNTY } from '../auth/accounts.bootstrap';
import type { AuthUser } from '../auth/auth-user';
import { UsersRepository } from '../auth/users.repository';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { RegionsRepository } from '../regions/regions.repository';
import { ProgrammesService } from './programmes.service';
import { shanghaiDay, type Recurrence } from './recurrence';
import { RelayRepository } from './relay.repository';
import { SchedulesService } from './schedules.service';

/** The demo programme's name: its presence means the demo relay was seeded. */
export const DEMO_PROGRAMME = '县广播电视台新闻（调频 95.3 MHz 转播）';
/** The weekday slots of the demo programme, Asia/Shanghai. */
export const DEMO_SLOTS: readonly { start: string; end: string }[] = [
  { start: '12:00', end: '12:30' },
  { start: '18:40', end: '19:00' },
];

export interface DemoRelayResult {
  seeded: boolean;
  scheduleIds: number[];
}

@Injectable()
export class DemoRelaySeeder implements OnApplicationBootstrap {
  private readonly log = new Logger('DemoRelay');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly regions: RegionsRepository,
    private readonly relay: RelayRepository,
    private readonly programmes: ProgrammesService,
    private readonly schedules: SchedulesService,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demo) return;
    const result = await this.seed();
    if (result.seeded)
      this.log.log(
        `demo relay published: "${DEMO_PROGRAMME}" every weekday ${DEMO_SLOTS.map((s) => `${s.start}–${s.end}`).join(' and ')}`,
      );
  }

  /** Seeds the demo programme and its two weekday schedules, reviewed and published, unless already there. */
  async seed(): Promise<DemoRelayResult> {
    const none = { seeded: false, scheduleIds: [] };
    if (await this.relay.programmeNamed(DEMO_PROGRAMME)) return none;
    const [officer, approver] = await Promise.all([this.account('officer'), this.account('approver')]);
    if (!officer || !approver || !(await this.regions.findByCode(DEMO_COUNTY))) {
      this.log.warn('demo relay not seeded: the demo accounts or the demo county are missing');
      return none;
    }
    const programme = await this.programmes.create(
      {
        name: DEMO_PROGRAMME,
        source: { kind: 'fm', frequency: 9530 },
        fallback: { kind: 'line-in', channel: 1 },
        minSignalQuality: 40,
        volume: 70,
        priorityClass: 'county',
        targets: { areaCodes: [DEMO_COUNTY], terminalIds: [] },
      },
      officer,
    );
    const scheduleIds: number[] = [];
    for (const slot of DEMO_SLOTS) {
      const schedule = await this.schedules.create(programme.id, this.weekdays(slot), officer);
      await this.schedules.submit(schedule.id, officer);
      await this.schedules.approve(schedule.id, approver);
      scheduleIds.push(schedule.id);
    }
    return { seeded: true, scheduleIds };
  }

  private weekdays(slot: { start: string; end: string }): Recurrence {
    return {
      kind: 'weekdays',
      weekdays: [],
      dates: [],
      from: shanghaiDay(this.clock.date()),
      until: null,
      start: slot.start,
      end: slot.end,
      exceptDates: [],
      exceptWeeks: [],
    };
  }

  private async account(username: string): Promise<AuthUser | null> {
    const user = await this.users.findByUsername(username);
    if (!user || user.disabled) return null;
    return { id: user.id, username: user.username, roles: user.roles, scopes: user.scopes };
  }
}
