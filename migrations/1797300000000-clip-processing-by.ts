/**
 * The instance processing a clip (`audio_clips.processingBy`, its DALABA_INSTANCE_ID), set while the clip is
 * `processing` and cleared when it leaves that state: in a cluster, the clips an instance left processing when it
 * stopped are failed by the instances still live (src/audio/library/interrupted-clips.ts). Indexed: only clips being
 * processed carry it, so the survivors' look at it reads those rows only.
 */
import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

export class ClipProcessingBy1797300000000 implements MigrationInterface {
  name = 'ClipProcessingBy1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'audio_clips',
      new TableColumn({ name: 'processingBy', type: 'varchar', length: '64', isNullable: true }),
    );
    await q.createIndex(
      'audio_clips',
      new TableIndex({ name: 'IDX_audio_clips_processing_by', columnNames: ['processingBy'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('audio_clips', 'IDX_audio_clips_processing_by');
    await q.dropColumn('audio_clips', 'processingBy');
  }
}
