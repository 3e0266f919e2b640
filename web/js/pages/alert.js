// 预警详情: one alert — its content, review trail and what changed between revisions (the approver's diff), the
// audio exactly as it goes on air, and the steps the user may take now: edit, submit, approve, reject with a reason,
// confirm a one-key emergency afterwards, cancel. Follows the alert over /live (kind alerts): no reload, no polling.
import { get, post, session } from '../api.js';
import { $, esc, say, setHtml } from '../dom.js';
import { SEVERITY_CLASS, alertStateName, formatTime, messageTypeName } from '../format.js';
import { live } from '../live.js';
import { regionName } from '../regions.js';
import { AudioPreview } from '../audio-preview.js';

const FIELD_LABELS = {
  eventType: '事件类型',
  severity: '级别',
  messageType: '信息类别',
  title: '标题',
  text: '播发文本',
  language: '语言',
  targets: '播发范围',
  audio: '音频',
  repeat: '重复次数',
  volume: '音量',
  startAt: '开始',
  endAt: '结束',
  state: '状态',
};
/** Revision actions (src/alerts/alert.entities.ts REVISION_ACTIONS) as they read. */
const ACTIONS = {
  created: '起草',
  edited: '修改',
  submitted: '提交审核',
  rejected: '驳回',
  approved: '批准',
  emergency: '一键应急',
  confirmed: '事后确认',
  cancelled: '取消',
};
const ON_AIR = new Set(['approved', 'scheduled', 'dispatching']);

function audioText(audio) {
  if (!audio) return '—';
  if (audio.kind === 'tone') return `内置提示音 ${audio.toneId ?? ''}`;
  if (audio.kind === 'clip') return `上传音频 ${audio.clipId ?? ''}`;
  return `文字转语音${audio.toneBefore ? `（前置 ${audio.toneBefore}）` : ''}`;
}

