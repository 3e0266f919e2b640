// 播发详情: one broadcast (by EBMID or id), followed over /live (kind broadcast: every delivery's state, then its
// changes; nothing is polled) — coverage (played / targeted), counts by delivery state, progress by town and by
// village, the terminals not reached and why, the map of its targets; the 播发报告 prints as one A4 page and
// downloads as CSV or Excel.
import { get, getAll, session } from '../api.js';
import { $, coalesce, esc, patchRows, say, setHtml } from '../dom.js';
import { BROADCAST_STATES, DELIVERY_STATES, formatShortTime, formatTime, percent, reasonText } from '../format.js';
import { live } from '../live.js';
import { regionName } from '../regions.js';
import { CountyMap } from '../county-map.js';
import { rateBar, rateClass } from './overview.js';

const RUNNING = new Set(['planned', 'running']);
const NOT_REACHED = new Set(['failed', 'unreachable', 'preempted', 'cancelled']);
const WAITING = new Set(['pending', 'transferring', 'ready']);
const STATE_CLASS = { completed: 'completed', cancelled: '', planned: 'dispatching', running: 'dispatching' };
export const DELIVERY_LEGEND = [
  ['played', '已播放'],
  ['playing', '播放中'],
  ['waiting', '待发/传输中'],
  ['failed', '失败'],
  ['unreachable', '不可达'],
  ['none', '不在范围内'],
];

/** A delivery state as the map colours it. */
export const deliveryKey = (s) =>
  s === undefined ? 'none' : WAITING.has(s) ? 'waiting' : s === 'preempted' || s === 'cancelled' ? 'failed' : s;

/** Downloads the report with the session's token (a plain link would carry none). */
async function download(id, format) {
  const res = await fetch(`/api/broadcasts/${encodeURIComponent(id)}/report?format=${format}`, {
    headers: { authorization: `Bearer ${session.get()?.token}` },
  });
  if (!res.ok) throw new Error(`下载失败（${res.status}）`);
  const name = decodeURIComponent(
    /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `report.${format}`,
  );
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  queueMicrotask(() => URL.revokeObjectURL(url));
}

/** Terminals with their coordinates, for the map (the registry, read once per page). */
export async function placedTerminals(areaCode) {
  return getAll('/api/terminals', { areaCode });
}

