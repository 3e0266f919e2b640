/**
 * The pre-stored tones (pure data): the four air-defence signals (docs/domain.md, "Built-in tones") with their exact on/off timing, and a
 * short alert chime. Ids are stable: alerts and schedules refer to them.
 *
 * A signal's clip holds every cycle including the last pause, so that playing it N times keeps the rhythm.
 */
export type ToneVoice = 'siren' | 'chime';

export interface ToneSegment {
  on: boolean;
  seconds: number;
}

export interface ToneDefinition {
  id: string;
  title: string;
  voice: ToneVoice;
  segments: readonly ToneSegment[];
}

function cycles(pattern: readonly ToneSegment[], times: number): ToneSegment[] {
  return Array.from({ length: times }, () => pattern).flat();
}

const on = (seconds: number): ToneSegment => ({ on: true, seconds });
const off = (seconds: number): ToneSegment => ({ on: false, seconds });

export const TONE_IDS = [
  'tone-preliminary-alert',
  'tone-air-raid',
  'tone-all-clear',
  'tone-disaster',
  'tone-chime',
] as const;
export type ToneId = (typeof TONE_IDS)[number];

export const TONES: readonly (ToneDefinition & { id: ToneId })[] = [
  { id: 'tone-preliminary-alert', title: '预先警报', voice: 'siren', segments: cycles([on(36), off(24)], 3) },
  { id: 'tone-air-raid', title: '空袭警报', voice: 'siren', segments: cycles([on(6), off(6)], 15) },
  { id: 'tone-all-clear', title: '解除警报', voice: 'siren', segments: [on(180)] },
  { id: 'tone-disaster', title: '灾情警报', voice: 'siren', segments: cycles([on(15), off(10), on(5), off(10)], 3) },
  { id: 'tone-chime', title: '提示音', voice: 'chime', segments: [on(1.6)] },
];

export function toneDuration(tone: ToneDefinition): number {
  return tone.segments.reduce((sum, s) => sum + s.seconds, 0);
}

export function findTone(id: string): ToneDefinition | undefined {
  return TONES.find((t) => t.id === id);
}
