// How things read in Chinese: terminal states, faults, sources, priorities, alarm kinds, roles, times (Asia/Shanghai).
// The code tables mirror firmware-protocols/codes (domain-codes.ts, priority.ts) and terminal-modbus SOURCES.

export const FAULT_NAMES = {
  supplyCurrentLow: '供电电流低',
  averagePowerLow: '平均功率低',
  amplifierOutputLow: '功放输出电压低',
  fieldStrengthLow: '接收场强低',
  monitoringUnavailable: '监测不可用',
  speakerLineOpen: '喇叭线路开路',
  speakerLineShort: '喇叭线路短路',
  mainsLost: '市电断开(电池供电)',
  tamper: '防拆报警',
  overTemperature: '温度过高',
  // found by a terminal's self-test (src/selftest/self-test-outcome.ts faultKey)
  supplyLow: '供电电压低',
  batteryLow: '电池电压低',
};

export const faultName = (key) => FAULT_NAMES[key] ?? key;

const SOURCES = {
  none: '无',
  stored: '存储音频',
  fm: '调频转播',
  'line-in': '线路输入',
  ip: 'IP 音频流',
  tone: '测试音',
};
export const sourceName = (s) => SOURCES[s] ?? s ?? '—';

const STATES = { 1: '正常', 2: '停止', 3: '故障', 4: '故障恢复', 5: '播放中' };
export const terminalStateName = (n) => (n === null || n === undefined ? '—' : (STATES[n] ?? `状态 ${n}`));

const CLASSES = { 1: '系统演练', 2: '模拟演练', 3: '实际演练', 4: '应急', 5: '日常' };
export const broadcastClassName = (n) => CLASSES[n] ?? '';
export const isDrillClass = (n) => n === 1 || n === 2 || n === 3;

/** Priority table (docs/domain.md): lower number wins. */
export function priorityName(p) {
  if (p === null || p === undefined) return '—';
  if (p === 0) return '上级应急转播';
  if (p >= 1 && p <= 4) return `应急 ${['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ'][p - 1]}级`;
  if (p === 5) return '演练/测试';
  if (p === 6) return '县级日常';
  if (p === 7) return '乡镇';
  if (p === 8) return '村级';
  if (p >= 15) return '空闲';
  return `优先级 ${p}`;
}

const ROLES = { admin: '管理员', officer: '值班员', approver: '审核员', technician: '运维技术员', viewer: '只读用户' };
export const roleNames = (roles) => roles.map((r) => ROLES[r] ?? r).join('、');

const ALARM_KINDS = {
  'terminal-offline': '终端离线',
  'bus-down': '总线中断',
  'town-uplink': '乡镇链路中断',
  fault: '终端故障',
  'relay-silent': '日常广播无声',
  'relay-source': '日常广播音源不符',
  'relay-signal': '日常广播信号弱',
  'self-test': '自检发现故障',
  'held-table': '断网续播表未写入',
};
export const alarmKindName = (k) => ALARM_KINDS[k] ?? k;

const CONNECTIONS = { connected: '已连接', connecting: '连接中', disconnected: '已断开', stopped: '已停止' };
export const connectionName = (c) => CONNECTIONS[c] ?? c ?? '—';

const CONNECTIVITY = { online: '在线', suspect: '在线(通信不稳)', offline: '离线', unknown: '未知' };
export const connectivityName = (c) => CONNECTIVITY[c] ?? c;

/**
 * What a technician sees first about a terminal: 在线 / 离线 / 故障 / 播放中 (and 未知 before its first poll),
 * with the CSS class of its chip. `t` is the live state (live-payload.ts) or undefined when not polled.
 */
export function displayState(t) {
  if (!t) return { key: 'none', label: '未接入' };
  if (t.connectivity === 'unknown') return { key: 'unknown', label: '未知' };
  if (!t.online) return { key: 'offline', label: '离线' };
  if (t.state === 3 || t.faults.length > 0) return { key: 'fault', label: '故障' };
  if (t.state === 5) return { key: 'playing', label: '播放中' };
  return { key: 'online', label: t.connectivity === 'suspect' ? '在线(不稳)' : '在线' };
}

const TZ = 'Asia/Shanghai';
const dateTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const timeOnly = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TZ,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

const toMs = (v) => (v === null || v === undefined ? null : typeof v === 'number' ? v : Date.parse(v));

