/**
 * Every TypeORM entity, listed once: the data source, the drift test and the migrations CLI read this list.
 * Add a line when you add an entity.
 */
import { AlertEntity, AlertRevisionEntity, BroadcastIdSequenceEntity } from '../alerts/alert.entities';
import { AudioClipEntity, AudioVariantEntity } from '../audio/library/clip.entities';
import { AuditEntryEntity } from '../audit/audit-entry.entity';
import { UserEntity } from '../auth/user.entity';
import { BroadcastEntity, DeliveryEntity } from '../dispatch/broadcast.entities';
import { DispatchRequestEntity } from '../dispatch/dispatch-request.entity';
import {
  AlarmEntity,
  BusStatusEntity,
  OnlineRateDailyEntity,
  TerminalStatusEntity,
  TerminalStatusHistoryEntity,
} from '../monitoring/monitoring.entities';
import { AsRunEntity, ProgrammeEntity, RelayScheduleEntity, ScheduleRevisionEntity } from '../relay/relay.entities';
import { SlotRunEntity } from '../relay/planner/slot-run.entity';
import { HeldTableEntity } from '../relay/held/held-table.entity';
import { AreaEntity } from '../regions/area.entity';
import { GatewayEntity, TerminalEntity } from '../terminals/registry.entities';
import {
  EbdIdSequenceEntity,
  UpstreamMessageEntity,
  UpstreamOutboxEntity,
  UpstreamSenderEntity,
} from '../upstream/upstream.entities';

import { AudibleTestPlanEntity, SelfTestEntity } from '../selftest/self-test.entities';
import { ClusterInstanceEntity, ClusterLeaseEntity, ClusterSequenceEntity } from '../cluster/cluster.entities';

export const ENTITIES: (new () => object)[] = [
  UserEntity,
  AuditEntryEntity,
  AudioClipEntity,
  AudioVariantEntity,
  AreaEntity,
  GatewayEntity,
  TerminalEntity,
  TerminalStatusEntity,
  TerminalStatusHistoryEntity,
  OnlineRateDailyEntity,
  AlarmEntity,
  AlertEntity,
  AlertRevisionEntity,
  BroadcastIdSequenceEntity,
  BroadcastEntity,
  DeliveryEntity,
  DispatchRequestEntity,
  UpstreamSenderEntity,
  UpstreamMessageEntity,
  UpstreamOutboxEntity,
  EbdIdSequenceEntity,
  ProgrammeEntity,
  RelayScheduleEntity,
  ScheduleRevisionEntity,
  AsRunEntity,
  SlotRunEntity,
  SelfTestEntity,
  AudibleTestPlanEntity,
  HeldTableEntity,
  ClusterInstanceEntity,
  ClusterLeaseEntity,
  ClusterSequenceEntity,
  BusStatusEntity,
];
