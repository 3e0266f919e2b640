/**
 * The clip files of a cluster in the shared database (src/audio/library/clip-blobs.ts, docs/cluster.md "Clip files
 * across instances"): each content-addressed file in parts of at most 4 MiB, so that an instance that did not store a
 * clip itself can still send it to its terminals. Unused by a single instance.
 */
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class ClipBlobs1796900000000 implements MigrationInterface {
  name = 'ClipBlobs1796900000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql' || q.connection.options.type === 'mariadb';
    await q.createTable(
      new Table({
        name: 'clip_blob_part',
        columns: [
          { name: 'sha256', type: 'varchar', length: '64', isPrimary: true },
          { name: 'part', type: 'integer', isPrimary: true },
          { name: 'bytes', type: mysql ? 'longblob' : 'blob' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('clip_blob_part');
  }
}
