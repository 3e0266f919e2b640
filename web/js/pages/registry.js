// 登记: the registry's regions and gateways (technicians and administrators, inside their scope; the server checks
// both). Regions: add a town or village under a region, rename, delete (refused while gateways or terminals hang on
// it, and said so). Gateways: register one (新建网关), enable or disable (a disabled gateway's bus is closed), change
// host and port, retire. Terminals: register one (新建终端); they are edited and retired on their own page (终端详情);
// whole spreadsheets go through 导入.
import { del, get, getAll, patch, post } from '../api.js';
import { $, esc, say } from '../dom.js';
import { connectionName } from '../format.js';
import { live } from '../live.js';
import { LEVELS, defaultRegion, loadRegions, region } from '../regions.js';
import { gatewayCreator, terminalCreator } from '../registry-create.js';

function regionRows(node, depth) {
  const row = `<tr data-code="${esc(node.code)}"><td style="padding-left:${8 + depth * 18}px"><input class="region-name" value="${esc(node.name)}" aria-label="名称"> <span class="muted">${esc(LEVELS[node.level] ?? '')}</span></td>
    <td class="code">${esc(node.code)}</td><td class="num">${node.terminalCount}</td>
    <td><button type="button" data-rename>改名</button> <button type="button" class="danger" data-remove>删除</button></td></tr>`;
  return row + node.children.map((c) => regionRows(c, depth + 1)).join('');
}

export async function mount(view, ctx) {
  if (!ctx.can('registry')) {
    view.innerHTML = '<p class="msg error">只有运维技术员和管理员可以维护登记表。</p>';
    return undefined;
  }
  const root = defaultRegion();
  view.innerHTML = `
    <h1>登记表 <small class="muted">区域、网关与新终端；终端在其详情页修改和退役，整表用“导入”</small></h1>
    <p id="rg-msg" class="msg" hidden role="status"></p>
    <div class="columns two">
      <section class="card"><h2>区域</h2>
        <form id="rg-new" class="inline"><input name="code" placeholder="区域编码（12 位）" aria-label="区域编码" maxlength="15"> <input name="name" placeholder="名称" aria-label="名称" maxlength="64"> <button type="submit" class="primary">添加</button></form>
        <table class="grid" id="rg-regions"><thead><tr><th>名称</th><th>编码</th><th class="num">终端</th><th></th></tr></thead><tbody></tbody></table></section>
      <section class="card"><h2>网关</h2>
        <table class="grid" id="rg-gateways"><thead><tr><th>网关</th><th>地址</th><th>连接</th><th>启用</th><th></th></tr></thead><tbody><tr><td colspan="5" class="muted">正在加载…</td></tr></tbody></table>
        <div id="rg-gateway-box"></div></section>
    </div>
    <div id="rg-terminal-box"></div>
    <p id="rg-terminal-created" class="msg ok" hidden></p>`;
  const msg = $('#rg-msg', view);
  const drawRegions = () => {
    const node = region(root);
    $('#rg-regions tbody', view).innerHTML = node ? regionRows(node, 0) : '';
  };
  const loadGateways = async () => {
    const items = await getAll('/api/gateways', { areaCode: root });
    if (ctx.stale()) return;
    $('#rg-gateways tbody', view).innerHTML =
      items
        .map(
          (g) => `<tr data-gateway="${g.id}"><td>${esc(g.name)}<div class="sub code">${esc(g.resourceCode)}</div></td>
        <td>${g.serialPath ? esc(g.serialPath) : `<input class="host" value="${esc(g.host ?? '')}" aria-label="主机" size="12">:<input class="port" type="number" value="${g.port ?? ''}" aria-label="端口">`}</td>
        <td>${esc(connectionName(live.gateways.get(g.id)?.connection))}</td>
        <td><input type="checkbox" class="enabled"${g.enabled ? ' checked' : ''} aria-label="启用"></td>
        <td><button type="button" data-save-gateway>保存</button> <button type="button" class="danger" data-remove-gateway>退役</button></td></tr>`,
        )
        .join('') || '<tr><td colspan="5" class="muted">没有网关</td></tr>';
  };
  const reloadRegions = async () => {
    await loadRegions(get);
    if (!ctx.stale()) drawRegions();
  };
  const act = (promise, done) => {
    say(msg, '正在保存…');
    promise.then(
      () => {
        say(msg, done, 'ok');
        return Promise.all([reloadRegions(), loadGateways()]);
      },
      (err) => say(msg, err.message, 'error'),
    );
  };
  $('#rg-new', view).addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.target;
    act(post('/api/regions', { code: f.code.value.trim(), name: f.name.value.trim() }), '已添加。');
  });
  view.addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-code]');
    if (row && e.target.matches('[data-rename]'))
      act(patch(`/api/regions/${row.dataset.code}`, { name: $('.region-name', row).value.trim() }), '已改名。');
    if (row && e.target.matches('[data-remove]') && window.confirm('确定删除这个区域吗？'))
      act(del(`/api/regions/${row.dataset.code}`), '已删除。');
    const g = e.target.closest('tr[data-gateway]');
    if (g && e.target.matches('[data-save-gateway]')) {
      const body = { enabled: $('.enabled', g).checked };
      if ($('.host', g)) Object.assign(body, { host: $('.host', g).value.trim(), port: Number($('.port', g).value) });
      act(patch(`/api/gateways/${g.dataset.gateway}`, body), '已保存。');
    }
    if (g && e.target.matches('[data-remove-gateway]') && window.confirm('确定让这个网关退役吗？'))
      act(del(`/api/gateways/${g.dataset.gateway}`), '已退役。');
  });
  const drawTerminalForm = () =>
    terminalCreator($('#rg-terminal-box', view), root, (t) => {
      const el = $('#rg-terminal-created', view);
      el.hidden = false;
      el.innerHTML = `已登记：<a href="#/terminal/${t.id}">${esc(t.name)}</a>`;
    });
  gatewayCreator($('#rg-gateway-box', view), () => {
    void loadGateways();
    void drawTerminalForm(); // the new gateway joins the terminal form's list
  });
  drawRegions();
  await Promise.all([loadGateways(), drawTerminalForm()]);
  return undefined;
}
