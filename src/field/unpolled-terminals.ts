/**
 * The field switched off (DALABA_FIELD=off): no bus is opened and nobody polls, but the registry's enabled terminals
 * still count in the online rate, as unknown (registered, neither online nor offline), kept in step with registry
 * changes.
 */
import type { Subscription } from 'rxjs';
import type { Clock } from '../../device-drivers/transport/clock';
import type { MonitoringService } from '../monitoring/monitoring.service';
import type { RegistryEvents } from '../terminals/registry-events';
import type { TerminalEntity } from '../terminals/registry.entities';
import type { FieldRegistry } from './field-registry';

/**
 * Counts the enabled terminals now and follows registry changes; `enqueue` runs work after the registry changes
 * already queued. Returns the subscription to the registry and when the first count is done.
 */
export function countUnpolled(
  registry: FieldRegistry,
  registryEvents: RegistryEvents,
  monitoring: MonitoringService,
  clock: Clock,
  enqueue: (work: () => Promise<void>) => Promise<void>,
): { subscription: Subscription; counted: Promise<void> } {
  const count = (t: TerminalEntity): void => {
    if (t.enabled)
      monitoring.trackTerminal({ terminalId: t.id, areaCode: t.areaCode, gatewayId: t.gatewayId }, clock.now());
    else monitoring.untrackTerminal(t.id);
  };
  const countAll = async (gatewayId?: number): Promise<void> => {
    for (const t of await registry.enabledTerminals(gatewayId)) count(t);
  };
  const subscription = registryEvents.changes.subscribe((c) => {
    if (c.kind === 'gateway') {
      // a gateway's terminals may come with it (the demo's seeding says only that gateways were added)
      if (c.change !== 'removed') void enqueue(() => countAll(c.gateway.id));
    } else if (c.change === 'removed') monitoring.untrackTerminal(c.id);
    else count(c.terminal);
  });
  return { subscription, counted: enqueue(() => countAll()) };
}
