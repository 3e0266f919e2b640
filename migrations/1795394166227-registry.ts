/** The registry: areas (county / town / village / group), gateways (one bus each) and terminals. */
import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

const id: TableColumnOptions = {
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
};
const times: TableColumnOptions[] = [
  { name: 'createdAt', type: 'datetime', precision: 3 },
  { name: 'updatedAt', type: 'datetime', precision: 3 },
];

export class Registry1795394166227 implements MigrationInterface {
  name = 'Registry1795394166227';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'areas',
        columns: [
          id,
          { name: 'code', type: 'varchar', length: '15' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'level', type: 'varchar', length: '16' },
          { name: 'parentCode', type: 'varchar', length: '15', isNullable: true },
          ...times,
        ],
        indices: [
          new TableIndex({ name: 'UQ_areas_code', columnNames: ['code'], isUnique: true }),
          new TableIndex({ name: 'IDX_areas_parent', columnNames: ['parentCode'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'gateways',
        columns: [
          id,
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'resourceCode', type: 'varchar', length: '23' },
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'host', type: 'varchar', length: '255', isNullable: true },
          { name: 'port', type: 'integer', isNullable: true },
          { name: 'serialPath', type: 'varchar', length: '255', isNullable: true },
          { name: 'baudRate', type: 'integer' },
          { name: 'parity', type: 'varchar', length: '8' },
          { name: 'dataBits', type: 'integer' },
          { name: 'stopBits', type: 'integer' },
          { name: 'requestTimeoutMs', type: 'integer' },
          { name: 'turnaroundMs', type: 'integer' },
          { name: 'broadcastDelayMs', type: 'integer' },
          { name: 'enabled', type: 'boolean' },
          ...times,
        ],
        indices: [
          new TableIndex({ name: 'UQ_gateways_resource_code', columnNames: ['resourceCode'], isUnique: true }),
          new TableIndex({ name: 'IDX_gateways_area', columnNames: ['areaCode'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'terminals',
        columns: [
          id,
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'resourceCode', type: 'varchar', length: '23' },
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'gatewayId', type: 'integer' },
          { name: 'unitId', type: 'integer' },
          { name: 'model', type: 'varchar', length: '64', isNullable: true },
          { name: 'serialNumber', type: 'varchar', length: '64', isNullable: true },
          { name: 'capabilities', type: 'text', isNullable: true },
          { name: 'latitude', type: 'double', isNullable: true },
          { name: 'longitude', type: 'double', isNullable: true },
          { name: 'address', type: 'varchar', length: '255', isNullable: true },
          { name: 'speakerPowerW', type: 'integer', isNullable: true },
          { name: 'installedOn', type: 'varchar', length: '10', isNullable: true },
          { name: 'enabled', type: 'boolean' },
          { name: 'notes', type: 'text', isNullable: true },
          ...times,
        ],
        indices: [
          new TableIndex({ name: 'UQ_terminals_resource_code', columnNames: ['resourceCode'], isUnique: true }),
          new TableIndex({ name: 'UQ_terminals_gateway_unit', columnNames: ['gatewayId', 'unitId'], isUnique: true }),
          new TableIndex({ name: 'IDX_terminals_area', columnNames: ['areaCode'] }),
          new TableIndex({ name: 'IDX_terminals_model', columnNames: ['model'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('terminals');
    await q.dropTable('gateways');
    await q.dropTable('areas');
  }
}
