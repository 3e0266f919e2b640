// 新建节目 / 编辑节目 (#/programme/new, #/programme/<id>): name, source with its parameter (FM frequency, line-in
// channel, IP stream index, a playlist of library clips), a fallback source, the signal threshold the watch uses,
// volume, priority class and the targets ticked on the region tree as the alert composer picks them. The API checks
// everything; its 400 is shown beside each field. An edit does not change what is on air until the programme's
// schedules are reviewed again (docs/relay.md).
import { get, patch, post } from '../api.js';
import { $, esc, say } from '../dom.js';
import { areaPrefix, defaultRegion, region } from '../regions.js';
import { CLASSES, SCHEDULE_STATES, clearFieldErrors, relayTabs, showFieldErrors } from '../relay-common.js';
import { treeHtml } from './compose-form.js';

const FIELD_NAMES = {
  name: '节目名称',
  source: '信源',
  'source.frequency': '调频频率',
  'source.channel': '线路输入通道',
  'source.stream': 'IP 流序号',
  'source.clipIds': '节目单',
  fallback: '备用信源',
  minSignalQuality: '信号门限',
  volume: '音量',
  priorityClass: '级别',
  targets: '覆盖区域',
};
const KINDS = [
  ['fm', '调频转播'],
  ['line-in', '线路输入'],
  ['ip', 'IP 流'],
  ['playlist', '节目单（音频库）'],
];

/** The parameter inputs of a source (`prefix` source or fallback); only the chosen kind's is shown. */
function sourceFields(prefix, s, clips) {
  const clipBoxes =
    clips
      .map(
        (c) =>
          `<label><input type="checkbox" name="${prefix}.clip" value="${esc(c.id)}"${s?.clipIds?.includes(c.id) ? ' checked' : ''}> ${esc(c.title)}</label>`,
      )
      .join('') || '<span class="muted">音频库中没有可用的音频</span>';
  return `
    <label class="field" data-kind-of="${prefix}" data-kind="fm"><span>频率（MHz，87.5–108.0）</span><input name="${prefix}.frequencyMHz" inputmode="decimal" value="${s?.kind === 'fm' ? (s.frequency / 100).toFixed(1) : ''}" placeholder="95.3"><em class="field-error" data-for="${prefix}.frequency"></em></label>
    <label class="field" data-kind-of="${prefix}" data-kind="line-in"><span>通道（1–16）</span><input name="${prefix}.channel" type="number" value="${s?.channel ?? ''}"><em class="field-error" data-for="${prefix}.channel"></em></label>
    <label class="field" data-kind-of="${prefix}" data-kind="ip"><span>IP 流序号</span><input name="${prefix}.stream" type="number" value="${s?.stream ?? ''}"><em class="field-error" data-for="${prefix}.stream"></em></label>
    <div class="field clip-list" data-kind-of="${prefix}" data-kind="playlist"><span>节目单（按音频库顺序播放）</span>${clipBoxes}<em class="field-error" data-for="${prefix}.clipIds"></em></div>
    <em class="field-error" data-for="${prefix}"></em>`;
}

