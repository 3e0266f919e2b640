import { parseLoudnormJson, parseProbeJson, refuseFromDecode, refuseFromProbe, type ProbeResult } from './probe';

const limits = { maxBytes: 1e6, maxSeconds: 60 };
const mp3: ProbeResult = { formatName: 'mp3', codecName: 'mp3', declaredSeconds: 30, sampleRate: 44100, channels: 1 };

describe('probe verdicts', () => {
  it('accepts the formats phones and PCs produce', () => {
    for (const formatName of ['wav', 'mp3', 'mov,mp4,m4a,3gp,3g2,mj2', 'amr', 'ogg']) {
      const codecName = { wav: 'pcm_s16le', mp3: 'mp3', amr: 'amr_nb', ogg: 'opus' }[formatName] ?? 'aac';
      expect(refuseFromProbe({ ...mp3, formatName, codecName }, limits)).toBeNull();
    }
  });
  it('refuses other formats and codecs, and over-long recordings, with the reason', () => {
    expect(refuseFromProbe({ ...mp3, formatName: 'matroska,webm' }, limits)).toMatch(
      /format "matroska,webm" is not accepted/,
    );
    expect(refuseFromProbe({ ...mp3, formatName: 'wav', codecName: 'adpcm_ms' }, limits)).toMatch(/codec "adpcm_ms"/);
    expect(refuseFromProbe({ ...mp3, declaredSeconds: 61 }, limits)).toMatch(/61\.0 s, longer than the limit of 60 s/);
  });
  it('refuses a truncated file, an empty one and one that decodes too long', () => {
    expect(refuseFromDecode(mp3, { decodedSeconds: 12.5, loudness: null }, limits)).toMatch(
      /truncated: its headers declare 30\.0 s but only 12\.5 s decode/,
    );
    expect(refuseFromDecode(mp3, { decodedSeconds: 29.8, loudness: null }, limits)).toBeNull();
    expect(refuseFromDecode(mp3, { decodedSeconds: 0, loudness: null }, limits)).toMatch(/no audio could be decoded/);
    expect(refuseFromDecode({ ...mp3, declaredSeconds: null }, { decodedSeconds: 75, loudness: null }, limits)).toMatch(
      /longer than the limit/,
    );
  });
});

describe('parsers', () => {
  it('reads ffprobe JSON', () => {
    const json = JSON.stringify({
      streams: [
        { codec_type: 'video', codec_name: 'mjpeg' },
        { codec_type: 'audio', codec_name: 'mp3', duration: '30.04', sample_rate: '44100', channels: 1 },
      ],
      format: { format_name: 'mp3', duration: '30.04' },
    });
    expect(parseProbeJson(json)).toEqual({
      formatName: 'mp3',
      codecName: 'mp3',
      declaredSeconds: 30.04,
      sampleRate: 44100,
      channels: 1,
    });
    expect(parseProbeJson(JSON.stringify({ streams: [], format: { format_name: 'mp3' } }))).toBeNull();
  });
  it('reads the loudnorm measurement from the end of stderr', () => {
    const stderr = `[Parsed_loudnorm_0 @ 0x1]\n{\n\t"input_i" : "-23.10",\n\t"input_tp" : "-5.00",\n\t"input_lra" : "1.20",\n\t"input_thresh" : "-33.40",\n\t"output_i" : "-16.0",\n\t"target_offset" : "0.10"\n}\n`;
    expect(parseLoudnormJson(stderr)).toEqual({
      inputI: -23.1,
      inputTp: -5,
      inputLra: 1.2,
      inputThresh: -33.4,
      targetOffset: 0.1,
    });
    expect(parseLoudnormJson('{"input_i":"-inf"}')).toBeNull();
    expect(parseLoudnormJson('no json')).toBeNull();
  });
});
