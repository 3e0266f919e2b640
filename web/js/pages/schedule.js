// 排期 (#/schedule/new?programme=<id>, #/schedule/<id>): a schedule's recurrence — daily, weekdays, chosen weekdays,
// dates, once — with start and end (Asia/Shanghai), first and last day, holidays (exceptDates) and skipped ISO weeks
// (exceptWeeks); then its review (三审) as an alert's: submit, approve or reject with a reason by another approver,
// withdraw. The buttons follow the user's roles and the review history (whoever created, edited or submitted it is
// not offered approve); the API decides. Shows the revision on air, the conflicts publishing would meet and the
// history. Follows /live kind `relay`.
import { get, patch, post } from '../api.js';
import { $, esc, say, setHtml } from '../dom.js';
import { session } from '../api.js';
import { formatTime } from '../format.js';
import { live } from '../live.js';
import {
  RECURRENCE_KINDS,
  SCHEDULE_STATES,
  WEEKDAYS,
  clearFieldErrors,
  relayTabs,
  short,
  showFieldErrors,
  sourceText,
} from '../relay-common.js';
import { chinaDay } from '../format.js';

const FIELD_NAMES = {
  recurrence: '排期',
  'recurrence.kind': '重复方式',
  'recurrence.weekdays': '星期',
  'recurrence.dates': '日期',
  'recurrence.from': '起始日',
  'recurrence.until': '截止日',
  'recurrence.start': '开始时间',
  'recurrence.end': '结束时间',
  'recurrence.exceptDates': '例外日期',
  'recurrence.exceptWeeks': '跳过的周',
  programmeId: '节目',
};
const ACTIONS = {
  created: '创建',
  edited: '修改',
  submitted: '提交审核',
  rejected: '驳回',
  approved: '批准发布',
  withdrawn: '停播',
};
const AUTHORING = new Set(['created', 'edited', 'submitted']);
const RULES = { priority: '级别高者优先', 'published-first': '先发布者优先' };

function recurrenceText(r) {
  const when =
    r.kind === 'weekly'
      ? `每周${r.weekdays.map((d) => WEEKDAYS[d - 1]).join('、')}`
      : r.kind === 'dates' || r.kind === 'once'
        ? r.dates.join('、')
        : RECURRENCE_KINDS[r.kind];
  const range = r.from ? `，${r.from} 起${r.until ? ` 至 ${r.until}` : ''}` : '';
  const except = [...r.exceptDates, ...r.exceptWeeks];
  return `${when} ${short(r.start)}–${short(r.end)}${range}${except.length ? `；除 ${except.join('、')}` : ''}`;
}

/** A list of days or weeks chosen one by one (chips with 移除). */
const listField = (name, label, type, values, note = '') => `
  <div class="field" data-list="${name}"><span>${label}</span>
    <span class="chips">${values.map((v) => `<span class="chip" data-value="${esc(v)}">${esc(v)} <button type="button" class="link" data-remove="${name}" aria-label="移除 ${esc(v)}">×</button></span>`).join('')}</span>
    <span><input type="${type}" data-pick="${name}" aria-label="${label}"> <button type="button" data-add="${name}">添加</button> <small class="muted">${note}</small></span>
    <em class="field-error" data-for="recurrence.${name}"></em></div>`;

