// 播发详情: one broadcast (by EBMID or id) — state, coverage (played / targeted), deliveries by state, by town, the
// terminals that failed or were unreachable with the reason, and the 播发报告 as CSV or XLSX. While it runs, it
// refreshes every 3 seconds.
import { get, session } from '../api.js';
import { $, esc, say } from '../dom.js';
import { formatShortTime, percent } from '../format.js';
import { rateBar, rateClass } from './overview.js';

const DELIVERY_STATES = [
  ['pending', '待发'], ['transferring', '传输中'], ['ready', '就绪'], ['playing', '播放中'], ['played', '已播放'],
  ['failed', '失败'], ['unreachable', '不可达'], ['preempted', '被抢占'], ['cancelled', '已取消'],
];
const RUNNING = new Set(['planned', 'running']);
const sum = (c) => Object.values(c).reduce((a, b) => a + b, 0);

/** Downloads the report with the session's token (a plain link would carry none). */
async function download(id, format) {
  const res = await fetch(`/api/broadcasts/${encodeURIComponent(id)}/report?format=${format}`, { headers: { authorization: `Bearer ${session.get()?.token}` } });
  if (!res.ok) throw new Error(`下载失败（${res.status}）`);
  const name = decodeURIComponent(/filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `report.${format}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function mount(view, ctx) {
  const id = ctx.arg;
  view.innerHTML = `<div class="crumbs"><a href="#/broadcasts">应急广播</a> <span class="sep">›</span> <strong id="bd-title">播发 ${esc(id)}</strong></div><div id="bd-body"><p class="muted">正在加载…</p></div><p id="bd-msg" class="msg" hidden></p>`;
  let timer = null;

  const load = async () => {
    const [b, failed] = await Promise.all([
      get(`/api/broadcasts/${encodeURIComponent(id)}`),
      get(`/api/broadcasts/${encodeURIComponent(id)}/deliveries`, { state: 'failed', pageSize: 50 }),
    ]);
    const unreachable = await get(`/api/broadcasts/${encodeURIComponent(id)}/deliveries`, { state: 'unreachable', pageSize: 50 });
    if (ctx.stale()) return;
    $('#bd-title', view).textContent = b.title;
    const lost = [...failed.items, ...unreachable.items];
    $('#bd-body', view).innerHTML = `
      <h1>${esc(b.title)} <span class="alert-state ${RUNNING.has(b.state) ? 'dispatching' : b.state === 'completed' ? 'completed' : b.state === 'cancelled' ? '' : 'failed'}" id="bd-state">${esc(b.stateName)}</span>
        ${b.drill ? '<span class="kind">演练</span>' : ''}${b.emergency ? ' <span class="kind bus-down">一键应急</span>' : ''}</h1>
      <p class="muted"><span class="code">${esc(b.broadcastId)}</span> · 优先级 ${b.priority} · 音量 ${b.volume} · 重复 ${b.repeat} 次 · 开始 ${formatShortTime(b.startedAt ?? b.startAt)} · 结束 ${formatShortTime(b.finishedAt ?? b.endAt)}</p>
      <section class="cards">
        <div class="card big"><div class="label">覆盖率（已播放 / 目标）</div><div class="value ${rateClass(b.coverage.percent)}" id="bd-coverage">${percent(b.coverage.percent)}</div><div class="sub">已播放 ${b.coverage.played} / 目标 ${b.coverage.targeted}</div></div>
        ${[['playing', '播放中'], ['pending', '待发'], ['failed', '失败'], ['unreachable', '不可达']].map(([k, l]) => `<div class="card"><div class="label">${l}</div><div class="value">${b.counts[k] ?? 0}</div></div>`).join('')}
      </section>
      <div class="toolbar">${DELIVERY_STATES.filter(([k]) => b.counts[k]).map(([k, l]) => `<span class="chip">${l} <b>${b.counts[k]}</b></span>`).join('')}
        <span class="muted">播发报告：</span><button type="button" data-report="csv">下载 CSV</button><button type="button" data-report="xlsx">下载 Excel</button></div>
      <h2>按乡镇</h2>
      <table class="grid" id="bd-towns"><thead><tr><th>乡镇</th><th class="num">目标</th><th class="num">已播放</th><th class="num">失败 / 不可达</th><th>覆盖率</th></tr></thead><tbody>
        ${b.byTown.map((t) => `<tr><td>${esc(t.name ?? t.areaCode)}</td><td class="num">${sum(t.counts)}</td><td class="num">${t.counts.played}</td><td class="num">${t.counts.failed + t.counts.unreachable}</td>
          <td class="rate-cell">${rateBar(t.coverage.percent)} <span class="${rateClass(t.coverage.percent)}">${percent(t.coverage.percent)}</span></td></tr>`).join('') || '<tr><td colspan="5" class="muted">—</td></tr>'}
      </tbody></table>
      ${lost.length ? `<h2>未送达的终端</h2><table class="grid"><thead><tr><th>终端</th><th>结果</th><th>原因</th><th class="num">尝试</th></tr></thead><tbody>
        ${lost.map((d) => `<tr><td><a href="#/terminal/${d.terminalId}">${esc(d.terminalName)}</a></td><td>${d.state === 'failed' ? '失败' : '不可达'}</td><td>${esc(d.reason ?? '')}</td><td class="num">${d.attempts}</td></tr>`).join('')}
      </tbody></table>` : ''}`;
    clearTimeout(timer);
    if (RUNNING.has(b.state)) timer = setTimeout(() => void load().catch(() => undefined), 3000);
  };
  view.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-report]');
    if (b) void download(id, b.dataset.report).catch((err) => say($('#bd-msg', view), err.message, 'error'));
  });
  await load();
  return () => clearTimeout(timer);
}
