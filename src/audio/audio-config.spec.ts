import { ConfigError } from '../config/env-values';
import { loadAudioConfig } from './audio-config';

describe('loadAudioConfig', () => {
  it('has defaults and puts clips under the data folder', () => {
    const c = loadAudioConfig({}, '/srv/dalaba');
    expect(c).toMatchObject({
      clipDir: '/srv/dalaba/audio',
      maxSeconds: 900,
      loudnessTarget: -16,
      truePeak: -1.5,
      maxProcesses: 2,
    });
  });

  it('takes the audio tools from npm packages when no path is configured, so a bare machine has them all', () => {
    const { tools } = loadAudioConfig({}, '/d');
    expect(tools.ffmpeg).toMatchObject({ source: 'npm', origin: 'npm @ffmpeg-installer/ffmpeg' });
    expect(tools.ffmpeg.path).toMatch(/@ffmpeg-installer\/[\w-]+\/ffmpeg(\.exe)?$/);
    expect(tools.ffprobe).toMatchObject({ source: 'npm', origin: 'npm @ffprobe-installer/ffprobe' });
    expect(tools.espeak).toMatchObject({ source: 'npm', path: process.execPath });
  });

  it('reads the variables', () => {
    const c = loadAudioConfig(
      { AUDIO_MAX_SECONDS: '60', AUDIO_LOUDNESS_LUFS: '-23', AUDIO_MAX_PROCESSES: '4', AUDIO_FFMPEG: '/opt/ffmpeg' },
      '/d',
    );
    expect(c).toMatchObject({ maxSeconds: 60, loudnessTarget: -23, maxProcesses: 4, ffmpegPath: '/opt/ffmpeg' });
    expect(c.tools.ffmpeg).toMatchObject({ source: 'configured', origin: 'AUDIO_FFMPEG' });
  });

  it('fails naming the variable', () => {
    expect(() => loadAudioConfig({ AUDIO_MAX_PROCESSES: '0' }, '/d')).toThrow(
      new ConfigError('AUDIO_MAX_PROCESSES', 'must be between 1 and 64, got 0'),
    );
    expect(() => loadAudioConfig({ AUDIO_LOUDNESS_LUFS: 'loud' }, '/d')).toThrow(
      /AUDIO_LOUDNESS_LUFS: must be a number/,
    );
  });
});