export async function mount(view, ctx) {
  const id = ctx.arg && /^\d+$/.test(ctx.arg) ? Number(ctx.arg) : null;
  const officer = ctx.can('compose');
  const [existing, clips, schedules] = await Promise.all([
    id ? get(`/api/relay/programmes/${id}`) : null,
    get('/api/audio/clips', { pageSize: 200 }).catch(() => ({ items: [] })),
    id ? get('/api/relay/schedules', { programmeId: id }) : [],
  ]);
  if (ctx.stale()) return undefined;
  const p = existing ?? {
    name: '',
    source: { kind: 'fm', frequency: 9530 },
    fallback: null,
    minSignalQuality: null,
    volume: 70,
    priorityClass: 'village',
    targets: { areaCodes: [], terminalIds: [] },
  };
  const ready = clips.items.filter((c) => c.state === 'ready');
  const selected = new Set(p.targets.areaCodes);
  const root = region(defaultRegion());
  const disabled = officer ? '' : ' disabled';
  view.innerHTML = `
    ${relayTabs('programmes')}
    <div class="crumbs"><a href="#/programmes">节目</a> <span class="sep">›</span> <strong>${id ? `编辑节目 ${esc(p.name)}` : '新建节目'}</strong></div>
    <form id="pg-form" class="compose" novalidate><fieldset class="plain"${disabled}>
      <div class="compose-grid">
        <section class="card">
          <h2>节目与信源</h2>
          <label class="field"><span>节目名称</span><input name="name" maxlength="200" value="${esc(p.name)}" placeholder="如：县台午间新闻转播"><em class="field-error" data-for="name"></em></label>
          <fieldset class="field choices"><legend>信源</legend>
            ${KINDS.map(([k, label]) => `<label><input type="radio" name="sourceKind" value="${k}"${p.source.kind === k ? ' checked' : ''}> ${label}</label>`).join(' ')}
            ${sourceFields('source', p.source, ready)}</fieldset>
          <fieldset class="field choices"><legend>备用信源 <small class="muted">主信源信号弱或无声时切换</small></legend>
            <label><input type="radio" name="fallbackKind" value=""${p.fallback ? '' : ' checked'}> 无</label>
            ${KINDS.map(([k, label]) => `<label><input type="radio" name="fallbackKind" value="${k}"${p.fallback?.kind === k ? ' checked' : ''}> ${label}</label>`).join(' ')}
            ${sourceFields('fallback', p.fallback, ready)}</fieldset>
          <div class="inline-fields">
            <label class="field"><span>信号门限（0–100，留空不监测）</span><input name="minSignalQuality" type="number" value="${p.minSignalQuality ?? ''}"><em class="field-error" data-for="minSignalQuality"></em></label>
            <label class="field"><span>音量 <output id="pg-volume">${p.volume}</output></span><input type="range" name="volume" min="0" max="100" value="${p.volume}"><em class="field-error" data-for="volume"></em></label>
          </div>
          <fieldset class="field choices"><legend>级别（上级优先）</legend>
            ${Object.entries(CLASSES)
              .map(
                ([k, label]) =>
                  `<label><input type="radio" name="priorityClass" value="${k}"${p.priorityClass === k ? ' checked' : ''}> ${label}</label>`,
              )
              .join(' ')}
            <em class="field-error" data-for="priorityClass"></em></fieldset>
        </section>
        <section class="card">
          <h2>覆盖区域 <small class="muted">勾选区域，下级一并覆盖</small></h2>
          <ul class="tree" id="pg-tree">${root ? treeHtml(root, 0, selected) : ''}</ul>
          ${p.targets.terminalIds.length ? `<p class="muted">另含单选终端：${p.targets.terminalIds.map((t) => `终端 ${t}`).join('、')}</p>` : ''}
          <em class="field-error" data-for="targets"></em>
        </section>
      </div>
      <div class="form-actions">
        ${officer ? `<button type="submit" class="primary" id="pg-save">${id ? '保存修改' : '保存节目'}</button>` : '<p class="muted">只有值班员可以修改节目。</p>'}
        <a href="#/programmes">返回</a>
        <p id="pg-msg" class="msg" hidden role="status"></p>
      </div></fieldset>
    </form>
    ${
      id
        ? `<h2>排期 ${officer ? `<a class="button" href="#/schedule/new?programme=${id}" id="pg-new-schedule">新建排期</a>` : ''}</h2>
      <ul id="pg-schedules">${schedules.map((s) => `<li><a href="#/schedule/${s.id}">#${s.id} ${esc(s.recurrence.start)}–${esc(s.recurrence.end)}</a> ${esc(SCHEDULE_STATES[s.state])}</li>`).join('') || '<li class="muted">暂无排期</li>'}</ul>
      <p class="muted">修改节目后，已发布的排期仍按审核时的节目播出，须重新提交审核。</p>`
        : ''
    }`;
  const form = $('#pg-form', view);
  const msg = $('#pg-msg', view);
  const showKinds = () => {
    for (const prefix of ['source', 'fallback']) {
      const kind = form[`${prefix}Kind`].value;
      for (const el of form.querySelectorAll(`[data-kind-of="${prefix}"]`)) el.hidden = el.dataset.kind !== kind;
    }
  };
  const num = (v) => (v.trim() === '' ? undefined : Number(v));
  const sourceOf = (prefix) => {
    const kind = form[`${prefix}Kind`].value;
    if (!kind) return undefined;
    const f = (n) => form.elements.namedItem(`${prefix}.${n}`);
    if (kind === 'fm') return { kind, frequencyMHz: num(f('frequencyMHz').value) };
    if (kind === 'line-in') return { kind, channel: num(f('channel').value) };
    if (kind === 'ip') return { kind, stream: num(f('stream').value) };
    return { kind, clipIds: [...form.querySelectorAll(`input[name="${prefix}.clip"]:checked`)].map((i) => i.value) };
  };
  /** The ticked regions without those a ticked ancestor covers. */
  const targets = () => {
    const codes = [...form.querySelectorAll('input[name=area]:checked')].map((i) => i.value);
    return codes.filter((x) =>
      codes.every((o) => o === x || !(x.startsWith(areaPrefix(o)) && areaPrefix(x).length > areaPrefix(o).length)),
    );
  };
  const body = () => ({
    name: form.elements.namedItem('name').value.trim(),
    source: sourceOf('source'),
    ...(form.fallbackKind.value ? { fallback: sourceOf('fallback') } : {}),
    ...(num(form.minSignalQuality.value) !== undefined ? { minSignalQuality: num(form.minSignalQuality.value) } : {}),
    volume: Number(form.volume.value),
    priorityClass: form.priorityClass.value,
    targets: { areaCodes: targets(), terminalIds: p.targets.terminalIds },
  });
  form.addEventListener('change', showKinds);
  form.volume.addEventListener('input', () => ($('#pg-volume', view).textContent = form.volume.value));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const b = body();
    if (!b.targets.areaCodes.length && !b.targets.terminalIds.length) {
      $('.field-error[data-for="targets"]', form).textContent = '请至少选择一个区域';
      say(msg, '有几项需要补充或修改，见标红处。', 'error');
      return;
    }
    say(msg, '正在保存…');
    (id ? patch(`/api/relay/programmes/${id}`, b) : post('/api/relay/programmes', b))
      .then((saved) => {
        say(msg, '已保存', 'ok');
        if (!id) location.hash = `#/programme/${saved.id}`;
      })
      .catch((err) => showFieldErrors(form, err, FIELD_NAMES, msg));
  });
  showKinds();
  return undefined;
}
