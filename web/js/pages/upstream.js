// 上级消息 (#/upstream, #/upstream/<id>): the inbox of packets from the platform above (EBD) and CAP messages, each
// with its verification and what became of it (a link to the alert it made); one message's detail with the packet as
// received; the outbox of reports owed upward (technicians); the registered senders, added and edited by
// administrators. Nothing here is pushed over /live: the lists are read on opening, on 刷新 and after a demo send.
import { blobUrl, get, patch, post } from '../api.js';
import { $, esc, say } from '../dom.js';
import { formatTime } from '../format.js';

const PAGE = 50;
const VERIFICATION_NAMES = {
  verified: '验签通过',
  'bad-signature': '验签失败：签名不符',
  'unknown-sender': '验签失败：发送方未登记',
  malformed: '格式错误',
  replayed: '重放，已拒收',
  'out-of-scope': '不属本县',
  'schema-invalid': 'CAP 校验失败',
  valid: 'CAP 校验通过',
};
const GOOD = new Set(['verified', 'valid']);
const DISPOSITIONS = {
  dispatched: '已下发播发',
  held: '待本地审核',
  cancelled: '已解除',
  replaced: '已更新',
  answered: '已应答',
  ignored: '未处理',
  refused: '已拒收',
  failed: '处理失败',
};
const OUTBOX_STATES = { pending: '待发送', sent: '已送达', failed: '发送失败' };
const SEVERITIES = [1, 2, 3, 4];
const ROMAN = { 0: '未定级', 1: 'Ⅰ', 2: 'Ⅱ', 3: 'Ⅲ', 4: 'Ⅳ' };

const verificationCell = (m) =>
  `<span class="${GOOD.has(m.verification) ? 'good' : 'bad'}" data-verification="${esc(m.verification)}">${esc(VERIFICATION_NAMES[m.verification] ?? m.verification)}</span>${m.verificationDetail && !GOOD.has(m.verification) ? ` <small class="muted">${esc(m.verificationDetail)}</small>` : ''}`;
const alertLink = (id, text = `预警 #${id}`) =>
  id ? `<a href="#/alert/${id}" data-alert="${id}">${esc(text)}</a>` : '—';
const policyText = (s) =>
  s.dispatchSeverities.length
    ? `${s.dispatchSeverities.map((n) => ROMAN[n] ?? n).join('、')} 级直接播发，其余待审核`
    : '全部待本地审核';

