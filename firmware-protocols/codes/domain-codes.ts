/**
 * Domain code tables (docs/domain.md), kept as data so they can be extended and corrected in one place.
 */

/** Severity: 1 = Ⅰ级 特别严重 红色 … 4 = Ⅳ级 一般 蓝色; 0 = unspecified. */
export const SEVERITIES = [
  { code: 0, roman: '', name: '未定', color: '' },
  { code: 1, roman: 'Ⅰ', name: '特别严重', color: '红色' },
  { code: 2, roman: 'Ⅱ', name: '严重', color: '橙色' },
  { code: 3, roman: 'Ⅲ', name: '较重', color: '黄色' },
  { code: 4, roman: 'Ⅳ', name: '一般', color: '蓝色' },
] as const;
export type Severity = (typeof SEVERITIES)[number]['code'];

/** Message type: 1 real broadcast, 2 cancel, 3 platform drill, 4 front-end drill, 5 terminal drill. */
export const MESSAGE_TYPES = { real: 1, cancel: 2, platformDrill: 3, frontEndDrill: 4, terminalDrill: 5 } as const;
export type MessageType = (typeof MESSAGE_TYPES)[keyof typeof MESSAGE_TYPES];

/** Broadcast class on the adapter link: 1 system drill, 2 simulated drill, 3 real drill, 4 emergency, 5 daily. */
export const BROADCAST_CLASSES = { systemDrill: 1, simulatedDrill: 2, realDrill: 3, emergency: 4, daily: 5 } as const;
export type BroadcastClass = (typeof BROADCAST_CLASSES)[keyof typeof BROADCAST_CLASSES];

export function isDrillClass(c: number): boolean {
  return (
    c === BROADCAST_CLASSES.systemDrill || c === BROADCAST_CLASSES.simulatedDrill || c === BROADCAST_CLASSES.realDrill
  );
}

export type MessageTypeKey = keyof typeof MESSAGE_TYPES;
export const MESSAGE_TYPE_KEYS = Object.keys(MESSAGE_TYPES) as MessageTypeKey[];

/**
 * The broadcast class a message type travels with — our reading, kept here to be corrected against the standard:
 * real broadcasts and cancels are emergencies (4); a platform drill is a system drill (1), a front-end drill a simulated
 * drill (2), a terminal drill a real drill (3, the loudspeakers sound). Drills are thus visible on every terminal.
 */
export const MESSAGE_TYPE_CLASS: Readonly<Record<MessageTypeKey, BroadcastClass>> = {
  real: BROADCAST_CLASSES.emergency,
  cancel: BROADCAST_CLASSES.emergency,
  platformDrill: BROADCAST_CLASSES.systemDrill,
  frontEndDrill: BROADCAST_CLASSES.simulatedDrill,
  terminalDrill: BROADCAST_CLASSES.realDrill,
};

export function broadcastClassOf(messageType: MessageTypeKey): BroadcastClass {
  return MESSAGE_TYPE_CLASS[messageType];
}

export function isDrillMessage(messageType: MessageTypeKey): boolean {
  return isDrillClass(broadcastClassOf(messageType));
}

export interface EventType {
  code: string;
  name: string;
  /** Severities this event type has; some lack some levels. */
  severities: readonly number[];
}

