/**
 * The audio library: uploads, Mandarin text-to-speech, built-in tones, variants per terminal codec, previews.
 * Features that refer to clips register with ClipReferences (exported) so deletion is refused while they do.
 */
import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ClusterModule } from '../cluster/cluster.module';
import { AUDIO_CONFIG, SPEECH_PROVIDER } from './audio.tokens';
import { loadAudioConfig, type AudioConfig } from './audio-config';
import { AudioCapabilitiesService } from './audio-capabilities.service';
import { AudioController } from './audio.controller';
import { AudioService } from './audio.service';
import { AudioJobs } from './jobs/audio-jobs';
import { ClipBlobs } from './library/clip-blobs';
import { ClipFiles } from './library/clip-files';
import { ClipPipeline } from './library/clip-pipeline';
import { ClipReferences } from './library/clip-references';
import { ClipRepository } from './library/clip.repository';
import { InterruptedClips } from './library/interrupted-clips';
import { AudioProcesses } from './media/audio-processes';
import { AudioTools } from './media/audio-tools';
import { Ffmpeg } from './media/ffmpeg';
import { ToneService } from './tones/tone.service';
import { EspeakSpeech } from './tts/espeak-speech';
import { SpeechService } from './tts/speech.service';
import { Clock } from '../common/clock';

const audioConfigProvider = {
  provide: AUDIO_CONFIG,
  inject: [APP_CONFIG],
  useFactory: (app: AppConfig): AudioConfig => loadAudioConfig(process.env, app.dataDir),
};

@Module({ providers: [audioConfigProvider], exports: [AUDIO_CONFIG] })
class AudioConfigModule {}

@Module({
  imports: [
    AudioConfigModule,
    ClusterModule,
    MulterModule.registerAsync({
      imports: [AudioConfigModule],
      inject: [AUDIO_CONFIG],
      // larger files are cut off by multer: 413 payload_too_large
      // file names from browsers are UTF-8 (录音.mp3), not multer's default latin1
      useFactory: (c: AudioConfig) => ({
        limits: { fileSize: c.maxUploadBytes, files: 1, fields: 10 },
        defParamCharset: 'utf8',
      }),
    }),
  ],
  controllers: [AudioController],
  providers: [
    { provide: AudioJobs, inject: [Clock], useFactory: (clock: Clock) => new AudioJobs(() => clock.date()) },
    { provide: SPEECH_PROVIDER, useExisting: EspeakSpeech },
    EspeakSpeech,
    AudioProcesses,
    AudioTools,
    AudioCapabilitiesService,
    Ffmpeg,
    ClipBlobs,
    ClipFiles,
    ClipRepository,
    InterruptedClips,
    ClipPipeline,
    ClipReferences,
    AudioService,
    SpeechService,
    ToneService,
  ],
  exports: [ClipReferences, AudioService, SpeechService, AudioJobs],
})
export class AudioModule {}
