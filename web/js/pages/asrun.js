// 播出记录 (#/asrun/<area>?date=<day>): the as-run log of a region's day — per terminal and slot, planned against
// actual start and end, the start offset, the interruptions and their cause, the gap — with the day's on-time rate,
// and the CSV and Excel exports of GET /api/relay/as-run/export. Rows written while the page is open arrive over
// /live kind `relay` and are folded in.
import { get, getAll, session } from '../api.js';
import { $, coalesce, esc, say, setHtml } from '../dom.js';
import { chinaDay } from '../format.js';
import { live } from '../live.js';
import { areaPrefix, regionName, regionOrDefault } from '../regions.js';
import { causeText, clockTime, isAlertCut, isDay, regionOptions, relayTabs } from '../relay-common.js';

const rowKey = (r) => `${r.terminalId}:${r.scheduleId}:${r.plannedStart}`;
const offsetText = (ms) => (ms === null ? '—' : `${ms >= 0 ? '+' : ''}${(ms / 1000).toFixed(1)} 秒`);
const sourceName = (s) => ({ fm: '调频', 'line-in': '线路输入', ip: 'IP 流', stored: '节目单' })[s] ?? s ?? '—';

/** Downloads the export with the session's token (a plain link would carry none). */
async function download(date, area, format) {
  const q = new URLSearchParams({ date, areaCode: area, format });
  const res = await fetch(`/api/relay/as-run/export?${q}`, {
    headers: { authorization: `Bearer ${session.get()?.token}` },
  });
  if (!res.ok) throw new Error(`下载失败（${res.status}）`);
  const name = decodeURIComponent(
    /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `as-run.${format}`,
  );
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  queueMicrotask(() => URL.revokeObjectURL(url));
}

/** The summary as the server computes it (src/relay/as-run.service.ts summarise), over the rows held. */
function summarise(items) {
  const started = items.filter((r) => r.actualStart !== null).length;
  const onTime = items.filter((r) => r.onTime).length;
  return {
    slots: items.length,
    started,
    onTime,
    onTimeRate: items.length ? onTime / items.length : null,
    missed: items.length - started,
    interrupted: items.filter((r) => r.interruptions.length > 0).length,
    gapSeconds: items.reduce((n, r) => n + r.gapSeconds, 0),
  };
}