export function formatTime(v) {
  const ms = toMs(v);
  return ms === null || Number.isNaN(ms) ? '—' : dateTime.format(ms).replace(/\//g, '-');
}

/** Today's time only when it is today (China time), else date and time. */
export function formatShortTime(v) {
  const ms = toMs(v);
  if (ms === null || Number.isNaN(ms)) return '—';
  const day = (x) => dateTime.format(x).slice(0, 10);
  return day(ms) === day(Date.now()) ? timeOnly.format(ms) : formatTime(ms);
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} 秒`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} 分钟`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} 小时 ${m % 60} 分`;
  return `${Math.floor(h / 24)} 天 ${h % 24} 小时`;
}

export function ago(v) {
  const ms = toMs(v);
  if (ms === null || Number.isNaN(ms)) return '—';
  const d = Date.now() - ms;
  return d < 5000 ? '刚刚' : `${formatDuration(d)}前`;
}

export function percent(p) {
  return p === null || p === undefined ? '—' : `${p.toFixed(2)}%`;
}

export function unit(v, u, digits = 1) {
  return v === null || v === undefined ? '—' : `${Number(v).toFixed(digits)} ${u}`;
}

/** Day YYYY-MM-DD in China time, `daysAgo` days before now. */
export function chinaDay(daysAgo = 0) {
  const d = new Date(Date.now() - daysAgo * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    d,
  );
}

const ERROR_KINDS = {
  timeout: '超时',
  crc: 'CRC 校验错',
  disconnected: '连接断开',
  backoff: '退避跳过',
  deadline: '超过时限',
  'wrong-unit': '单元号不符',
  'short-reply': '应答不完整',
  protocol: '协议错误',
  exception: '异常应答',
  refused: '拒绝执行',
  silence: '长时间无应答',
};
/** A bus error kind (the server's lastError / errorCounts keys) in Chinese. */
export const errorKindName = (k) => (k === null || k === undefined ? '' : (ERROR_KINDS[k] ?? k));

const FIELDS = {
  connectivity: '连通',
  reading: '首次读数',
  state: '状态',
  priority: '优先级',
  source: '音源',
  playing: '播放内容',
  broadcastClass: '广播类别',
  volume: '音量',
  faults: '故障',
  supplyVoltage: '供电电压',
  temperature: '温度',
  signalQuality: '信号',
};
/** The changed fields of a status-history entry, in Chinese. */
export const fieldNames = (fields) => fields.map((f) => FIELDS[f] ?? f).join('、');

// ---- alerts ----
export const ALERT_STATES = {
  draft: '草稿',
  submitted: '待审核',
  approved: '已批准',
  scheduled: '待播发',
  dispatching: '播发中',
  completed: '已完成',
  'partially-completed': '部分完成',
  failed: '失败',
  cancelled: '已取消',
  expired: '已过期',
};
export const alertStateName = (s) => ALERT_STATES[s] ?? s;
/** The message classes a composer picks from, with how each reads; drills and tests sound (or not) as marked. */
export const MESSAGE_TYPES = {
  real: '实际播发',
  cancel: '取消播发',
  platformDrill: '平台测试（喇叭不响）',
  frontEndDrill: '前端演练',
  terminalDrill: '终端演练（喇叭发声）',
};
export const messageTypeName = (m) => MESSAGE_TYPES[m] ?? m;
export const SEVERITY_CLASS = { 1: 'red', 2: 'orange', 3: 'yellow', 4: 'blue' };
export const SEVERITY_NAMES = {
  0: '未定级',
  1: 'Ⅰ级 特别严重（红色）',
  2: 'Ⅱ级 严重（橙色）',
  3: 'Ⅲ级 较重（黄色）',
  4: 'Ⅳ级 一般（蓝色）',
};
export const DELIVERY_STATES = {
  pending: '待发',
  transferring: '传输中',
  ready: '就绪',
  playing: '播放中',
  played: '已播放',
  failed: '失败',
  unreachable: '不可达',
  preempted: '被抢占',
  cancelled: '已取消',
};
export const BROADCAST_STATES = {
  planned: '待播',
  running: '播发中',
  completed: '已完成',
  partial: '部分完成',
  failed: '失败',
  cancelled: '已取消',
};

/** A China-time `datetime-local` value (YYYY-MM-DDTHH:mm) for a time, and back. */
export function toChinaInput(ms) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: TZ,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    })
      .formatToParts(ms)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour === '24' ? '00' : p.hour}:${p.minute}`;
}
export function fromChinaInput(value) {
  if (!value) return null;
  const ms = Date.parse(`${value}:00+08:00`);
  return Number.isNaN(ms) ? null : ms;
}

/** Why a delivery did not reach its terminal, in words (the server's own text stays beside it, for technicians). */
const REASONS = [
  [/restarted during the play/, '播放期间终端重启（如停电），未播完'],
  [/outranked/, '终端正在播放更高优先级的内容'],
  [/no open bus reaches|not located/, '找不到终端所在总线（终端或网关未启用）'],
  [/cancel/, '播发已取消'],
  [/not stored|refused/, '终端拒绝播放'],
  [/clip prepare|chunk|commit|transfer/, '音频传送到终端时终端无应答'],
  [/timeout|no answer|failed to respond|unreachable|silent/, '终端无应答（断电、线路或网关故障）'],
  [/disconnect|connection|ECONNREFUSED|closed/, '网关连接中断'],
  [/engine error/, '调度程序出错'],
];
export function reasonText(reason) {
  if (!reason) return '';
  return REASONS.find(([re]) => re.test(reason))?.[1] ?? reason;
}
