// 审计日志: every change and login, newest first, filtered by actor or action, and the chain's verification (each
// entry's hash covers the one before it: an edited or removed row shows as the first broken link). Administrators.
import { get } from '../api.js';
import { $, esc, say } from '../dom.js';
import { formatTime } from '../format.js';

const PAGE = 50;

export async function mount(view, ctx) {
  if (!ctx.can('admin')) {
    view.innerHTML = '<p class="msg error">只有管理员可以查看审计日志。</p>';
    return undefined;
  }
  let page = 1;
  view.innerHTML = `
    <h1>审计日志 <small class="muted" id="ad-count"></small></h1>
    <div class="card" id="ad-verify"><button type="button" id="ad-verify-go">校验完整性</button> <span id="ad-verify-result" class="muted">逐条核对哈希链，确认日志没有被改动或删除。</span></div>
    <form class="toolbar" id="ad-filter"><input name="actor" placeholder="操作人" aria-label="操作人"> <input name="action" placeholder="操作，如 alert.approve" aria-label="操作"> <button type="submit">筛选</button></form>
    <p id="ad-msg" class="msg" hidden></p>
    <table class="grid" id="ad-table"><thead><tr><th class="num">序号</th><th>时间</th><th>操作人</th><th>操作</th><th>对象</th></tr></thead><tbody></tbody></table>
    <div class="pager" id="ad-pager"></div>`;
  const form = $('#ad-filter', view);
  const load = async () => {
    const list = await get('/api/audit', {
      page,
      pageSize: PAGE,
      actor: form.actor.value.trim() || undefined,
      action: form.action.value.trim() || undefined,
    });
    if (ctx.stale()) return;
    $('#ad-count', view).textContent = `共 ${list.total} 条`;
    $('#ad-table tbody', view).innerHTML =
      list.items
        .map(
          (e) =>
            `<tr><td class="num">${e.id}</td><td>${formatTime(e.at)}</td><td>${esc(e.actorName)}</td><td class="code">${esc(e.action)}</td><td>${esc(e.entityType)} ${esc(e.entityId ?? '')}</td></tr>`,
        )
        .join('') || '<tr><td colspan="5" class="muted">没有记录</td></tr>';
    const pages = Math.max(1, Math.ceil(list.total / PAGE));
    $('#ad-pager', view).innerHTML =
      pages > 1
        ? `<button data-page="${page - 1}" ${page === 1 ? 'disabled' : ''}>上一页</button> 第 ${page} / ${pages} 页 <button data-page="${page + 1}" ${page === pages ? 'disabled' : ''}>下一页</button>`
        : '';
  };
  const fail = (err) => say($('#ad-msg', view), err.message, 'error');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    page = 1;
    void load().catch(fail);
  });
  $('#ad-pager', view).addEventListener('click', (e) => {
    const b = e.target.closest('button[data-page]');
    if (!b) return;
    page = Number(b.dataset.page);
    void load().catch(fail);
  });
  $('#ad-verify-go', view).addEventListener('click', (e) => {
    const out = $('#ad-verify-result', view);
    e.target.disabled = true;
    out.className = 'muted';
    out.textContent = '正在校验…';
    get('/api/audit/verify')
      .then((r) => {
        out.className = r.ok ? 'good' : 'bad';
        out.textContent = r.ok
          ? `完整：已核对 ${r.checked} 条，哈希链无断点。`
          : `发现断点：第 ${r.firstBroken.id} 条（${r.firstBroken.reason}），此前 ${r.checked} 条完好。`;
      })
      .catch((err) => {
        out.className = 'bad';
        out.textContent = err.message;
      })
      .finally(() => (e.target.disabled = false));
  });
  await load();
  return undefined;
}