export async function mount(view, ctx) {
  const area = regionOrDefault(ctx.arg);
  if (!area) {
    view.innerHTML = '<p class="msg error">您的账号没有可见的区域。</p>';
    return undefined;
  }
  const date = isDay(ctx.query.get('date')) ? ctx.query.get('date') : chinaDay(0);
  const href = (code, d = date) => `#/asrun/${code}${d !== chinaDay(0) ? `?date=${d}` : ''}`;
  view.innerHTML = `
    ${relayTabs('asrun', area)}
    <h1>播出记录 <small class="muted">${esc(regionName(area))} · ${date}</small></h1>
    <div class="toolbar">
      <label>区域 <select id="ar-area">${regionOptions(area)}</select></label>
      <label>日期 <input type="date" id="ar-date" value="${date}"></label>
      <span class="muted">导出：</span><button type="button" data-export="csv" id="ar-csv">下载 CSV</button><button type="button" data-export="xlsx" id="ar-xlsx">下载 Excel</button>
    </div>
    <div class="cards" id="ar-cards"></div>
    <table class="grid" id="ar-table"><thead><tr><th>终端</th><th>区域</th><th>节目</th><th>计划</th><th>实际开始</th><th>实际结束</th><th class="num">开播偏差</th><th>信源</th><th>中断及原因</th><th class="num">缺播（秒）</th></tr></thead><tbody></tbody></table>
    <p id="ar-msg" class="msg" hidden role="status"></p>`;
  const msg = $('#ar-msg', view);
  $('#ar-area', view).addEventListener('change', (e) => (location.hash = href(e.target.value)));
  $('#ar-date', view).addEventListener(
    'change',
    (e) => isDay(e.target.value) && (location.hash = href(area, e.target.value)),
  );
  view.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-export]');
    if (b) void download(date, area, b.dataset.export).catch((err) => say(msg, err.message, 'error'));
  });
  const rows = new Map();
  const names = new Map();
  const draw = () => {
    const items = [...rows.values()].sort(
      (a, b) => a.plannedStart.localeCompare(b.plannedStart) || a.terminalId - b.terminalId,
    );
    const s = summarise(items);
    setHtml(
      $('#ar-cards', view),
      `<div class="card big"><div class="label">准点率</div><div class="value" id="ar-rate">${s.onTimeRate === null ? '—' : `${(s.onTimeRate * 100).toFixed(1)}%`}</div><div class="sub">${s.onTime}/${s.slots} 个时段 1 秒内开播</div></div>
       <div class="card"><div class="label">已开播</div><div class="value" id="ar-started">${s.started}</div></div>
       <div class="card"><div class="label">未开播</div><div class="value ${s.missed ? 'bad' : ''}" id="ar-missed">${s.missed}</div></div>
       <div class="card"><div class="label">有中断</div><div class="value" id="ar-interrupted">${s.interrupted}</div></div>
       <div class="card"><div class="label">缺播合计</div><div class="value" id="ar-gap">${Math.round(s.gapSeconds)} 秒</div></div>`,
    );
    setHtml(
      $('#ar-table tbody', view),
      items
        .slice(0, 2000)
        .map(
          (r) => `<tr data-row="${r.id}" data-terminal="${r.terminalId}" class="${r.actualStart ? '' : 'missed'}">
        <td><a href="#/terminal/${r.terminalId}">${esc(names.get(r.terminalId) ?? `终端 ${r.terminalId}`)}</a></td><td>${esc(regionName(r.areaCode))}</td>
        <td><a href="#/schedule/${r.scheduleId}">${esc(r.programmeName)}</a> <small class="muted">第 ${r.revision} 版</small></td>
        <td>${clockTime(r.plannedStart)}–${clockTime(r.plannedEnd)}</td><td>${clockTime(r.actualStart)}</td><td>${r.actualEnd ? clockTime(r.actualEnd) : r.actualStart ? '<span class="muted">播出中</span>' : '—'}</td>
        <td class="num ${r.actualStart && !r.onTime ? 'bad' : ''}">${offsetText(r.startOffsetMs)}</td><td>${esc(sourceName(r.source))}</td>
        <td class="causes">${r.interruptions.map((i) => `<span class="${isAlertCut(i.cause) ? 'alert-cut' : 'bad'}" title="${esc(i.cause)}">${esc(causeText(i.cause))} ${clockTime(i.from)}–${i.to ? clockTime(i.to) : '至今'}</span>`).join('<br>') || '<span class="muted">无</span>'}</td>
        <td class="num">${r.gapSeconds.toFixed(r.gapSeconds % 1 ? 1 : 0)}</td></tr>`,
        )
        .join('') || '<tr><td colspan="10" class="muted">这一天此区域没有播出记录</td></tr>',
    );
  };
  const redraw = coalesce(draw);
  const prefix = areaPrefix(area);
  const off = live.on('relay', (changes) => {
    let mine = false;
    for (const c of changes)
      if (c.kind === 'asRun' && c.asRun.day === date && c.asRun.areaCode.startsWith(prefix)) {
        rows.set(rowKey(c.asRun), c.asRun);
        mine = true;
      }
    if (mine) redraw();
  });
  const release = await live.subscribe('relay', null);
  const [report, terminals] = await Promise.all([
    get('/api/relay/as-run', { date, areaCode: area }),
    getAll('/api/terminals', { areaCode: area }).catch(() => []),
  ]);
  if (ctx.stale()) return () => (off(), release());
  for (const t of terminals) names.set(t.id, t.name);
  for (const r of report.items) rows.set(rowKey(r), r);
  draw();
  return () => {
    off();
    release();
  };
}