function formHtml(r, programmes, programmeId, editable) {
  return `<form id="sc-form" class="compose" novalidate><fieldset class="plain"${editable ? '' : ' disabled'}>
    <section class="card">
      <label class="field"><span>节目</span><select name="programmeId"${programmeId && programmes.length === 1 ? ' disabled' : ''}>${programmes.map((p) => `<option value="${p.id}"${p.id === programmeId ? ' selected' : ''}>${esc(p.name)}（${esc(sourceText(p.source))}）</option>`).join('')}</select><em class="field-error" data-for="programmeId"></em></label>
      <fieldset class="field choices"><legend>重复方式</legend>${Object.entries(RECURRENCE_KINDS)
        .map(
          ([k, label]) =>
            `<label><input type="radio" name="kind" value="${k}"${r.kind === k ? ' checked' : ''}> ${label}</label>`,
        )
        .join(' ')}<em class="field-error" data-for="recurrence.kind"></em></fieldset>
      <fieldset class="field choices" data-for-kind="weekly"><legend>星期</legend>${WEEKDAYS.map((w, i) => `<label><input type="checkbox" name="weekday" value="${i + 1}"${r.weekdays.includes(i + 1) ? ' checked' : ''}> 周${w}</label>`).join(' ')}<em class="field-error" data-for="recurrence.weekdays"></em></fieldset>
      <div data-for-kind="dates once">${listField('dates', '播出日期', 'date', r.dates, '单次只选一天')}</div>
      <div class="inline-fields" data-for-kind="daily weekdays weekly">
        <label class="field"><span>起始日</span><input type="date" name="from" value="${esc(r.from ?? '')}"><em class="field-error" data-for="recurrence.from"></em></label>
        <label class="field"><span>截止日（含，留空不限）</span><input type="date" name="until" value="${esc(r.until ?? '')}"><em class="field-error" data-for="recurrence.until"></em></label>
      </div>
      <div class="inline-fields">
        <label class="field"><span>开始（北京时间）</span><input name="start" value="${esc(short(r.start))}" placeholder="12:00" inputmode="numeric"><em class="field-error" data-for="recurrence.start"></em></label>
        <label class="field"><span>结束（同一天，最晚 24:00）</span><input name="end" value="${esc(short(r.end))}" placeholder="12:30" inputmode="numeric"><em class="field-error" data-for="recurrence.end"></em></label>
      </div>
      ${listField('exceptDates', '例外日期（节假日不播）', 'date', r.exceptDates)}
      ${listField('exceptWeeks', '跳过的周', 'week', r.exceptWeeks)}
      <em class="field-error" data-for="recurrence"></em>
    </section></fieldset></form>`;
}