/** A field's value as a person reads it. */
export function fieldText(field, v) {
  if (v === null || v === undefined || v === '') return '—';
  switch (field) {
    case 'targets':
      return (
        [
          ...(v.areaCodes ?? []).map(regionName),
          ...((v.terminalIds ?? []).length ? [`${v.terminalIds.length} 台终端`] : []),
        ].join('、') || '—'
      );
    case 'audio':
      return audioText(v);
    case 'messageType':
      return messageTypeName(v);
    case 'startAt':
    case 'endAt':
      return formatTime(v);
    case 'severity':
      return ['未定级', 'Ⅰ级 红色', 'Ⅱ级 橙色', 'Ⅲ级 黄色', 'Ⅳ级 蓝色'][v] ?? String(v);
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/** The review trail with each revision's changes (from → to); nothing to compare with when there is no trail. */
function revisionsHtml(a) {
  const revs = Array.isArray(a.revisions) ? a.revisions : null;
  if (!revs || revs.length === 0) {
    return `<p class="muted" id="al-norevs">${a.state === 'submitted' ? '首次提交审核，没有可对比的旧版本：请审阅下面的全部内容。' : '没有修改记录。'}</p>`;
  }
  const edited = revs.some((r) => r.changes && Object.keys(r.changes).length);
  const note = edited
    ? ''
    : `<p class="muted" id="al-norevs">${a.state === 'submitted' ? '提交后没有修改：请审阅上面的全部内容。' : '内容没有修改过。'}</p>`;
  return `${note}<table class="grid diff" id="al-revisions"><thead><tr><th>时间</th><th>人员</th><th>操作</th><th>改动</th></tr></thead><tbody>
    ${revs
      .map(
        (r) =>
          `<tr><td>${formatTime(r.at)}</td><td>${esc(r.userName ?? r.byName ?? r.userId ?? r.byId ?? '')}</td><td>${esc(ACTIONS[r.action] ?? r.action)}</td><td>${
            r.changes && Object.keys(r.changes).length
              ? Object.entries(r.changes)
                  .map(
                    ([f, c]) =>
                      `<div class="change"><b>${esc(FIELD_LABELS[f] ?? f)}</b>：<del>${esc(fieldText(f, c.from))}</del> → <ins>${esc(fieldText(f, c.to))}</ins></div>`,
                  )
                  .join('')
              : '<span class="muted">—</span>'
          }</td></tr>`,
      )
      .join('')}</tbody></table>`;
}

export async function mount(view, ctx) {
  const id = Number(ctx.arg);
  if (!Number.isInteger(id) || id <= 0) {
    view.innerHTML = '<p class="msg error">预警编号无效。</p>';
    return undefined;
  }
  view.innerHTML = `<div class="crumbs"><a href="#/broadcasts">应急广播</a> <span class="sep">›</span> <strong>预警 ${id}</strong></div>
    <div id="al-body"><p class="muted">正在加载…</p></div>
    <section class="card" id="al-audio-card"><h2>播发音频</h2><div class="preview"><audio id="al-audio" controls preload="none"></audio> <span class="progress indeterminate" hidden id="al-audio-progress"><span></span></span> <span class="muted" id="al-audio-note"></span></div></section>
    <section class="card" id="al-actions-card"><h2>操作</h2><div id="al-actions" class="actions"></div><p id="al-msg" class="msg" hidden role="status"></p></section>`;
  const me = session.get()?.user;
  const msg = $('#al-msg', view);
  const preview = new AudioPreview($('#al-audio', view), $('#al-audio-progress', view), $('#al-audio-note', view));
  let a = null;
  let clipShown = null;
  /** The alert's clip as the library has it ({state, error}), read when the alert is (re)loaded. */
  let clip = null;

  const render = () => {
    const drill = a.drill ? '<span class="kind drill-mark">演练</span>' : '';
    setHtml(
      $('#al-body', view),
      `
      <h1><span id="al-title">${esc(a.title)}</span> <span class="alert-state ${esc(a.state)}" id="al-state">${esc(alertStateName(a.state))}</span>
        <span class="severity ${SEVERITY_CLASS[a.severity] ?? ''}">${esc(a.severityName || '未定级')}</span> ${drill}${a.emergency ? ' <span class="kind bus-down">一键应急</span>' : ''}</h1>
      <div class="class-bar" data-class="${a.messageType === 'real' || a.messageType === 'cancel' ? 'real' : a.messageType === 'platformDrill' ? 'test' : 'drill'}"><span class="label">信息类别</span> <b>${esc(messageTypeName(a.messageType))}</b></div>
      <div class="columns two">
        <section class="card"><table class="kv">
          <tr><th>事件</th><td>${esc(a.eventType)} ${esc(a.eventName ?? '')}</td></tr>
          <tr><th>播发范围</th><td>${esc(fieldText('targets', a.targets))} <span class="muted">（${a.targetCount ?? a.terminalCount ?? '—'} 台终端）</span></td></tr>
          <tr><th>播发文本</th><td class="pre">${esc(a.text || '—')}</td></tr>
          <tr><th>音频</th><td>${esc(audioText(a.audio))} · 重复 ${a.repeat} 次 · 音量 ${a.volume}</td></tr>
          <tr><th>时间</th><td>${a.startAt ? formatTime(a.startAt) : '批准后立即'} — ${formatTime(a.endAt)}（北京时间）</td></tr>
          ${a.broadcastId ? `<tr><th>播发编号</th><td><a href="#/broadcast/${esc(a.broadcastId)}" id="al-broadcast">${esc(a.broadcastId)}</a> · <a href="#/map?alert=${a.id}">在地图上查看</a></td></tr>` : ''}
        </table></section>
        <section class="card"><table class="kv">
          <tr><th>起草</th><td>${esc(a.createdByName)} · ${formatTime(a.createdAt)}</td></tr>
          <tr><th>提交</th><td>${a.submittedAt ? formatTime(a.submittedAt) : '—'}</td></tr>
          <tr><th>批准</th><td>${a.approvedAt ? formatTime(a.approvedAt) : '—'}</td></tr>
          ${a.rejectionReason ? `<tr><th>驳回原因</th><td class="bad" id="al-rejection">${esc(a.rejectionReason)}（${formatTime(a.rejectedAt)}）</td></tr>` : ''}
          ${a.emergency ? `<tr><th>应急原因</th><td id="al-reason">${esc(a.emergencyReason)}</td></tr><tr><th>事后确认</th><td id="al-confirmed">${a.confirmedAt ? `已确认 · ${formatTime(a.confirmedAt)}` : '<span class="bad">待另一位审核员确认</span>'}</td></tr>` : ''}
          ${a.outcomeDetail ? `<tr><th>结果</th><td>${esc(a.outcomeDetail)}</td></tr>` : ''}
        </table></section>
      </div>
      <h2>修改记录</h2>${revisionsHtml(a)}`,
    );
    renderActions();
    const ready = clip?.state === 'ready';
    $('#al-audio-progress', view).hidden = ready || clip?.state === 'failed' || !clip;
    if (!ready) {
      $('#al-audio-note', view).textContent = !clip
        ? ''
        : clip.state === 'failed'
          ? `音频处理失败：${clip.error ?? ''}`
          : '音频处理中（语音合成、转码），完成后自动显示…';
    } else if (a.clipId !== clipShown) {
      clipShown = a.clipId;
      void preview.playClip(a.clipId);
    }
  };

  const renderActions = () => {
    const roles = me?.roles ?? [];
    const has = (r) => roles.includes(r) || roles.includes('admin');
    const mine = me && (me.id === a.createdById || me.id === a.submittedById);
    const out = [];
    if (has('officer') && (a.state === 'draft' || a.state === 'submitted'))
      out.push(`<a class="button" href="#/compose/${a.id}" id="al-edit">编辑</a>`);
    if (has('officer') && a.state === 'draft')
      out.push('<button type="button" class="primary" data-do="submit">提交审核</button>');
    if (has('approver') && a.state === 'submitted') {
      if (mine) out.push('<p class="muted">您起草或提交了此预警，须由另一位审核员审核。</p>');
      else {
        const ready = clip?.state === 'ready';
        out.push(
          `<button type="button" class="primary" data-do="approve" id="al-approve"${ready ? '' : ' disabled title="音频就绪后才能批准"'}>批准并播发</button>`,
        );
        out.push(
          '<form id="al-reject" class="inline"><input name="reason" placeholder="驳回原因（必填）" aria-label="驳回原因" maxlength="2000"> <button type="submit" class="danger">驳回</button></form>',
        );
      }
    }
    if (has('approver') && a.emergency && !a.confirmedAt && me?.id !== a.createdById)
      out.push('<button type="button" class="primary" data-do="confirm" id="al-confirm">事后确认此一键应急</button>');
    if (
      (has('officer') || has('approver')) &&
      (a.state === 'draft' || a.state === 'submitted' || ON_AIR.has(a.state)) &&
      !a.cancelRequested
    ) {
      out.push(
        `<button type="button" class="danger" data-do="cancel" id="al-cancel">${ON_AIR.has(a.state) ? '停止播发（取消）' : '取消预警'}</button>`,
      );
    }
    if (a.cancelRequested && ON_AIR.has(a.state)) out.push('<p class="muted">已请求取消，正在通知各终端停止…</p>');
    setHtml($('#al-actions', view), out.join('') || '<p class="muted">当前没有您可以执行的操作。</p>');
  };

  const load = async () => {
    const next = await get(`/api/alerts/${id}`);
    const c = next.clipId ? await get(`/api/audio/clips/${encodeURIComponent(next.clipId)}`).catch(() => null) : null;
    if (ctx.stale()) return;
    a = next;
    clip = c;
    render();
  };

  const act = (what, body, button) => {
    const words = {
      submit: '正在提交…',
      approve: '正在批准并下发…',
      reject: '正在驳回…',
      confirm: '正在确认…',
      cancel: '正在取消…',
    };
    if (button) button.disabled = true;
    say(msg, words[what]);
    post(`/api/alerts/${id}/${what}`, body)
      .then((next) => {
        a = { ...a, ...next };
        say(
          msg,
          { submit: '已提交审核', approve: '已批准，正在播发', reject: '已驳回', confirm: '已确认', cancel: '已取消' }[
            what
          ],
          'ok',
        );
        render();
        if (what === 'approve' && next.broadcastId) location.hash = `#/broadcast/${next.broadcastId}`;
      })
      .catch((err) => {
        if (button) button.disabled = false;
        say(msg, err.message, 'error');
      });
  };
  view.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-do]');
    if (!b) return;
    const what = b.dataset.do;
    if (
      what === 'cancel' &&
      !window.confirm(
        ON_AIR.has(a.state) ? '确定停止这次播发吗？已在播放的终端会收到停止命令。' : '确定取消这条预警吗？',
      )
    )
      return;
    act(what, {}, b);
  });
  view.addEventListener('submit', (e) => {
    if (e.target.id !== 'al-reject') return;
    e.preventDefault();
    const reason = e.target.reason.value.trim();
    if (!reason) {
      say(msg, '驳回须写明原因。', 'error');
      e.target.reason.focus();
      return;
    }
    act('reject', { reason }, e.target.querySelector('button'));
  });

  const offAlerts = live.on('alerts', (list) => {
    // the pushed view is the list's; the detail (target count, revisions) is read again once per change
    if (list.some((x) => x.id === id)) void load().catch((err) => say(msg, err.message, 'error'));
  });
  const release = await live.subscribe('alerts', null);
  await load();
  return () => {
    offAlerts();
    release();
    preview.reset();
  };
}
