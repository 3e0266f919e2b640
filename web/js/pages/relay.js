// 排期周表 (#/relay/<area>?week=<Monday>): the schedules reaching a region over a week (Asia/Shanghai days, Monday
// first) from GET /api/relay/week — seven columns, each slot placed by its time; what is on air, what is under review
// and what is a draft drawn apart; a slot that yields part of its time to a stronger one on some terminals (the day
// view's conflict rule) marked. A slot opens its schedule (edit, review). Follows /live kind `relay`.
import { get } from '../api.js';
import { $, coalesce, esc, say } from '../dom.js';
import { chinaDay } from '../format.js';
import { live } from '../live.js';
import { regionName, regionOrDefault } from '../regions.js';
import {
  CLASSES,
  SCHEDULE_STATES,
  WEEKDAYS,
  clockTime,
  dayNumber,
  dayOf,
  isDay,
  mondayOf,
  regionOptions,
  relayTabs,
  secondsOf,
  short,
} from '../relay-common.js';

const HOUR_PX = 48;

/** The blocks of one day: on air, and the working revision where it differs; with lanes for overlaps. */
function blocksOf(week, date, i) {
  const out = [];
  for (const s of week.schedules) {
    const d = s.days[i];
    const yields = week.conflicts.filter((c) => c.date === date && c.scheduleId === s.id);
    if (d.onAir)
      out.push({
        s,
        span: d.onAir,
        kind: s.state === 'submitted' && same(d.onAir, d.working) ? 'pending' : 'published',
        yields,
      });
    if (d.working && !same(d.onAir, d.working))
      out.push({ s, span: d.working, kind: s.state === 'submitted' ? 'pending' : 'draft', yields: [] });
  }
  out.sort((a, b) => secondsOf(a.span.start) - secondsOf(b.span.start));
  // lanes side by side within each run of overlapping blocks
  let cluster = [];
  let clusterEnd = -1;
  let lanes = [];
  const close = () => cluster.forEach((b) => (b.lanes = lanes.length));
  for (const b of out) {
    const from = secondsOf(b.span.start);
    if (from >= clusterEnd) {
      close();
      cluster = [];
      lanes = [];
    }
    let lane = lanes.findIndex((end) => end <= from);
    if (lane < 0) lane = lanes.push(0) - 1;
    lanes[lane] = secondsOf(b.span.end);
    b.lane = lane;
    cluster.push(b);
    clusterEnd = Math.max(clusterEnd, secondsOf(b.span.end));
  }
  close();
  return out;
}

const same = (a, b) => !!a && !!b && a.start === b.start && a.end === b.end;
const KIND_NAMES = { published: '已发布', pending: '待审核', draft: '草稿' };

function blockHtml(b, firstHour) {
  const top = ((secondsOf(b.span.start) / 3600 - firstHour) * HOUR_PX).toFixed(1);
  const height = Math.max(((secondsOf(b.span.end) - secondsOf(b.span.start)) / 3600) * HOUR_PX, 16).toFixed(1);
  const width = 100 / b.lanes;
  const conflict = b.yields.length
    ? b.yields
        .map(
          (y) =>
            `${clockTime(y.from).slice(0, 5)}–${clockTime(y.to).slice(0, 5)} 让位于 #${y.toScheduleId}（${y.terminals} 台终端）`,
        )
        .join('；')
    : '';
  const title = `${b.s.programmeName} ${short(b.span.start)}–${short(b.span.end)} ${KIND_NAMES[b.kind]}${b.s.state === 'withdrawn' ? '（已停播）' : ''}${conflict ? `；${conflict}` : ''}`;
  return `<a class="slot ${b.kind}${conflict ? ' conflict' : ''} class-${b.s.priorityClass}" href="#/schedule/${b.s.id}" data-schedule="${b.s.id}" data-kind="${b.kind}" title="${esc(title)}"
    style="top:${top}px;height:${height}px;left:${(b.lane * width).toFixed(2)}%;width:${width.toFixed(2)}%">
    <b>${esc(b.s.programmeName)}</b> <span>${short(b.span.start)}–${short(b.span.end)}</span>
    <small>${KIND_NAMES[b.kind]}${conflict ? ' · ⚠ 冲突让位' : ''}</small></a>`;
}