function rollUp(states, keyOf) {
  const by = new Map();
  for (const d of states.values()) {
    const k = keyOf(d.areaCode);
    const r = by.get(k) ?? { targeted: 0, played: 0, playing: 0, lost: 0, waiting: 0 };
    r.targeted++;
    if (d.state === 'played') r.played++;
    else if (d.state === 'playing') r.playing++;
    else if (NOT_REACHED.has(d.state)) r.lost++;
    else r.waiting++;
    by.set(k, r);
  }
  return [...by.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

function areaRows(rows, attr) {
  return rows.map(([code, r]) => {
    const pct = r.targeted ? (100 * r.played) / r.targeted : null;
    return {
      key: code,
      attrs: { [attr]: code },
      html: `<td>${esc(regionName(code))}</td><td class="num">${r.targeted}</td><td class="num">${r.played}</td><td class="num">${r.playing}</td><td class="num">${r.waiting}</td><td class="num">${r.lost}</td>
        <td class="rate-cell">${rateBar(pct)} <span class="${rateClass(pct)}">${percent(pct)}</span></td>`,
    };
  });
}

const AREA_HEAD =
  '<thead><tr><th>名称</th><th class="num">目标</th><th class="num">已播放</th><th class="num">播放中</th><th class="num">待发</th><th class="num">未送达</th><th>覆盖率</th></tr></thead>';

export async function mount(view, ctx) {
  const id = ctx.arg;
  view.innerHTML = `<div class="crumbs no-print"><a href="#/broadcasts">应急广播</a> <span class="sep">›</span> <strong id="bd-crumb">播发 ${esc(id)}</strong></div>
    <div id="bd-body"><p class="muted">正在加载…</p></div><p id="bd-msg" class="msg" hidden></p>`;
  const b = await get(`/api/broadcasts/${encodeURIComponent(id)}`);
  if (ctx.stale()) return undefined;
  const ebmid = b.broadcastId;
  const names = new Map();
  /** terminalId → { state, reason, areaCode } */
  const states = new Map();
  let state = b.state;
  let counts = b.counts;

  view.querySelector('#bd-body').innerHTML = `
    <header class="report-head">
      <h1><span id="bd-title">${esc(b.title)}</span> <span class="alert-state" id="bd-state"></span>
        ${b.drill ? '<span class="kind drill-mark">演练</span>' : ''}${b.emergency ? ' <span class="kind bus-down">一键应急</span>' : ''} <span class="print-only">播发报告</span></h1>
      <p class="muted"><span class="code">${esc(ebmid)}</span> · 优先级 ${b.priority} · 音量 ${b.volume} · 重复 ${b.repeat} 次 · 开始 <span id="bd-start">${formatShortTime(b.startedAt ?? b.startAt)}</span> · 结束 <span id="bd-end">${formatShortTime(b.finishedAt ?? b.endAt)}</span>
        · <a href="#/alert/${b.alertId}" class="no-print">预警详情</a> <span class="print-only">打印时间 ${formatTime(Date.now())}（北京时间）</span></p>
    </header>
    <section class="cards compact">
      <div class="card big"><div class="label">覆盖率（已播放 / 目标）</div><div class="value" id="bd-coverage">—</div><div class="sub" id="bd-coverage-sub"></div></div>
      ${[
        ['playing', '播放中'],
        ['waiting', '待发 / 传输中'],
        ['failed', '失败'],
        ['unreachable', '不可达'],
      ]
        .map(
          ([k, l]) => `<div class="card"><div class="label">${l}</div><div class="value" id="bd-n-${k}">0</div></div>`,
        )
        .join('')}
    </section>
    <div class="toolbar" id="bd-counts">${Object.entries(DELIVERY_STATES)
      .map(([k, l]) => `<span class="chip" data-count="${k}">${l} <b>0</b></span>`)
      .join('')}</div>
    <div class="toolbar no-print"><span class="muted">播发报告：</span><button type="button" data-report="print">打印 / 存为 PDF</button><button type="button" data-report="csv">下载 CSV</button><button type="button" data-report="xlsx">下载 Excel</button></div>
    <div class="report-grid">
      <section><h2>按乡镇</h2><table class="grid" id="bd-towns">${AREA_HEAD}<tbody></tbody></table></section>
      <section class="no-print-map"><h2>地图</h2><div id="bd-map" class="map-box"><p class="muted">正在加载地图…</p></div></section>
    </div>
    <details class="villages" id="bd-villages-box"><summary><h2>按行政村</h2></summary><table class="grid" id="bd-villages">${AREA_HEAD}<tbody></tbody></table></details>
    <h2>未送达的终端 <small class="muted" id="bd-lost-count"></small></h2>
    <table class="grid" id="bd-lost"><thead><tr><th>终端</th><th>所在村</th><th>结果</th><th>原因</th></tr></thead><tbody></tbody></table>
    <p class="no-print"><button type="button" id="bd-lost-all" hidden></button></p>`;

  let map = null;
  /** The list of terminals not reached shows its first LOST_SHOWN rows until asked for all. */
  const LOST_SHOWN = 50;
  let allLost = false;
  const render = () => {
    if (ctx.stale()) return;
    const st = $('#bd-state', view);
    st.textContent = BROADCAST_STATES[state] ?? state;
    st.className = `alert-state ${STATE_CLASS[state] ?? 'failed'}`;
    const targeted = states.size || b.targeted;
    const played = counts.played ?? 0;
    const pct = targeted ? (100 * played) / targeted : null;
    setHtml($('#bd-coverage', view), `<span class="${rateClass(pct)}">${percent(pct)}</span>`);
    $('#bd-coverage-sub', view).textContent = `已播放 ${played} / 目标 ${targeted}`;
    $('#bd-n-playing', view).textContent = String(counts.playing ?? 0);
    $('#bd-n-waiting', view).textContent = String(
      (counts.pending ?? 0) + (counts.transferring ?? 0) + (counts.ready ?? 0),
    );
    $('#bd-n-failed', view).textContent = String(counts.failed ?? 0);
    $('#bd-n-unreachable', view).textContent = String(counts.unreachable ?? 0);
    for (const chip of view.querySelectorAll('#bd-counts [data-count]')) {
      const n = counts[chip.dataset.count] ?? 0;
      chip.querySelector('b').textContent = String(n);
      chip.classList.toggle('zero', n === 0);
    }
    patchRows(
      $('#bd-towns tbody', view),
      areaRows(
        rollUp(states, (c) => `${c.slice(0, 9)}000`),
        'data-town',
      ),
      '<tr><td colspan="7" class="muted">—</td></tr>',
    );
    patchRows(
      $('#bd-villages tbody', view),
      areaRows(
        rollUp(states, (c) => c.slice(0, 12)),
        'data-village',
      ),
      '<tr><td colspan="7" class="muted">—</td></tr>',
    );
    const lost = [...states.entries()].filter(([, d]) => NOT_REACHED.has(d.state));
    $('#bd-lost-count', view).textContent = lost.length ? `共 ${lost.length} 台` : '';
    patchRows(
      $('#bd-lost tbody', view),
      lost.slice(0, allLost ? lost.length : LOST_SHOWN).map(([tid, d]) => ({
        key: String(tid),
        attrs: { 'data-terminal': String(tid) },
        html: `<td><a href="#/terminal/${tid}">${esc(names.get(tid) ?? `终端 ${tid}`)}</a></td><td>${esc(regionName(d.areaCode.slice(0, 12)))}</td><td>${esc(DELIVERY_STATES[d.state] ?? d.state)}</td><td>${esc(reasonText(d.reason))}${reasonText(d.reason) !== (d.reason ?? '') ? `<div class="sub code">${esc(d.reason)}</div>` : ''}</td>`,
      })),
      `<tr><td colspan="4" class="muted">${RUNNING.has(state) ? '暂无（播发进行中）' : '全部送达'}</td></tr>`,
    );
    const more = $('#bd-lost-all', view);
    more.hidden = allLost || lost.length <= LOST_SHOWN;
    more.textContent = `显示全部 ${lost.length} 台`;
    map?.refresh();
  };
  const schedule = coalesce(render);

  const offBroadcast = live.on('broadcast', (p) => {
    if (p.broadcastId !== ebmid) return;
    state = p.state;
    counts = p.counts;
    for (const c of p.changes) states.set(c.terminalId, { state: c.state, reason: c.reason, areaCode: c.areaCode });
    schedule();
  });
  view.addEventListener('click', (e) => {
    if (e.target.id === 'bd-lost-all') {
      allLost = true;
      render();
      return;
    }
    const btn = e.target.closest('button[data-report]');
    if (!btn) return;
    if (btn.dataset.report === 'print') {
      $('#bd-villages-box', view).open = true;
      window.print();
      return;
    }
    void download(ebmid, btn.dataset.report).catch((err) => say($('#bd-msg', view), err.message, 'error'));
  });
  const release = await live.subscribe('broadcast', ebmid);
  render();
  // names of the terminals (for the list of those not reached) and the map: read once, in the background
  void getAll(`/api/broadcasts/${encodeURIComponent(ebmid)}/deliveries`).then(
    (rows) => {
      for (const d of rows) names.set(d.terminalId, d.terminalName);
      schedule();
    },
    () => undefined,
  );
  const towns = [...new Set(b.byTown.map((t) => t.areaCode))];
  void Promise.all(towns.map((t) => placedTerminals(t))).then(
    (lists) => {
      if (ctx.stale()) return;
      const targets = lists.flat().filter((t) => states.has(t.id));
      map = new CountyMap($('#bd-map', view), {
        terminals: targets,
        stateOf: (t) => deliveryKey(states.get(t.id)?.state),
        legend: DELIVERY_LEGEND,
        title: '本次播发的终端',
      });
    },
    (err) => setHtml($('#bd-map', view), `<p class="msg error">${esc(err.message)}</p>`),
  );
  return () => {
    offBroadcast();
    release();
  };
}
