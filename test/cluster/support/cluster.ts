/**
 * What the cluster suites that start several servers on one database share (test/cluster/cluster-*.test.ts): the
 * environment of one instance, waiting on the servers' events until a condition holds (never on the clock), and what
 * an instance sees of its terminals and buses.
 */
import { filter, firstValueFrom, merge, type Observable } from 'rxjs';
import { LeaseManager } from '../../../src/cluster/lease-manager';
import { FieldBuses } from '../../../src/field/field-buses';
import { MonitoringService } from '../../../src/monitoring/monitoring.service';
import type { TestApp } from '../../support/app';

/** The field on, polled with a short pause (the simulated terminals answer at once). */
export const FIELD_ON: Record<string, string> = { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '100' };

/** The field on for suites that play broadcasts: a start lead short enough for a test, no tones provisioned. */
export const BROADCASTS_ON: Record<string, string> = {
  DALABA_FIELD: 'on',
  DALABA_POLL_PAUSE_MS: '200',
  DALABA_START_LEAD_MS: '800',
  DALABA_PROVISION_TONES: 'off',
};

/** The environment of instance `id` of a test cluster: a 1.5 s lease (renewed every 500 ms), then `extra`. */
export function clusterEnv(id: string, extra: Record<string, string>): Record<string, string> {
  return { DALABA_CLUSTER: 'on', DALABA_INSTANCE_ID: id, DALABA_LEASE_MS: '1500', ...extra };
}

/** Every lease event and monitoring change (of terminals and of gateways) of `apps`. */
export function changesOf(...apps: TestApp[]): Observable<unknown> {
  return merge(
    ...apps.flatMap((t) => {
      const monitoring = t.app.get(MonitoringService);
      return [t.app.get(LeaseManager).events, monitoring.changes, monitoring.gatewayEvents];
    }),
  );
}

/** Resolves once `holds()` is true, checking it again on every value of `events`. */
export async function until(events: Observable<unknown>, holds: () => boolean): Promise<void> {
  if (holds()) return;
  await firstValueFrom(events.pipe(filter(() => holds())));
}

/** Whether instance `t` sees terminal `id` online. */
export const online = (t: TestApp, id: number): boolean => t.app.get(MonitoringService).terminal(id)?.online === true;

/** The gateways whose buses instance `t` has open. */
export const opened = (t: TestApp): number[] =>
  t.app
    .get(FieldBuses)
    .openGateways()
    .map((g) => g.gatewayId);
