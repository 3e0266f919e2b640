// 今日播出 (#/relay-today/<area>): today's relay per terminal group (the villages and groups of the region) on one
// time line — the slots planned by the day view, the cuts by alerts and the watch's findings from the as-run rows —
// and, now, where the programme plays and where it does not: cut by an alert, silent, on another source, weak signal
// (the watch's alarms), not started. The as-run rows arrive over /live kind `relay`, the alarms over the alarm
// feed; the clock only moves the "now" line over data already held.
import { get, getAll } from '../api.js';
import { $, coalesce, esc, say, setHtml } from '../dom.js';
import { alarmKindName, chinaDay } from '../format.js';
import { live } from '../live.js';
import { onTick } from '../clock.js';
import { areaPrefix, regionName, regionOrDefault } from '../regions.js';
import { causeText, chinaSeconds, clockTime, isAlertCut, regionOptions, relayTabs } from '../relay-common.js';

const RELAY_ALARMS = new Set(['relay-silent', 'relay-source', 'relay-signal']);
const pct = (sec, first, span) => `${(((sec - first * 3600) / (span * 3600)) * 100).toFixed(2)}%`;
const nowSeconds = () => chinaSeconds(new Date().toISOString());
const rowKey = (r) => `${r.terminalId}:${r.scheduleId}:${r.plannedStart}`;

/** What one terminal does now, from its slot plan, its as-run row and the relay alarms naming it. */
function stateNow(t, rows, alarms, now) {
  const slot = t.slots.find((s) => s.plays.some((p) => Date.parse(p.from) <= now && now < Date.parse(p.to)));
  if (!slot) return { key: 'idle' };
  const row = rows.get(`${t.terminalId}:${slot.scheduleId}:${slot.start}`);
  const open = row?.interruptions.find((i) => !i.to);
  const alarm = alarms.get(t.terminalId);
  if (open && isAlertCut(open.cause)) return { key: 'alert', slot, text: causeText(open.cause) };
  if (alarm) return { key: alarm, slot, text: alarmKindName(alarm) };
  if (open) return { key: 'problem', slot, text: causeText(open.cause) };
  if (row?.actualStart && !row.actualEnd) return { key: 'playing', slot, text: row.source ?? '' };
  return { key: 'waiting', slot, text: '等待开播' };
}

