/** The audio library: clips and their encoded variants (content-addressed files, SM3 digests). */
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class Audio1763800200000 implements MigrationInterface {
  name = 'Audio1763800200000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'audio_clips',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'title', type: 'varchar', length: '200' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'error', type: 'text', isNullable: true },
          { name: 'source', type: 'text', isNullable: true },
          { name: 'durationMs', type: 'integer', isNullable: true },
          { name: 'createdById', type: 'integer', isNullable: true },
          { name: 'createdAt', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'IDX_audio_clips_kind', columnNames: ['kind'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audio_variants',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'clipId', type: 'varchar', length: '64' },
          { name: 'profile', type: 'varchar', length: '32' },
          { name: 'codec', type: 'varchar', length: '16' },
          { name: 'mime', type: 'varchar', length: '64' },
          { name: 'bitrate', type: 'integer' },
          { name: 'sampleRate', type: 'integer' },
          { name: 'durationMs', type: 'integer' },
          { name: 'sizeBytes', type: 'integer' },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'sm3', type: 'varchar', length: '64' },
          { name: 'fileKey', type: 'varchar', length: '100' },
        ],
        indices: [
          new TableIndex({
            name: 'IDX_audio_variants_clip_profile',
            columnNames: ['clipId', 'profile'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_audio_variants_sha', columnNames: ['sha256'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audio_variants');
    await q.dropTable('audio_clips');
  }
}
