/**
 * Builds the driver for one registry gateway: the Modbus terminal driver for `modbus-tcp`, `rtu-over-tcp` and
 * `modbus-rtu` (a serial port), the adapter driver for `adapter-tcp` and `adapter-serial`. Everything a driver needs
 * comes from the gateway row, its terminals, the signing certificate and the command sequence.
 */
import { AdapterDriver, openerFor, type AdapterEndpoint } from '../../device-drivers/adapter';
import { ModbusTerminalBus, type SignedBlockCache } from '../../device-drivers/modbus-terminal';
import type { GatewayConfig } from '../../device-drivers/modbus-terminal/connection';
import type { TerminalBus } from '../../device-drivers/terminal-bus';
import type { Clock } from '../../device-drivers/transport/clock';
import type { Sm2Signer } from '../../firmware-protocols/signing';
import type { GatewayEntity, TerminalEntity } from '../terminals/registry.entities';

export interface BusFactoryDeps {
  clock: Clock;
  signer: Sm2Signer;
  nextSequence: () => number;
  /** CommandSequenceSource.issued: every number signed later is greater (0 where unknown). */
  issuedSequence?: () => number;
  /**
   * Resolves once the command sequence is above every number the cluster had reserved (a bus taken over from another
   * instance opens after it: src/field/cluster-command-sequence.ts). Absent alone.
   */
  passTakeover?: () => Promise<void>;
  /** One for all buses: a broadcast's prepare, play and stop are signed once, not once per bus. */
  signedBlocks?: SignedBlockCache;
  /** The platform's resource code: the source of every adapter command frame. */
  platformCode: string;
}

/** The name a bus goes by in logs, metrics and driver errors. */
export function busIdOf(g: Pick<GatewayEntity, 'id' | 'name'>): string {
  return `gateway ${g.id} (${g.name})`;
}

/** What of a gateway row, if edited, needs the bus reopened (names and areas do not). */
export function connectionKey(g: GatewayEntity): string {
  return JSON.stringify([
    g.kind,
    g.host,
    g.port,
    g.serialPath,
    g.baudRate,
    g.parity,
    g.dataBits,
    g.stopBits,
    g.requestTimeoutMs,
    g.turnaroundMs,
    g.broadcastDelayMs,
  ]);
}

export function modbusGatewayConfig(g: GatewayEntity): GatewayConfig {
  const timing = {
    baudRate: g.baudRate,
    parity: g.parity,
    dataBits: g.dataBits === 7 ? 7 : 8,
    stopBits: g.stopBits === 2 ? 2 : 1,
    requestTimeoutMs: g.requestTimeoutMs,
    turnaroundMs: g.turnaroundMs,
    broadcastDelayMs: g.broadcastDelayMs,
  } as const;
  switch (g.kind) {
    case 'modbus-tcp':
    case 'rtu-over-tcp':
      return { kind: g.kind, host: g.host ?? '', port: g.port ?? 502, ...timing };
    case 'modbus-rtu':
      return { kind: 'rtu-serial', path: g.serialPath ?? '', ...timing };
    case 'adapter-serial':
    case 'adapter-tcp':
      throw new Error(`${busIdOf(g)} is an adapter, not a Modbus gateway`);
  }
}

function adapterEndpoint(g: GatewayEntity): AdapterEndpoint {
  if (g.kind === 'adapter-tcp') return { kind: 'tcp', host: g.host ?? '', port: g.port ?? 0 };
  return {
    kind: 'serial',
    path: g.serialPath ?? '',
    baudRate: g.baudRate,
    dataBits: g.dataBits === 7 ? 7 : 8,
    parity: g.parity,
    stopBits: g.stopBits === 2 ? 2 : 1,
  };
}

/**
 * An adapter addresses its terminals by resource code, unit n being the n-th of its list: the registry's unit ids
 * give the positions (gaps are filled with codes no terminal answers to, so positions never shift).
 */
export function adapterTerminalList(terminals: readonly TerminalEntity[]): string[] {
  const max = terminals.reduce((m, t) => Math.max(m, t.unitId), 0);
  const list: string[] = Array.from({ length: max }, () => '0'.repeat(23));
  for (const t of terminals) list[t.unitId - 1] = t.resourceCode;
  return list;
}

/** `mayTransmit`: asked before each transaction goes on the wire (in a cluster: whether this instance still holds the bus). */
export function createBus(
  g: GatewayEntity,
  terminals: readonly TerminalEntity[],
  deps: BusFactoryDeps,
  mayTransmit?: () => boolean,
): TerminalBus {
  const busId = busIdOf(g);
  switch (g.kind) {
    case 'modbus-tcp':
    case 'rtu-over-tcp':
    case 'modbus-rtu':
      return new ModbusTerminalBus({
        busId,
        gateway: modbusGatewayConfig(g),
        clock: deps.clock,
        signer: deps.signer,
        nextSequence: deps.nextSequence,
        signedBlocks: deps.signedBlocks,
        mayTransmit,
      });
    case 'adapter-serial':
    case 'adapter-tcp':
      return new AdapterDriver(
        {
          busId,
          platformCode: deps.platformCode,
          terminals: adapterTerminalList(terminals),
          requestTimeoutMs: g.requestTimeoutMs,
        },
        {
          open: openerFor(adapterEndpoint(g)),
          clock: deps.clock,
          signer: deps.signer,
          mayTransmit,
        },
      );
  }
}