export async function mount(view, ctx) {
  const area = regionOrDefault(ctx.arg);
  if (!area) {
    view.innerHTML = '<p class="msg error">您的账号没有可见的区域。</p>';
    return undefined;
  }
  const today = chinaDay(0);
  const zoom = ctx.query.get('zoom') === '1';
  view.innerHTML = `
    ${relayTabs('today', area)}
    <h1>今日播出 <small class="muted">${esc(regionName(area))} · ${today}</small></h1>
    <div class="toolbar"><label>区域 <select id="rt-area">${regionOptions(area)}</select></label>
      <span class="filters"><a class="chip${zoom ? '' : ' active'}" href="#/relay-today/${area}" id="rt-whole">全天</a><a class="chip${zoom ? ' active' : ''}" href="#/relay-today/${area}?zoom=1" id="rt-zoom">此刻前后 1 小时</a></span></div>
    <div class="cards" id="rt-cards"></div>
    <p class="legend"><span class="slot-key published">计划播出</span><span class="slot-key yield">让位于更高优先级</span><span class="slot-key alert">应急插播</span><span class="slot-key problem">异常（无声、信源不符、信号弱、未开播）</span><span class="slot-key now">现在</span></p>
    <table class="grid relay-timeline" id="rt-table"><thead><tr><th>区域</th><th>此刻</th><th class="tl-head" id="rt-hours"></th></tr></thead><tbody></tbody></table>
    <h2>未在正常播出的终端</h2>
    <table class="grid" id="rt-problems"><thead><tr><th>终端</th><th>区域</th><th>节目</th><th>情况</th></tr></thead><tbody></tbody></table>
    <p id="rt-msg" class="msg" hidden role="status"></p>`;
  $('#rt-area', view).addEventListener('change', (e) => (location.hash = `#/relay-today/${e.target.value}`));
  const prefix = areaPrefix(area);
  let day = { terminals: [] };
  const rows = new Map();
  const names = new Map();

  const draw = () => {
    const now = Date.now();
    const alarms = new Map();
    for (const a of live.alarms.values())
      if (RELAY_ALARMS.has(a.kind)) for (const id of a.terminalIds ?? [a.terminalId]) alarms.set(id, a.kind);
    const slots = day.terminals.flatMap((t) => t.slots);
    // the whole day's hours with a slot (at least 06–22), or the two hours around now
    const first = zoom
      ? nowSeconds() / 3600 - 1
      : Math.min(6, ...slots.map((s) => Math.floor(chinaSeconds(s.start) / 3600)));
    const last = zoom ? first + 2 : Math.max(22, ...slots.map((s) => Math.ceil(chinaSeconds(s.end) / 3600) || 24));
    const span = last - first;
    const ticks = zoom
      ? Array.from({ length: 9 }, (_, i) => Math.ceil(first * 4) / 4 + i / 4).filter((h) => h <= last)
      : Array.from({ length: span + 1 }, (_, i) => first + i);
    const tick = (h) => `${Math.floor(h)}${zoom ? `:${String(Math.round((h % 1) * 60)).padStart(2, '0')}` : ''}`;
    const at = (iso) => pct(chinaSeconds(iso), first, span);
    const width = (from, to) => `${(((Date.parse(to) - Date.parse(from)) / 1000 / (span * 3600)) * 100).toFixed(2)}%`;
    setHtml(
      $('#rt-hours', view),
      ticks.map((h) => `<span style="left:${pct(h * 3600, first, span)}">${tick(h)}</span>`).join(''),
    );
    const groups = new Map();
    for (const t of day.terminals) groups.set(t.areaCode, [...(groups.get(t.areaCode) ?? []), t]);
    const counts = { playing: 0, alert: 0, bad: 0, planned: 0 };
    const problems = [];
    const body = [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([code, ts]) => {
        const states = ts.map((t) => ({ t, st: stateNow(t, rows, alarms, now) }));
        const by = (k) => states.filter((x) => x.st.key === k).length;
        const planned = states.filter((x) => x.st.key !== 'idle').length;
        const bad = planned - by('playing') - by('alert') - by('waiting');
        counts.playing += by('playing');
        counts.alert += by('alert');
        counts.bad += bad;
        counts.planned += planned;
        for (const x of states) if (!['idle', 'playing', 'waiting'].includes(x.st.key)) problems.push({ ...x, code });
        const onNow = [...new Set(states.filter((x) => x.st.slot).map((x) => x.st.slot.programmeName))].join('、');
        const seen = new Set();
        const bars = [];
        for (const t of ts)
          for (const s of t.slots) {
            if (seen.has(s.scheduleId)) continue;
            seen.add(s.scheduleId);
            // what it plays in full colour; where it yields to a stronger slot, a hatched strip below
            for (const p of s.plays)
              bars.push(
                `<span class="tl-slot" style="left:${at(p.from)};width:${width(p.from, p.to)}" title="${esc(`${s.programmeName} ${clockTime(p.from)}–${clockTime(p.to)}`)}">${esc(s.programmeName)}</span>`,
              );
            for (const y of s.yields)
              bars.push(
                `<span class="tl-yield" style="left:${at(y.from)};width:${width(y.from, y.to)}" title="${esc(`${s.programmeName} ${clockTime(y.from)}–${clockTime(y.to)} 让位于排期 #${y.toScheduleId}`)}"></span>`,
              );
          }
        const cuts = new Set();
        for (const r of rows.values()) {
          if (!r.areaCode.startsWith(code) || r.areaCode !== code) continue;
          for (const i of r.interruptions) {
            const key = `${i.cause}:${i.from}`;
            if (cuts.has(key)) continue;
            cuts.add(key);
            const to = i.to ?? new Date(Math.min(now, Date.parse(r.plannedEnd))).toISOString();
            bars.push(
              `<span class="tl-cut ${isAlertCut(i.cause) ? 'alert' : 'problem'}" style="left:${at(i.from)};width:${width(i.from, to)}" title="${esc(`${causeText(i.cause)} ${clockTime(i.from)}–${i.to ? clockTime(i.to) : '至今'}`)}" data-cause="${esc(i.cause)}"></span>`,
            );
          }
        }
        const nowLine = `<span class="tl-now" style="left:${pct(nowSeconds(), first, span)}"></span>`;
        const status = planned
          ? `${esc(onNow)}：<b class="good">${by('playing')}</b>/${planned} 台在播${by('alert') ? `，<b class="alert-cut">${by('alert')}</b> 台应急插播` : ''}${bad ? `，<b class="bad">${bad}</b> 台异常` : ''}${by('waiting') ? `，${by('waiting')} 台等待开播` : ''}`
          : '<span class="muted">此刻无节目</span>';
        return `<tr data-group="${code}"><td>${esc(regionName(code))} <small class="muted">${ts.length} 台</small></td><td class="rt-now">${status}</td><td class="tl-cell"><div class="tl-bar">${bars.join('')}${nowLine}</div></td></tr>`;
      });
    setHtml(
      $('#rt-table tbody', view),
      body.join('') || '<tr><td colspan="3" class="muted">今天此区域没有已发布的排期</td></tr>',
    );
    setHtml(
      $('#rt-cards', view),
      `<div class="card"><div class="label">此刻应播</div><div class="value" id="rt-planned">${counts.planned}</div></div>
       <div class="card"><div class="label">正在播出</div><div class="value good" id="rt-playing">${counts.playing}</div></div>
       <div class="card"><div class="label">应急插播</div><div class="value" id="rt-alert">${counts.alert}</div></div>
       <div class="card"><div class="label">未正常播出</div><div class="value ${counts.bad ? 'bad' : ''}" id="rt-bad">${counts.bad}</div></div>`,
    );
    setHtml(
      $('#rt-problems tbody', view),
      problems
        .slice(0, 200)
        .map(
          (x) =>
            `<tr data-terminal="${x.t.terminalId}" data-state="${x.st.key}"><td><a href="#/terminal/${x.t.terminalId}">${esc(names.get(x.t.terminalId) ?? `终端 ${x.t.terminalId}`)}</a></td><td>${esc(regionName(x.code))}</td><td>${esc(x.st.slot?.programmeName ?? '')}</td><td class="${x.st.key === 'alert' ? 'alert-cut' : 'bad'}">${esc(x.st.text)}</td></tr>`,
        )
        .join('') || '<tr><td colspan="4" class="muted">没有</td></tr>',
    );
  };
  const redraw = coalesce(draw);
  const loadDay = async () => {
    day = await get('/api/relay/day', { date: today, areaCode: area });
    if (!ctx.stale()) redraw();
  };
  const loadRows = async () => {
    const report = await get('/api/relay/as-run', { date: today, areaCode: area });
    for (const r of report.items) rows.set(rowKey(r), r);
  };
  const fail = (err) => say($('#rt-msg', view), err.message, 'error');
  const reloadDay = coalesce(() => void loadDay().catch(fail));
  const off = live.on('relay', (changes) => {
    for (const c of changes) {
      if (c.kind === 'asRun' && c.asRun.day === today && c.asRun.areaCode.startsWith(prefix))
        rows.set(rowKey(c.asRun), c.asRun);
      if (c.kind === 'schedule') reloadDay();
    }
    redraw();
  });
  const offAlarms = live.onChange((ch) => ch.alarms && redraw());
  const offTick = onTick(redraw);
  const release = await live.subscribe('relay', null);
  const [, , terminals] = await Promise.all([
    loadDay(),
    loadRows(),
    getAll('/api/terminals', { areaCode: area }).catch(() => []),
  ]);
  for (const t of terminals) names.set(t.id, t.name);
  if (!ctx.stale()) draw();
  return () => {
    off();
    offAlarms();
    offTick();
    release();
  };
}