function gridHtml(week, today) {
  const spans = week.schedules.flatMap((s) => s.days.flatMap((d) => [d.onAir, d.working].filter(Boolean)));
  const firstHour = Math.min(6, ...spans.map((x) => Math.floor(secondsOf(x.start) / 3600)));
  const lastHour = Math.max(22, ...spans.map((x) => Math.ceil(secondsOf(x.end) / 3600)));
  const hours = Array.from({ length: lastHour - firstHour }, (_, i) => firstHour + i);
  const height = hours.length * HOUR_PX;
  const head = week.days
    .map(
      (d, i) =>
        `<div class="wk-head${d === today ? ' today' : ''}" data-day="${d}">周${WEEKDAYS[i]} <small>${d.slice(5)}</small></div>`,
    )
    .join('');
  const cols = week.days
    .map(
      (d, i) =>
        `<div class="wk-col${d === today ? ' today' : ''}" data-day="${d}" style="height:${height}px">${blocksOf(
          week,
          d,
          i,
        )
          .map((b) => blockHtml(b, firstHour))
          .join('')}</div>`,
    )
    .join('');
  const axis = hours
    .map((h) => `<div class="wk-hour" style="height:${HOUR_PX}px">${String(h).padStart(2, '0')}:00</div>`)
    .join('');
  return `<div class="week-grid" id="rl-grid"><div class="wk-corner"></div>${head}<div class="wk-axis">${axis}</div>${cols}</div>`;
}

export async function mount(view, ctx) {
  const area = regionOrDefault(ctx.arg);
  if (!area) {
    view.innerHTML = '<p class="msg error">您的账号没有可见的区域。</p>';
    return undefined;
  }
  const today = chinaDay(0);
  const asked = ctx.query.get('week');
  const monday = mondayOf(isDay(asked) ? asked : today);
  const href = (code, m = monday) => `#/relay/${code}${m !== mondayOf(today) ? `?week=${m}` : ''}`;
  const officer = ctx.can('compose');
  view.innerHTML = `
    ${relayTabs('week', area)}
    <h1>排期周表 <small class="muted" id="rl-week"></small></h1>
    <div class="toolbar">
      <label>区域 <select id="rl-area">${regionOptions(area)}</select></label>
      <a class="chip" href="${href(area, dayOf(dayNumber(monday) - 7))}" id="rl-prev">‹ 上一周</a>
      <a class="chip" href="${href(area, mondayOf(today))}">本周</a>
      <a class="chip" href="${href(area, dayOf(dayNumber(monday) + 7))}" id="rl-next">下一周 ›</a>
      ${officer ? '<a class="button" href="#/programme/new">新建节目</a> <a class="button primary" href="#/schedule/new" id="rl-new-schedule">新建排期</a>' : ''}
    </div>
    <p class="legend"><span class="slot-key published">已发布（播出）</span><span class="slot-key pending">待审核</span><span class="slot-key draft">草稿（不播出）</span><span class="slot-key conflict">冲突：部分时间让位于更高优先级</span></p>
    <div id="rl-grid-box"></div>
    <table class="grid" id="rl-list"><thead><tr><th>排期</th><th>节目</th><th>级别</th><th>状态</th></tr></thead><tbody></tbody></table>
    <p id="rl-msg" class="msg" hidden role="status"></p>`;
  $('#rl-area', view).addEventListener('change', (e) => (location.hash = href(e.target.value)));
  const load = async () => {
    const week = await get('/api/relay/week', { from: monday, areaCode: area });
    if (ctx.stale()) return;
    $('#rl-week', view).textContent = `${regionName(area)} · ${week.days[0]} 至 ${week.days[6]}`;
    $('#rl-grid-box', view).innerHTML = gridHtml(week, today);
    $('#rl-list tbody', view).innerHTML =
      week.schedules
        .map(
          (s) =>
            `<tr data-schedule="${s.id}"><td><a href="#/schedule/${s.id}">#${s.id} 第 ${s.revision} 版</a></td><td>${esc(s.programmeName)}</td><td>${esc(CLASSES[s.priorityClass])}</td>
            <td>${esc(SCHEDULE_STATES[s.state])}${s.onAir && s.state !== 'published' ? '（旧版播出中）' : ''}${s.programmeChanged ? '（节目已改，待重新审核）' : ''}</td></tr>`,
        )
        .join('') || '<tr><td colspan="4" class="muted">本周此区域没有排期</td></tr>';
  };
  const reload = coalesce(() => void load().catch((err) => say($('#rl-msg', view), err.message, 'error')));
  const off = live.on('relay', (changes) => changes.some((c) => c.kind === 'schedule') && reload());
  const release = await live.subscribe('relay', null);
  await load();
  return () => {
    off();
    release();
  };
}
