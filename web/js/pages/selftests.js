// 自检: the missed-test report of a region and day — terminals whose nightly silent self-test was due and did not run
// or did not answer — with the day's counts, links to each terminal's page and CSV/XLSX export; for technicians.
// Follows /live kind `selfTests` for the area: a test of the day stored there reads the report again.
import { blobUrl, get } from '../api.js';
import { $, coalesce, esc, say } from '../dom.js';
import { chinaDay, formatTime } from '../format.js';
import { live } from '../live.js';
import { breadcrumbs, region, regionName, regionOrDefault } from '../regions.js';
import { outcomeClass, outcomeName } from '../self-test.js';

export async function mount(view, ctx) {
  const area = regionOrDefault(ctx.arg);
  if (!area) {
    view.innerHTML = '<p class="msg error">您的账号没有可见的区域。</p>';
    return undefined;
  }
  const day = /^\d{4}-\d{2}-\d{2}$/.test(ctx.query.get('date') ?? '') ? ctx.query.get('date') : chinaDay(0);
  const report = () => get('/api/self-tests/missed', { date: day, areaCode: area });
  // a silent test of the day stored in the area (pushed on /live kind selfTests) reads the report again; one pushed
  // before the first report is drawn reads it again once it is
  let drawn = false;
  let pending = false;
  const reload = coalesce(
    () =>
      void report()
        .then((r) => ctx.stale() || render(r))
        .catch((err) => say($('#st-msg', view), err.message, 'error')),
  );
  const off = live.on('selfTests', (rows) => {
    if (!rows.some((r) => r.kind === 'silent' && r.dueDay === day)) return;
    if (drawn) reload();
    else pending = true;
  });
  const release = await live.subscribe('selfTests', area);
  const stop = () => {
    off();
    release();
  };
  let first;
  try {
    first = await report();
  } catch (err) {
    stop();
    throw err;
  }
  if (ctx.stale()) {
    stop();
    return undefined;
  }
  view.innerHTML = `
    <div class="crumbs">${breadcrumbs(area, (c) => `#/selftests/${c}?date=${day}`, esc)}</div>
    <h1>终端自检 <small class="muted">${esc(region(area)?.name ?? area)}</small></h1>
    <form class="toolbar" id="st-form">日期 <input type="date" name="date" value="${esc(day)}" aria-label="日期">
      <button type="submit">查看</button>
      <button type="button" data-export="csv">导出 CSV</button> <button type="button" data-export="xlsx">导出 Excel</button></form>
    <section class="card"><h2>当日静默自检</h2><table class="kv" id="st-summary"></table></section>
    <section class="card"><h2>漏测终端 <small class="muted">应测而未执行或无应答</small></h2>
      <table class="grid" id="st-missed"><thead><tr><th>终端</th><th>区域</th><th>网关 / 单元</th><th>原因</th><th>最近尝试</th></tr></thead><tbody></tbody></table></section>
    <p class="msg" id="st-msg" hidden></p>`;
  const render = (r) => {
    const s = r.summary;
    $('#st-summary', view).innerHTML = `
      <tr><th>应测终端</th><td>${s.due}</td></tr>
      <tr><th>已完成</th><td>${s.ran}（通过 ${s.passed}，发现故障 <span class="${s.failed ? 'fault' : ''}">${s.failed}</span>）</td></tr>
      <tr><th>终端不支持</th><td>${s.notSupported}</td></tr>
      <tr><th>漏测</th><td><strong class="${s.missed ? 'fault' : ''}">${s.missed}</strong></td></tr>`;
    $('#st-missed tbody', view).innerHTML =
      r.items
        .map(
          (
            i,
          ) => `<tr><td><a href="#/terminal/${i.terminalId}">${esc(i.name)}</a></td><td>${esc(regionName(i.areaCode))}</td>
              <td>${i.gatewayId} / ${i.unitId}</td><td><span class="state ${outcomeClass(i.reason)}">${esc(outcomeName(i.reason))}</span>${i.detail ? ` <small class="muted">${esc(i.detail)}</small>` : ''}</td>
              <td>${i.lastTriedAt ? esc(formatTime(i.lastTriedAt)) : '—'}</td></tr>`,
        )
        .join('') || '<tr><td colspan="5" class="muted">没有漏测的终端</td></tr>';
  };
  render(first);
  drawn = true;
  if (pending) reload();
  $('#st-form', view).addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/selftests/${area}?date=${new FormData(e.target).get('date')}`;
  });
  $('#st-form', view).addEventListener('click', (e) => {
    const format = e.target.dataset?.export;
    if (!format) return;
    blobUrl(`/api/self-tests/missed/export?date=${day}&areaCode=${area}&format=${format}`)
      .then(({ url }) => {
        const a = document.createElement('a');
        a.href = url;
        a.download = `self-test-missed-${day}-${area}.${format}`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      })
      .catch((err) => say($('#st-msg', view), `✘ 导出失败：${err.message}`, 'error'));
  });
  return stop;
}
