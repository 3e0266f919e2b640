// 应急广播: the alerts the user may see (GET /api/alerts), newest first, with their review state, severity, message
// type (drills marked), targets and times; officers start a new alert or the one-key emergency from here. The list
// follows /live (kind alerts): a changed alert reloads the page of the list, nothing is polled.
import { get } from '../api.js';
import { $, coalesce, esc } from '../dom.js';
import { SEVERITY_CLASS, formatShortTime } from '../format.js';
import { live } from '../live.js';
import { region, regionName } from '../regions.js';

const PAGE = 50;
const STATES = {
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
const FILTERS = [
  ['all', '全部', ''],
  ['review', '待审核', 'submitted'],
  ['active', '进行中', 'approved,scheduled,dispatching'],
  ['done', '已结束', 'completed,partially-completed,failed,cancelled,expired'],
  ['draft', '草稿', 'draft'],
];
const MESSAGE_TYPES = {
  real: '实际播发',
  cancel: '取消播发',
  platformDrill: '平台演练',
  frontEndDrill: '前端演练',
  terminalDrill: '终端演练',
};

function targets(a) {
  // a region above the reader's own tree (a county alert seen from a town) is named by its code
  const areas = a.targets.areaCodes.map((c) => (region(c) ? regionName(c) : `上级区域 ${c}`));
  const shown = areas.slice(0, 3).join('、') + (areas.length > 3 ? ` 等 ${areas.length} 个区域` : '');
  const single = a.targets.terminalIds.length ? `${shown ? '，' : ''}${a.targets.terminalIds.length} 台终端` : '';
  return esc(shown + single) || '—';
}

export async function mount(view, ctx) {
  const filter = FILTERS.find(([k]) => k === ctx.query.get('f')) ?? FILTERS[0];
  let page = 1;
  view.innerHTML = `
    <h1>应急广播 <small class="muted" id="bc-count"></small></h1>
    ${ctx.can('compose') ? '<div class="toolbar"><a class="button primary" href="#/compose" id="bc-new">新建预警</a> <a class="button big-red" href="#/compose?emergency=1" id="bc-emergency">一键应急</a></div>' : ''}
    <div class="toolbar"><span class="filters">${FILTERS.map(([k, label]) => `<a class="chip ${k === filter[0] ? 'active' : ''}" href="#/broadcasts${k === 'all' ? '' : `?f=${k}`}">${label}</a>`).join('')}</span></div>
    <p id="bc-msg" class="msg" hidden></p>
    <table class="grid" id="bc-table"><thead><tr><th>编号</th><th>标题</th><th>事件 / 级别</th><th>类型</th><th>状态</th><th>播发范围</th><th class="num">终端</th><th>开始</th><th>结束</th><th>创建人</th></tr></thead>
      <tbody><tr><td colspan="10" class="muted">正在加载…</td></tr></tbody></table>
    <div class="pager" id="bc-pager"></div>`;

  const load = async () => {
    const list = await get('/api/alerts', { state: filter[2] || undefined, page, pageSize: PAGE });
    if (ctx.stale()) return;
    $('#bc-count', view).textContent = `共 ${list.total} 条`;
    $('#bc-table tbody', view).innerHTML =
      list.items
        .map(
          (a) => `<tr data-alert="${a.id}" class="${a.drill ? 'drill' : ''}">
            <td>${a.id}${a.broadcastId ? `<div class="code">${esc(a.broadcastId)}</div>` : ''}</td>
            <td><a href="#/alert/${a.id}">${esc(a.title)}</a>${a.broadcastId ? ` <a class="muted" href="#/broadcast/${esc(a.broadcastId)}">播发详情</a>` : ''}${a.emergency ? ' <span class="kind bus-down">一键应急</span>' : ''}</td>
            <td>${esc(a.eventName ?? a.eventType)} <span class="severity ${SEVERITY_CLASS[a.severity] ?? ''}">${esc(a.severityName || '未定级')}</span></td>
            <td>${esc(MESSAGE_TYPES[a.messageType] ?? a.messageType)}${a.drill ? ' <span class="kind">演练</span>' : ''}</td>
            <td><span class="alert-state ${esc(a.state)}">${esc(STATES[a.state] ?? a.state)}</span></td>
            <td>${targets(a)}</td>
            <td class="num">${a.terminalCount ?? '—'}</td>
            <td>${a.startAt ? formatShortTime(a.startAt) : '立即'}</td>
            <td>${formatShortTime(a.endAt)}</td>
            <td>${esc(a.createdByName)}</td></tr>`,
        )
        .join('') || '<tr><td colspan="10" class="muted">没有应急广播</td></tr>';
    const pages = Math.max(1, Math.ceil(list.total / PAGE));
    $('#bc-pager', view).innerHTML =
      pages > 1
        ? `<button data-page="${page - 1}" ${page === 1 ? 'disabled' : ''}>上一页</button> 第 ${page} / ${pages} 页 <button data-page="${page + 1}" ${page === pages ? 'disabled' : ''}>下一页</button>`
        : '';
  };
  $('#bc-pager', view).addEventListener('click', (e) => {
    const b = e.target.closest('button[data-page]');
    if (!b) return;
    page = Number(b.dataset.page);
    void load().catch((err) => showError(err));
  });
  const showError = (err) => {
    const msg = $('#bc-msg', view);
    msg.className = 'msg error';
    msg.textContent = err.message;
    msg.hidden = false;
  };
  const reload = coalesce(() => void load().catch(showError));
  const offAlerts = live.on('alerts', reload);
  const release = await live.subscribe('alerts', null);
  await load();
  return () => {
    offAlerts();
    release();
  };
}
