import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const GATEWAY_KINDS = ['modbus-tcp', 'rtu-over-tcp', 'modbus-rtu', 'adapter-serial', 'adapter-tcp'] as const;
export type GatewayKind = (typeof GATEWAY_KINDS)[number];
export const PARITIES = ['none', 'even', 'odd'] as const;
export type Parity = (typeof PARITIES)[number];

/** A gateway in front of one bus: how to reach it (TCP or serial) and the bus timing. */
@Entity('gateways')
@Index('UQ_gateways_resource_code', ['resourceCode'], { unique: true })
@Index('IDX_gateways_area', ['areaCode'])
export class GatewayEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 23 })
  resourceCode!: string;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: GatewayKind;

  @Column({ type: 'varchar', length: 255, nullable: true })
  host!: string | null;

  @Column({ type: 'integer', nullable: true })
  port!: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  serialPath!: string | null;

  @Column({ type: 'integer' })
  baudRate!: number;

  @Column({ type: 'varchar', length: 8 })
  parity!: Parity;

  @Column({ type: 'integer' })
  dataBits!: number;

  @Column({ type: 'integer' })
  stopBits!: number;

  @Column({ type: 'integer' })
  requestTimeoutMs!: number;

  @Column({ type: 'integer' })
  turnaroundMs!: number;

  @Column({ type: 'integer' })
  broadcastDelayMs!: number;

  @Column({ type: 'boolean', width: 1 })
  enabled!: boolean;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

export interface TerminalCapabilities {
  sources?: string[];
  codecs?: string[];
  clipStorageKb?: number;
}

/** A loudspeaker terminal: unit `unitId` on the bus of gateway `gatewayId`. */
@Entity('terminals')
@Index('UQ_terminals_resource_code', ['resourceCode'], { unique: true })
@Index('UQ_terminals_gateway_unit', ['gatewayId', 'unitId'], { unique: true })
@Index('IDX_terminals_area', ['areaCode'])
@Index('IDX_terminals_model', ['model'])
export class TerminalEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 23 })
  resourceCode!: string;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'integer' })
  gatewayId!: number;

  @Column({ type: 'integer' })
  unitId!: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  model!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  serialNumber!: string | null;

  @Column({ type: 'simple-json', nullable: true })
  capabilities!: TerminalCapabilities | null;

  @Column({ type: 'double', nullable: true })
  latitude!: number | null;

  @Column({ type: 'double', nullable: true })
  longitude!: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  address!: string | null;

  @Column({ type: 'integer', nullable: true })
  speakerPowerW!: number | null;

  /** yyyy-mm-dd */
  @Column({ type: 'varchar', length: 10, nullable: true })
  installedOn!: string | null;

  @Column({ type: 'boolean', width: 1 })
  enabled!: boolean;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** Kinds reached over TCP (host and port); the others sit on a serial port. */
export function isNetworkKind(kind: GatewayKind): boolean {
  return kind === 'modbus-tcp' || kind === 'rtu-over-tcp' || kind === 'adapter-tcp';
}
