/**
 * CAP 1.2 (OASIS Common Alerting Protocol) ↔ our alert fields, kept as data (PROTOCOL.md "CAP 1.2"). The mapping of
 * CAP's severity/urgency/certainty onto the national four levels and of CAP event codes onto our event types is our
 * reading; correct it here.
 */

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';

/** CAP severity → our severity (1 = Ⅰ 特别严重 … 4 = Ⅳ 一般; 0 unspecified). */
export const CAP_SEVERITY_TO_LEVEL: Readonly<Record<string, number>> = {
  Extreme: 1,
  Severe: 2,
  Moderate: 3,
  Minor: 4,
  Unknown: 0,
};

/** Our severity → CAP severity (export). */
export const LEVEL_TO_CAP_SEVERITY: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Extreme',
  2: 'Severe',
  3: 'Moderate',
  4: 'Minor',
};

/** Urgency and certainty that make a CAP alert a candidate for air at all; others (Past, Unlikely) are stored only. */
export const CAP_ACTIONABLE_URGENCY: readonly string[] = ['Immediate', 'Expected', 'Future', 'Unknown'];
export const CAP_ACTIONABLE_CERTAINTY: readonly string[] = ['Observed', 'Likely', 'Possible', 'Unknown'];

/**
 * Event → our event type: first by an <eventCode> whose valueName is one of CAP_EVENT_CODE_NAMES, then by words in
 * <event> (Chinese warnings name the hazard: 暴雨蓝色预警 …), else 10000 其他.
 */
export const CAP_EVENT_CODE_NAMES: readonly string[] = ['CN_EventType', 'EventType', 'GB/T 35965'];
export const CAP_EVENT_WORDS: readonly { words: readonly string[]; eventType: string }[] = [
  { words: ['台风', 'typhoon', 'hurricane', 'tropical cyclone'], eventType: '11B01' },
  { words: ['暴雨', 'heavy rain', 'rainstorm'], eventType: '11B03' },
  { words: ['暴雪', 'blizzard', 'snowstorm', 'winter storm'], eventType: '11B04' },
  { words: ['寒潮', 'cold wave'], eventType: '11B05' },
  { words: ['雷雨大风'], eventType: '11B20' },
  { words: ['大风', 'high wind', 'wind'], eventType: '11B06' },
  { words: ['沙尘暴', 'dust storm', 'sandstorm'], eventType: '11B07' },
  { words: ['高温', 'heat'], eventType: '11B09' },
  { words: ['雷电', 'thunderstorm', 'lightning'], eventType: '11B14' },
  { words: ['冰雹', 'hail'], eventType: '11B15' },
  { words: ['霜冻', 'frost', 'freeze'], eventType: '11B16' },
  { words: ['大雾', 'fog'], eventType: '11B17' },
  { words: ['霾', 'haze', 'smog'], eventType: '11B19' },
  { words: ['道路结冰', 'icy road'], eventType: '11B21' },
  { words: ['干旱', 'drought'], eventType: '11B22' },
  { words: ['洪水', 'flood'], eventType: '11A01' },
  { words: ['山体滑坡', '地质灾害', 'landslide', 'mudslide'], eventType: '11A51' },
  { words: ['森林火灾', 'wildfire', 'forest fire', 'fire'], eventType: '11D01' },
  { words: ['地震', 'earthquake', 'tsunami'], eventType: '11C01' },
  { words: ['疫情', 'epidemic', 'disease'], eventType: '12A01' },
];
export const CAP_OTHER_EVENT = '10000';

/** CAP msgType values and what they do: Alert and Update make or replace an alert, Cancel cancels the referenced one. */
export const CAP_MSG_TYPES = ['Alert', 'Update', 'Cancel', 'Ack', 'Error'] as const;

/** Geocode valueNames read as 12-digit (or shorter, zero-padded) Chinese administrative area codes. */
export const CAP_AREA_GEOCODE_NAMES: readonly string[] = ['CN_AreaCode', 'AreaCode', 'GB/T 2260', 'ADCODE'];

/** Our alert's message type → CAP status / msgType on export (drills are Exercise). */
export const CAP_STATUS_OF_MESSAGE_TYPE: Readonly<Record<string, string>> = {
  real: 'Actual',
  cancel: 'Actual',
  platformDrill: 'Exercise',
  frontEndDrill: 'Exercise',
  terminalDrill: 'Exercise',
};

/** Event-type prefix → CAP category on export (the longest matching prefix wins). */
export const CAP_CATEGORY_OF_EVENT: readonly { prefix: string; category: string }[] = [
  { prefix: '11B', category: 'Met' },
  { prefix: '11A', category: 'Geo' },
  { prefix: '11C', category: 'Geo' },
  { prefix: '11D', category: 'Fire' },
  { prefix: '12', category: 'Health' },
  { prefix: '13', category: 'Security' },
  { prefix: '', category: 'Other' },
];

/** CAP status values that may go on air (Exercise as a drill); System, Test and Draft are recorded only. */
export const CAP_AIRED_STATUS: Readonly<Record<string, 'real' | 'platformDrill'>> = {
  Actual: 'real',
  Exercise: 'platformDrill',
};

/** How long an alert without <expires> stays open, ms. */
export const CAP_DEFAULT_DURATION_MS = 2 * 3600_000;