export async function mount(view, ctx) {
  if (!ctx.can('upstream')) {
    view.innerHTML = '<p class="msg error">只有值班员、审核员、技术员和管理员可以查看上级消息。</p>';
    return undefined;
  }
  const tech = ctx.can('diagnose');
  const admin = ctx.can('admin');
  const seeSenders = admin || tech || ctx.can('approve');
  let page = 1;
  let senders = [];
  view.innerHTML = `
    <h1>上级消息 <small class="muted" id="up-count"></small></h1>
    <form class="toolbar" id="up-filter">
      <select name="kind" aria-label="类型"><option value="">全部类型</option><option value="ebd">EBD</option><option value="cap">CAP</option></select>
      <select name="verification" aria-label="验签"><option value="">全部验签结果</option>${Object.entries(
        VERIFICATION_NAMES,
      )
        .map(([k, v]) => `<option value="${k}">${esc(v)}</option>`)
        .join('')}</select>
      <button type="submit">筛选</button> <button type="button" id="up-refresh">刷新</button>
      <span id="up-demo" hidden><select name="severity" aria-label="模拟级别">${SEVERITIES.map((n) => `<option value="${n}" ${n === 3 ? 'selected' : ''}>${ROMAN[n]} 级</option>`).join('')}</select> <button type="button" class="primary" id="up-demo-send">模拟省级平台下发</button></span>
    </form>
    <p id="up-msg" class="msg" hidden></p>
    <section class="card" id="up-detail" hidden></section>
    <h2>收件箱</h2>
    <table class="grid" id="up-inbox"><thead><tr><th>接收时间</th><th>类型</th><th>发送方</th><th>EBDID / 标识</th><th>验签</th><th>处理结果</th><th>预警</th><th></th></tr></thead><tbody></tbody></table>
    <div class="pager" id="up-pager"></div>
    <section id="up-outbox-box" hidden><h2>上报队列</h2>
      <table class="grid" id="up-outbox"><thead><tr><th>生成时间</th><th>报文</th><th>EBDID</th><th>关于 EBMID</th><th>状态</th><th class="num">尝试</th><th>送达 / 下次尝试</th><th>错误</th></tr></thead><tbody></tbody></table></section>
    <section id="up-senders-box" hidden><h2>已登记的上级平台 ${admin ? '<button type="button" id="up-sender-new">登记发送方</button>' : ''}</h2>
      <form class="card" id="up-sender-form" hidden></form>
      <table class="grid" id="up-senders"><thead><tr><th>名称</th><th>类型</th><th>编码（EBRID / CAP sender）</th><th>证书序号</th><th>上报地址</th><th>播发策略</th><th>状态</th><th></th></tr></thead><tbody></tbody></table></section>`;
  const form = $('#up-filter', view);
  const msg = $('#up-msg', view);
  const fail = (err) => say(msg, err.message, 'error');
  const senderName = (m) => {
    const s = senders.find((x) => x.id === m.senderId);
    return s ? `${s.name}` : (m.senderCode ?? m.remoteAddress ?? '—');
  };

  const loadInbox = async () => {
    const list = await get('/api/upstream/messages', {
      page,
      pageSize: PAGE,
      kind: form.kind.value || undefined,
      verification: form.verification.value || undefined,
    });
    if (ctx.stale()) return;
    $('#up-count', view).textContent = `共 ${list.total} 条`;
    $('#up-inbox tbody', view).innerHTML =
      list.items
        .map(
          (m) =>
            `<tr data-id="${m.id}"><td class="nowrap">${formatTime(m.receivedAt)}</td><td>${m.kind === 'ebd' ? 'EBD' : 'CAP'} <small class="muted">${esc(m.messageType ?? '')}</small></td>` +
            `<td>${esc(senderName(m))}</td><td class="code">${esc(m.messageId ?? m.fileName)}</td><td>${verificationCell(m)}</td>` +
            `<td>${esc(DISPOSITIONS[m.disposition] ?? m.disposition)}${m.dispositionDetail ? ` <small class="muted">${esc(m.dispositionDetail)}</small>` : ''}</td>` +
            `<td class="nowrap">${alertLink(m.alertId)}</td><td class="nowrap"><a href="#/upstream/${m.id}">详情</a></td></tr>`,
        )
        .join('') || '<tr><td colspan="8" class="muted">还没有收到上级消息</td></tr>';
    const pages = Math.max(1, Math.ceil(list.total / PAGE));
    $('#up-pager', view).innerHTML =
      pages > 1
        ? `<button type="button" data-page="${page - 1}" ${page === 1 ? 'disabled' : ''}>上一页</button> 第 ${page} / ${pages} 页 <button type="button" data-page="${page + 1}" ${page === pages ? 'disabled' : ''}>下一页</button>`
        : '';
  };

  const outboxRow = (o) =>
    `<tr><td class="nowrap">${formatTime(o.createdAt)}</td><td>${esc(o.ebdType)}</td><td class="code">${esc(o.ebdId)}</td><td class="code">${esc(o.alertRef ?? '—')}</td>` +
    `<td class="${o.state === 'sent' ? 'good' : o.state === 'failed' ? 'bad' : 'warn'}">${esc(OUTBOX_STATES[o.state] ?? o.state)}</td><td class="num">${o.attempts} / ${o.maxAttempts}</td>` +
    `<td>${o.sentAt ? formatTime(o.sentAt) : o.state === 'pending' ? formatTime(o.nextAttemptAt) : '—'}</td><td>${esc(o.lastError ?? '')}</td></tr>`;
  const loadOutbox = async () => {
    if (!tech) return;
    const list = await get('/api/upstream/outbox', { pageSize: PAGE });
    if (ctx.stale()) return;
    $('#up-outbox-box', view).hidden = false;
    $('#up-outbox tbody', view).innerHTML =
      list.items.map(outboxRow).join('') || '<tr><td colspan="8" class="muted">没有待上报的报文</td></tr>';
  };

  const loadSenders = async () => {
    if (!seeSenders) return;
    senders = await get('/api/upstream/senders');
    if (ctx.stale()) return;
    $('#up-senders-box', view).hidden = false;
    $('#up-senders tbody', view).innerHTML =
      senders
        .map(
          (s) =>
            `<tr data-sender="${s.id}"><td>${esc(s.name)}</td><td>${s.kind === 'ebd' ? 'EBD' : 'CAP'}</td><td class="code">${esc(s.code)}</td><td class="code">${esc(s.certSn ?? '—')}</td>` +
            `<td class="code">${esc(s.url ?? '—')}</td><td>${esc(policyText(s))}</td><td class="${s.enabled ? 'good' : 'bad'}">${s.enabled ? '启用' : '停用'}</td>` +
            `<td>${admin ? `<button type="button" data-edit="${s.id}">修改</button>` : ''}</td></tr>`,
        )
        .join('') || '<tr><td colspan="8" class="muted">尚未登记上级平台</td></tr>';
  };

  const showDetail = async (id) => {
    const box = $('#up-detail', view);
    if (!id) {
      box.hidden = true;
      return;
    }
    const m = await get(`/api/upstream/messages/${encodeURIComponent(id)}`);
    if (ctx.stale()) return;
    box.hidden = false;
    box.innerHTML = `<h2>消息 #${m.id} <a href="#/upstream" class="button">关闭</a></h2>
      <table class="kv">
        <tr><th>接收时间</th><td>${formatTime(m.receivedAt)}</td></tr>
        <tr><th>类型</th><td>${m.kind === 'ebd' ? 'EBD' : 'CAP'} ${esc(m.messageType ?? '')}</td></tr>
        <tr><th>发送方</th><td>${esc(senderName(m))} <span class="code muted">${esc(m.senderCode ?? '')}</span>${m.remoteAddress ? ` <small class="muted">来自 ${esc(m.remoteAddress)}</small>` : ''}</td></tr>
        <tr><th>EBDID / 标识</th><td class="code">${esc(m.messageId ?? '—')}</td></tr>
        <tr><th>EBMID</th><td class="code">${esc(m.alertRef ?? '—')}</td></tr>
        <tr><th>验签</th><td id="up-detail-verification">${verificationCell(m)}${GOOD.has(m.verification) && m.verificationDetail ? ` <small class="muted">${esc(m.verificationDetail)}</small>` : ''}</td></tr>
        <tr><th>应答</th><td>${m.resultCode === null ? '—' : `EBDResponse ${m.resultCode}`}</td></tr>
        <tr><th>处理结果</th><td>${esc(DISPOSITIONS[m.disposition] ?? m.disposition)} ${esc(m.dispositionDetail ?? '')}</td></tr>
        <tr><th>预警</th><td>${m.alert ? `${alertLink(m.alert.id, m.alert.title)}${m.alert.broadcastId ? ` · <a href="#/broadcast/${esc(m.alert.broadcastId)}">播发详情</a>` : ''}` : '—'}</td></tr>
        <tr><th>原始报文</th><td><button type="button" id="up-raw">下载 ${esc(m.fileName)}</button> <small class="muted">${m.size} 字节 · SHA-256 <span class="code">${esc(m.sha256)}</span></small></td></tr>
      </table>
      ${m.reports.length ? `<h2>就此上报</h2><table class="grid"><thead><tr><th>生成时间</th><th>报文</th><th>EBDID</th><th>关于 EBMID</th><th>状态</th><th class="num">尝试</th><th>送达 / 下次尝试</th><th>错误</th></tr></thead><tbody>${m.reports.map(outboxRow).join('')}</tbody></table>` : ''}`;
    $('#up-raw', box).addEventListener('click', () => {
      blobUrl(`/api/upstream/messages/${m.id}/raw`)
        .then(({ url }) => {
          const a = document.createElement('a');
          a.href = url;
          a.download = m.fileName;
          a.click();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        })
        .catch(fail);
    });
  };

  const senderForm = (s) => {
    const f = $('#up-sender-form', view);
    f.hidden = false;
    f.dataset.id = s ? String(s.id) : '';
    f.innerHTML = `<h2>${s ? `修改 ${esc(s.name)}` : '登记发送方'}</h2>
      <div class="inline-fields">
        ${s ? '' : '<label class="field">类型 <select name="kind"><option value="ebd">EBD 上级平台</option><option value="cap">CAP 信息源</option></select></label><label class="field">编码 <input name="code" required placeholder="23 位 EBRID 或 CAP sender"></label>'}
        <label class="field">名称 <input name="name" required value="${esc(s?.name ?? '')}"></label>
        <label class="field">证书序号 <input name="certSn" value="${esc(s?.certSn ?? '')}"></label>
        <label class="field">上报地址 <input name="url" value="${esc(s?.url ?? '')}" placeholder="http://…"></label>
      </div>
      <label class="field">SM2 公钥 <input name="publicKey" size="70" value="${esc(s?.publicKey ?? '')}" placeholder="04 开头的 130 位十六进制"></label>
      <fieldset class="field"><legend>直接播发的级别（其余待本地审核）</legend>
        ${SEVERITIES.map((n) => `<label><input type="checkbox" name="sev" value="${n}" ${s?.dispatchSeverities.includes(n) ? 'checked' : ''}> ${ROMAN[n]} 级</label>`).join(' ')}
      </fieldset>
      <label><input type="checkbox" name="enabled" ${s?.enabled === false ? '' : 'checked'}> 启用</label>
      <div class="form-actions"><button type="submit" class="primary">保存</button> <button type="button" data-cancel>取消</button> <span class="msg" id="up-sender-msg" hidden></span></div>`;
  };

  const saveSender = async (f) => {
    const body = { name: f.name.value.trim(), enabled: f.enabled.checked };
    for (const k of ['certSn', 'url', 'publicKey']) if (f[k].value.trim()) body[k] = f[k].value.trim();
    body.dispatchSeverities = [...f.querySelectorAll('input[name=sev]:checked')].map((c) => Number(c.value));
    if (f.dataset.id) await patch(`/api/upstream/senders/${f.dataset.id}`, body);
    else await post('/api/upstream/senders', { ...body, kind: f.kind.value, code: f.code.value.trim() });
    f.hidden = true;
    await loadSenders();
  };

  // senders first: the inbox and the detail name a message's sender from them
  const refresh = () =>
    Promise.all([loadSenders().then(() => Promise.all([loadInbox(), showDetail(ctx.arg)])), loadOutbox()]);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    page = 1;
    void loadInbox().catch(fail);
  });
  $('#up-refresh', view).addEventListener('click', () => void refresh().catch(fail));
  $('#up-pager', view).addEventListener('click', (e) => {
    const b = e.target.closest('button[data-page]');
    if (!b) return;
    page = Number(b.dataset.page);
    void loadInbox().catch(fail);
  });
  if (admin) {
    $('#up-sender-new', view).addEventListener('click', () => senderForm(null));
    $('#up-senders', view).addEventListener('click', (e) => {
      const b = e.target.closest('button[data-edit]');
      if (b) senderForm(senders.find((s) => s.id === Number(b.dataset.edit)));
    });
    const sf = $('#up-sender-form', view);
    sf.addEventListener('click', (e) => {
      if (e.target.closest('[data-cancel]')) sf.hidden = true;
    });
    sf.addEventListener('submit', (e) => {
      e.preventDefault();
      void saveSender(sf).catch((err) => say($('#up-sender-msg', sf), err.message, 'error'));
    });
  }
  // the demo's simulated province (the endpoint answers 404 outside the demo; technicians and administrators)
  if (tech) {
    get('/api/demo/upstream/reports').then(
      () => {
        if (!ctx.stale()) $('#up-demo', view).hidden = false;
      },
      () => undefined,
    );
    $('#up-demo-send', view).addEventListener('click', (e) => {
      e.target.disabled = true;
      post('/api/demo/upstream/send', { title: '省级平台演示预警', severity: Number(form.severity.value) })
        .then((r) => {
          say(
            msg,
            `省级平台已下发，本平台应答 EBDResponse ${r.response?.resultCode ?? '—'}${r.responseVerified ? '（应答验签通过）' : ''}`,
            'ok',
          );
          return refresh();
        })
        .catch(fail)
        .finally(() => (e.target.disabled = false));
    });
  }
  await refresh();
  return undefined;
}
