// What the daily relay's pages (日常广播) share: names in Chinese, calendar arithmetic on China days, the tabs between
// 排期周表 / 今日播出 / 播出记录 / 节目, a region picker, and field errors from the API's 400 placed beside the field.
import { ApiError } from './api.js';
import { esc, say } from './dom.js';
import { regionRoots } from './regions.js';

export const CLASSES = { county: '县级', town: '镇级', village: '村级' };
export const SCHEDULE_STATES = { draft: '草稿', submitted: '待审核', published: '已发布', withdrawn: '已停播' };
export const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];
export const RECURRENCE_KINDS = {
  daily: '每天',
  weekdays: '工作日（周一至周五）',
  weekly: '每周指定几天',
  dates: '指定日期',
  once: '单次',
};
const DAY_MS = 86_400_000;

export const dayNumber = (d) => Date.parse(`${d}T00:00:00Z`) / DAY_MS;
export const dayOf = (n) => new Date(n * DAY_MS).toISOString().slice(0, 10);
/** ISO weekday, 1 Monday … 7 Sunday. */
export const weekday = (d) => ((new Date(dayNumber(d) * DAY_MS).getUTCDay() + 6) % 7) + 1;
export const mondayOf = (d) => dayOf(dayNumber(d) - weekday(d) + 1);
export const isDay = (d) => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(dayNumber(d));
/** Seconds after midnight of `HH:MM[:SS]`. */
export const secondsOf = (t) => {
  const [h, m, s] = t.split(':').map(Number);
  return h * 3600 + m * 60 + (s || 0);
};
export const short = (t) => (t.endsWith(':00') && t.length === 8 ? t.slice(0, 5) : t);
/** Seconds after China midnight of an instant. */
export const chinaSeconds = (iso) => ((Date.parse(iso) + 8 * 3_600_000) % DAY_MS) / 1000;
const hhmmss = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
export const clockTime = (iso) => (iso ? hhmmss.format(Date.parse(iso)) : '—');

export function sourceText(s) {
  if (!s) return '—';
  switch (s.kind) {
    case 'fm':
      return `调频 ${(s.frequency / 100).toFixed(1)} MHz`;
    case 'line-in':
      return `线路输入 ${s.channel}`;
    case 'ip':
      return `IP 流 ${s.stream}`;
    default:
      return `节目单（${s.clipIds?.length ?? 0} 段）`;
  }
}

/** The relay's tabs; `area` keeps the region when moving between them. */
export function relayTabs(active, area) {
  const a = area ? `/${area}` : '';
  const tabs = [
    ['week', `#/relay${a}`, '排期周表'],
    ['today', `#/relay-today${a}`, '今日播出'],
    ['asrun', `#/asrun${a}`, '播出记录'],
    ['programmes', '#/programmes', '节目'],
  ];
  return `<nav class="subtabs" aria-label="日常广播">${tabs.map(([k, href, label]) => `<a class="chip${k === active ? ' active' : ''}" href="${href}" data-tab="${k}">${label}</a>`).join('')}</nav>`;
}

/** Every region the user sees, indented by depth, as <option>s. */
export function regionOptions(selected) {
  const out = [];
  const walk = (n, depth) => {
    out.push(
      `<option value="${esc(n.code)}"${n.code === selected ? ' selected' : ''}>${'　'.repeat(depth)}${esc(n.name)}</option>`,
    );
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const r of regionRoots()) walk(r, 0);
  return out.join('');
}

/**
 * Puts each field message of an API 400 beside its field: `.field-error[data-for=…]` for the field's path, or for the
 * nearest enclosing path (`source.clipIds.0` → `source.clipIds` → `source`). The rest goes to the message line.
 */
export function showFieldErrors(form, err, names, msg) {
  const details = err instanceof ApiError && Array.isArray(err.body?.details) ? err.body.details : [];
  let placed = 0;
  const rest = [];
  for (const d of details) {
    const parts = String(d.field ?? '').split('.');
    let el = null;
    while (parts.length && !el) {
      el = form.querySelector(`.field-error[data-for="${parts.join('.')}"]`);
      if (!el) parts.pop();
    }
    const name = names[parts.join('.')] ?? d.field;
    if (el) {
      el.textContent = `${el.textContent ? `${el.textContent}；` : ''}${name}：${d.message}`;
      placed++;
    } else rest.push(`${name}：${d.message}`);
  }
  const head = err.message.split('（')[0];
  say(msg, placed ? `${head}，请检查标红的项目。${rest.join('；')}` : err.message, 'error');
}

export const clearFieldErrors = (form) => form.querySelectorAll('.field-error').forEach((e) => (e.textContent = ''));

/** Why a terminal did not start (its delivery's state or the engine's reason). */
const NOT_STARTED = {
  unreachable: '终端不可达（离线或总线中断）',
  failed: '开播失败',
  preempted: '被更高优先级占用',
  waiting: '等待开播',
};

/** An as-run interruption's cause (the server writes it in English) in words; the original stays in the title. */
export function causeText(cause) {
  let m = /^preempted by alert (\d+)/.exec(cause);
  if (m) return `应急插播（预警 ${m[1]}）`;
  m = /^not started: (.*)$/.exec(cause);
  if (m) return `未开播：${NOT_STARTED[m[1]] ?? m[1]}`;
  if (/^late start:/.test(cause)) return '迟开播（服务器当时未运行，或开始后才发布）';
  if (/^held play cut by a restart/.test(cause)) return '终端自主播出因终端重启中断';
  if (/^held play not started/.test(cause)) return '终端自主播出未开播（信源不可用）';
  m = /^watch: signal (\d+) below (\d+)/.exec(cause);
  if (m) return `信号弱（${m[1]}，门限 ${m[2]}）`;
  m = /^watch: fell back to (.*)$/.exec(cause);
  if (m) return `切换到备用信源 ${m[1]}`;
  m = /^watch: plays (.*) instead of the programme$/.exec(cause);
  if (m) return `在播其他节目（${m[1]}）`;
  m = /^watch: plays (.*) instead of (.*)$/.exec(cause);
  if (m) return `信源不符（播 ${m[1]}，应为 ${m[2]}）`;
  if (/^watch: silent/.test(cause)) return '无声';
  if (/^removed from the published schedule/.test(cause)) return '已从发布的排期中撤下';
  return cause;
}

export const isAlertCut = (cause) => /^preempted by alert/.test(cause);