/** Event types (5 characters). Extensible: add rows; codes outside 11Bxx are our reading and marked as such. */
export const EVENT_TYPES: readonly EventType[] = [
  { code: '11B01', name: '台风', severities: [1, 2, 3, 4] },
  { code: '11B03', name: '暴雨', severities: [1, 2, 3, 4] },
  { code: '11B04', name: '暴雪', severities: [1, 2, 3, 4] },
  { code: '11B05', name: '寒潮', severities: [1, 2, 3, 4] },
  { code: '11B06', name: '大风', severities: [1, 2, 3, 4] },
  { code: '11B07', name: '沙尘暴', severities: [1, 2, 3] },
  { code: '11B09', name: '高温', severities: [1, 2, 3] },
  { code: '11B14', name: '雷电', severities: [1, 2, 3] },
  { code: '11B15', name: '冰雹', severities: [2, 3] },
  { code: '11B16', name: '霜冻', severities: [2, 3, 4] },
  { code: '11B17', name: '大雾', severities: [1, 2, 3] },
  { code: '11B19', name: '霾', severities: [2, 3] },
  { code: '11B20', name: '雷雨大风', severities: [1, 2, 3, 4] },
  { code: '11B21', name: '道路结冰', severities: [1, 2, 3] },
  { code: '11B22', name: '干旱', severities: [1, 2] },
  { code: '11B35', name: '连阴雨', severities: [2, 3, 4] },
  // our reading of other categories (flood, geology, fire, earthquake, epidemic, public security)
  { code: '11A01', name: '洪水', severities: [1, 2, 3, 4] },
  { code: '11D01', name: '森林火灾', severities: [1, 2, 3, 4] },
  { code: '11C01', name: '地震', severities: [1, 2, 3, 4] },
  { code: '11A51', name: '山体滑坡', severities: [1, 2, 3, 4] },
  { code: '12A01', name: '传染病疫情', severities: [1, 2, 3, 4] },
  { code: '13A01', name: '社会安全事件', severities: [1, 2, 3, 4] },
  { code: '10000', name: '其他', severities: [0, 1, 2, 3, 4] },
];

export function findEventType(code: string): EventType | undefined {
  return EVENT_TYPES.find((e) => e.code === code);
}

/** Terminal state reported back (回传): 1 on/normal, 2 off/stopped, 3 fault, 4 fault recovered, 5 broadcasting. */
export const TERMINAL_STATES = { normal: 1, stopped: 2, fault: 3, recovered: 4, broadcasting: 5 } as const;
export type TerminalState = (typeof TERMINAL_STATES)[keyof typeof TERMINAL_STATES];

/** Broadcast state: 0 unprocessed, 1 waiting, 2 broadcasting, 3 success, 4 failed, 5 cancelled. */
export const BROADCAST_STATES = {
  unprocessed: 0,
  waiting: 1,
  broadcasting: 2,
  success: 3,
  failed: 4,
  cancelled: 5,
} as const;

/**
 * Faults. Codes 1–5 are the standard's; 16+ are vendor faults (our numbering). `bit` is the bit in the terminal's
 * fault bitmap register (terminal-modbus PROTOCOL.md), so one table drives wire, registry and UI.
 */
export const FAULTS = [
  { code: 1, bit: 0, key: 'supplyCurrentLow', name: '供电电流低' },
  { code: 2, bit: 1, key: 'averagePowerLow', name: '平均功率低' },
  { code: 3, bit: 2, key: 'amplifierOutputLow', name: '功放输出电压低' },
  { code: 4, bit: 3, key: 'fieldStrengthLow', name: '接收场强低' },
  { code: 5, bit: 4, key: 'monitoringUnavailable', name: '监测不可用' },
  { code: 16, bit: 5, key: 'speakerLineOpen', name: '喇叭线路开路' },
  { code: 17, bit: 6, key: 'speakerLineShort', name: '喇叭线路短路' },
  { code: 18, bit: 7, key: 'mainsLost', name: '市电断开(电池供电)' },
  { code: 19, bit: 8, key: 'tamper', name: '防拆报警' },
  { code: 20, bit: 9, key: 'overTemperature', name: '温度过高' },
] as const;
export type FaultKey = (typeof FAULTS)[number]['key'];

export function faultsFromBitmap(bitmap: number): FaultKey[] {
  return FAULTS.filter((f) => (bitmap & (1 << f.bit)) !== 0).map((f) => f.key);
}

export function bitmapFromFaults(keys: readonly FaultKey[]): number {
  return FAULTS.filter((f) => keys.includes(f.key)).reduce((m, f) => m | (1 << f.bit), 0);
}

/** Task source on a terminal: 1 emergency, 2 daily, 3 phone, 4 SMS, 5 mixer/line-in, 6 USB. */
export const TASK_SOURCES = { emergency: 1, daily: 2, phone: 3, sms: 4, lineIn: 5, usb: 6 } as const;