export async function mount(view, ctx) {
  const id = ctx.arg && /^\d+$/.test(ctx.arg) ? Number(ctx.arg) : null;
  const me = session.get()?.user;
  const has = (r) => me?.roles.includes(r) || me?.roles.includes('admin');
  let s = id ? await get(`/api/relay/schedules/${id}`) : null;
  const programmes = s
    ? [await get(`/api/relay/programmes/${s.programmeId}`)]
    : (await get('/api/relay/programmes', { pageSize: 500 })).items;
  if (ctx.stale()) return undefined;
  const wanted = Number(ctx.query.get('programme')) || programmes[0]?.id;
  const blank = {
    kind: 'weekdays',
    weekdays: [],
    dates: [],
    from: chinaDay(0),
    until: null,
    start: '12:00',
    end: '12:30',
    exceptDates: [],
    exceptWeeks: [],
  };
  if (!s && !programmes.length) {
    view.innerHTML = `${relayTabs('programmes')}<p class="msg error">还没有节目：请先 <a href="#/programme/new">新建节目</a>。</p>`;
    return undefined;
  }
  view.innerHTML = `
    ${relayTabs('week')}
    <div class="crumbs"><a href="#/relay">排期周表</a> <span class="sep">›</span> <strong id="sc-title"></strong></div>
    <div id="sc-form-box"></div>
    <div class="form-actions" id="sc-actions"></div>
    <p id="sc-msg" class="msg" hidden role="status"></p>
    <div class="compose-grid" id="sc-more"></div>`;
  const msg = $('#sc-msg', view);
  let form = null;

  const draw = (r) => {
    $('#sc-form-box', view).innerHTML = formHtml(r, programmes, s?.programmeId ?? wanted, has('officer'));
    form = $('#sc-form', view);
    showKind();
  };
  const showKind = () => {
    const kind = form.kind.value;
    for (const el of form.querySelectorAll('[data-for-kind]'))
      el.hidden = !el.dataset.forKind.split(' ').includes(kind);
  };
  const listOf = (name) => [...form.querySelectorAll(`[data-list="${name}"] .chip`)].map((c) => c.dataset.value);
  const recurrence = () => {
    const kind = form.kind.value;
    const ranged = ['daily', 'weekdays', 'weekly'].includes(kind);
    return {
      kind,
      ...(kind === 'weekly'
        ? { weekdays: [...form.querySelectorAll('input[name=weekday]:checked')].map((i) => Number(i.value)) }
        : {}),
      ...(kind === 'dates' || kind === 'once' ? { dates: listOf('dates') } : {}),
      ...(ranged && form.from.value ? { from: form.from.value } : {}),
      ...(ranged && form.until.value ? { until: form.until.value } : {}),
      start: form.start.value.trim(),
      end: form.end.value.trim(),
      exceptDates: listOf('exceptDates'),
      exceptWeeks: listOf('exceptWeeks'),
    };
  };

  const authors = () => new Set((s?.revisions ?? []).filter((r) => AUTHORING.has(r.action)).map((r) => r.userId));
  const renderActions = () => {
    const out = [];
    const state = s?.state ?? 'new';
    if (has('officer')) {
      out.push(`<button type="button" data-do="save" id="sc-save">${s ? '保存修改' : '保存草稿'}</button>`);
      out.push(
        '<button type="button" class="primary" data-do="save-submit" id="sc-save-submit">保存并提交审核</button>',
      );
    }
    if (has('officer') && (state === 'draft' || (state === 'published' && s.programmeChanged)))
      out.push('<button type="button" data-do="submit" id="sc-submit">提交审核</button>');
    if (has('approver') && state === 'submitted') {
      if (authors().has(me.id))
        out.push('<p class="muted" id="sc-not-yours">您创建、修改或提交了此排期，须由另一位审核员审核。</p>');
      else {
        out.push('<button type="button" class="primary" data-do="approve" id="sc-approve">批准发布</button>');
        out.push(
          '<form id="sc-reject" class="inline"><input name="reason" placeholder="驳回原因（必填）" aria-label="驳回原因" maxlength="500"> <button type="submit" class="danger">驳回</button></form>',
        );
      }
    }
    if ((has('officer') || has('approver')) && s && state !== 'withdrawn')
      out.push(
        `<button type="button" class="danger" data-do="withdraw" id="sc-withdraw">${s.onAir ? '停播（撤下）' : '撤回'}</button>`,
      );
    out.push('<a href="#/relay">返回周表</a>');
    setHtml($('#sc-actions', view), out.join(' '));
  };

  const renderMore = async () => {
    if (!s) return void ($('#sc-more', view).innerHTML = '');
    const conflicts =
      s.state === 'withdrawn' ? [] : await get(`/api/relay/schedules/${s.id}/conflicts`).catch(() => []);
    if (ctx.stale()) return;
    const onAir = s.onAir && s.published;
    setHtml(
      $('#sc-more', view),
      `<section class="card"><h2>播出中的版本</h2><p id="sc-onair">${onAir ? `第 ${s.published.revision} 版：${esc(recurrenceText(s.published.recurrence))}（${esc(s.published.programme.name)}，${esc(sourceText(s.published.programme.source))}）` : '<span class="muted">未在播出</span>'}</p>
        ${s.programmeChanged ? '<p class="msg error">节目已修改，播出的仍是审核时的节目；须重新提交审核。</p>' : ''}
        <h2>发布后的冲突 <small class="muted">未来 28 天，同一终端</small></h2>
        <ul id="sc-conflicts">${conflicts.map((c) => `<li class="${c.winnerScheduleId === s.id ? '' : 'bad'}">与排期 <a href="#/schedule/${c.scheduleId}">#${c.scheduleId} ${esc(c.programmeName ?? '')}</a> 重叠 ${c.days?.length ?? 0} 天（首次 ${esc(c.days?.[0] ?? '')}，${c.terminalCount} 台终端）：${c.winnerScheduleId === s.id ? '本排期优先' : `#${c.winnerScheduleId} 优先`}（${esc(RULES[c.decidedBy] ?? c.decidedBy)}）</li>`).join('') || '<li class="muted">无冲突</li>'}</ul></section>
      <section class="card"><h2>审核记录</h2><ol id="sc-history">${(s.revisions ?? [])
        .map(
          (r) =>
            `<li>${esc(formatTime(r.at))} ${esc(r.userName)} ${esc(ACTIONS[r.action] ?? r.action)} 第 ${r.revision} 版${r.changes?.recurrence ? `：${esc(recurrenceText(r.changes.recurrence.from))} → ${esc(recurrenceText(r.changes.recurrence.to))}` : ''}</li>`,
        )
        .join('')}</ol></section>`,
    );
  };

  const render = () => {
    $('#sc-title', view).innerHTML = s
      ? `排期 #${s.id} · ${esc(s.programmeName)} · 第 ${s.revision} 版 <span class="sched-state state-${s.state}" id="sc-state">${esc(SCHEDULE_STATES[s.state])}</span>${s.onAir && s.state !== 'published' ? ' <span class="muted">（旧版播出中）</span>' : ''}${s.rejectionReason && s.state === 'draft' ? ` <span class="bad" id="sc-rejection">驳回原因：${esc(s.rejectionReason)}</span>` : ''}`
      : '新建排期';
    renderActions();
    void renderMore().catch((err) => say(msg, err.message, 'error'));
  };
  const load = async () => {
    const next = await get(`/api/relay/schedules/${s.id}`);
    if (ctx.stale()) return;
    const edited = next.revision !== s.revision || next.updatedAt !== s.updatedAt;
    s = next;
    if (edited) draw(s.recurrence);
    render();
  };

  const act = async (what) => {
    if (what === 'save' || what === 'save-submit') {
      clearFieldErrors(form);
      const r = recurrence();
      s = s
        ? await patch(`/api/relay/schedules/${s.id}`, { recurrence: r })
        : await post('/api/relay/schedules', { programmeId: Number(form.programmeId.value), recurrence: r });
      if (what === 'save-submit') await post(`/api/relay/schedules/${s.id}/submit`);
      if (location.hash !== `#/schedule/${s.id}`) location.hash = `#/schedule/${s.id}`;
      if (what === 'save-submit') return '已保存并提交审核';
      return s.state === 'draft' ? '已保存为草稿（提交审核并批准后才播出）' : '未作修改';
    }
    if (
      what === 'withdraw' &&
      !window.confirm(s.onAir ? '确定停播此排期吗？正在播出的终端将立即停止。' : '确定撤回此排期吗？')
    )
      return null;
    const reason = what === 'reject' ? $('#sc-reject', view).reason.value.trim() : undefined;
    if (what === 'reject' && !reason) throw new Error('驳回须写明原因。');
    const res = await post(`/api/relay/schedules/${s.id}/${what}`, reason ? { reason } : {});
    if (what === 'approve' && res.conflicts.length)
      return `已发布；与 ${res.conflicts.length} 个排期重叠，按优先级规则播出`;
    return { submit: '已提交审核', approve: '已发布', reject: '已驳回', withdraw: '已停播' }[what];
  };
  const run = (what, button) => {
    if (button) button.disabled = true;
    say(msg, '正在处理…');
    act(what)
      .then(async (text) => {
        if (text === null) return say(msg, '');
        say(msg, text, 'ok');
        if (s && location.hash === `#/schedule/${s.id}`) await load();
      })
      .catch((err) => {
        if (button) button.disabled = false;
        if (form) showFieldErrors(form, err, FIELD_NAMES, msg);
      });
  };
  view.addEventListener('click', (e) => {
    const add = e.target.closest('[data-add]');
    if (add) {
      const input = form.querySelector(`[data-pick="${add.dataset.add}"]`);
      const v = input.value;
      if (v && !listOf(add.dataset.add).includes(v))
        form
          .querySelector(`[data-list="${add.dataset.add}"] .chips`)
          .insertAdjacentHTML(
            'beforeend',
            `<span class="chip" data-value="${esc(v)}">${esc(v)} <button type="button" class="link" data-remove="${add.dataset.add}" aria-label="移除 ${esc(v)}">×</button></span>`,
          );
      input.value = '';
      return;
    }
    const remove = e.target.closest('[data-remove]');
    if (remove) return void remove.closest('.chip').remove();
    const b = e.target.closest('button[data-do]');
    if (b) run(b.dataset.do, b);
  });
  view.addEventListener('change', (e) => e.target.name === 'kind' && showKind());
  view.addEventListener('submit', (e) => {
    e.preventDefault();
    if (e.target.id === 'sc-reject') run('reject', e.target.querySelector('button'));
  });

  draw(s?.recurrence ?? blank);
  render();
  const off = live.on('relay', (changes) => {
    if (s && changes.some((c) => c.kind === 'schedule' && c.schedule.id === s.id))
      void load().catch((err) => say(msg, err.message, 'error'));
  });
  const release = await live.subscribe('relay', null);
  return () => {
    off();
    release();
  };
}
