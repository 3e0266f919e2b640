// 新建预警 / 编辑预警 / 一键应急: the composer. Event type (code + name from GET /api/alerts/codes), severity in its
// colour, message class always in view, targets on the region tree and on the map (a town outline or cluster, a
// village cluster or a single terminal dot, kept in step with the tree) with a live count of terminals and of those
// offline now, audio (built-in tone, uploaded clip or text-to-speech) with a preview of what will play, repeat,
// volume, start and end. Saves a draft, submits it for review, or — on the one-key path (?emergency=1) — sends it
// at once after a deliberate confirmation that records the reason. The form's HTML: compose-form.js.
import { ApiError, get, patch, post } from '../api.js';
import { $, coalesce, esc, say } from '../dom.js';
import { MESSAGE_TYPES, SEVERITY_CLASS, SEVERITY_NAMES, fromChinaInput } from '../format.js';
import { live } from '../live.js';
import { areaPrefix, defaultRegion, region, regionName } from '../regions.js';
import { AudioPreview } from '../audio-preview.js';
import { CountyMap } from '../county-map.js';
import { placedTerminals } from './broadcast.js';
import { classOf, composeFormHtml } from './compose-form.js';

const FIELD_NAMES = {
  eventType: '事件类型',
  severity: '级别',
  messageType: '信息类别',
  title: '标题',
  text: '播发文本',
  targets: '播发范围',
  'targets.areaCodes': '播发范围',
  audio: '音频',
  'audio.clipId': '音频',
  'audio.toneId': '提示音',
  repeat: '重复次数',
  volume: '音量',
  startAt: '开始时间',
  endAt: '结束时间',
  reason: '应急原因',
};
const TARGET_LEGEND = [
  ['target', '已选'],
  ['none', '未选'],
];

let codesCache = null;
async function codes() {
  codesCache ??= get('/api/alerts/codes');
  return codesCache;
}

export async function mount(view, ctx) {
  const emergency = ctx.query.get('emergency') === '1';
  const editId = ctx.arg && /^\d+$/.test(ctx.arg) ? Number(ctx.arg) : null;
  const root = defaultRegion();
  if (!ctx.can('compose')) {
    view.innerHTML = '<p class="msg error">只有值班员可以编写预警。</p>';
    return undefined;
  }
  const [c, tones, clips, existing] = await Promise.all([
    codes(),
    get('/api/audio/clips', { kind: 'tone', pageSize: 100 }),
    get('/api/audio/clips', { kind: 'upload', pageSize: 200 }),
    editId ? get(`/api/alerts/${editId}`) : null,
  ]);
  if (ctx.stale()) return undefined;
  const a = existing ?? {
    eventType: '11B03',
    severity: 2,
    messageType: emergency ? 'real' : 'terminalDrill',
    title: '',
    text: '',
    targets: { areaCodes: [], terminalIds: [] },
    audio: { kind: 'tts', toneBefore: 'tone-chime' },
    repeat: 2,
    volume: 80,
    startAt: null,
    endAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
  const selected = new Set(a.targets.areaCodes);
  /** Terminals picked one by one on the map (targets.terminalIds), by id → name. */
  const singles = new Map((a.targets.terminalIds ?? []).map((id) => [id, `终端 ${id}`]));
  view.innerHTML = composeFormHtml({
    a,
    c,
    emergency,
    editId,
    root: region(root),
    selected,
    tones: tones.items,
    clips,
  });

  const form = $('#cp-form', view);
  const msg = $('#cp-msg', view);
  const preview = new AudioPreview($('#cp-audio', view), $('#cp-preview-progress', view), $('#cp-preview-msg', view));

  // ---- message class and severity always in view ----
  const showClass = () => {
    const key = form.messageClass.value;
    const sev = Number(form.severity.value);
    const bar = $('#cp-classbar', view);
    bar.dataset.class = classOf(key);
    $('#cp-classnow', view).innerHTML =
      `${esc(MESSAGE_TYPES[key])} · <span class="severity ${SEVERITY_CLASS[sev] ?? ''}">${esc(SEVERITY_NAMES[sev] ?? '')}</span>`;
  };
  const limitSeverities = () => {
    const e = c.eventTypes.find((x) => x.code === form.eventType.value);
    for (const input of form.querySelectorAll('input[name=severity]')) {
      input.disabled = e ? !e.severities.includes(Number(input.value)) : false;
      input.closest('label').classList.toggle('unavailable', input.disabled);
    }
    if (form.severity.value === '' || form.querySelector('input[name=severity]:checked')?.disabled) {
      const first = form.querySelector('input[name=severity]:not(:disabled)');
      if (first) first.checked = true;
    }
  };

  // ---- targets with live counts ----
  const checkedCodes = () => [...form.querySelectorAll('input[name=area]:checked')].map((i) => i.value);
  /** The checked regions, without those a checked ancestor covers already. */
  const targets = () => {
    const codes = checkedCodes();
    const prefixes = codes.map((x) => [x, areaPrefix(x)]);
    return codes.filter(
      (x) => !prefixes.some(([o, p]) => o !== x && x.startsWith(p) && areaPrefix(x).length > p.length),
    );
  };
  /** Single terminals the chosen regions do not already cover. */
  const loneSingles = (chosen) => {
    const prefixes = chosen.map(areaPrefix);
    return [...singles.keys()].filter((id) => {
      const t = live.terminals.get(id) ?? mapTerminals.get(id);
      return !t || !prefixes.some((p) => t.areaCode.startsWith(p));
    });
  };
  const showSingles = () => {
    $('#cp-singles', view).innerHTML = [...singles]
      .map(
        ([id, name]) =>
          `<li data-single="${id}">${esc(name)} <button type="button" class="link" data-unpick="${id}" aria-label="移除 ${esc(name)}">移除</button></li>`,
      )
      .join('');
  };
  const showCount = () => {
    const chosen = targets();
    map?.refresh();
    for (const input of form.querySelectorAll('input[name=area]')) {
      const covered = chosen.some(
        (x) =>
          x !== input.value &&
          input.value.startsWith(areaPrefix(x)) &&
          areaPrefix(input.value).length > areaPrefix(x).length,
      );
      input.closest('.tree-label').classList.toggle('covered', covered);
    }
    const lone = new Set(loneSingles(chosen));
    if (!chosen.length && !lone.size) {
      $('#cp-count', view).textContent = '未选择';
      return;
    }
    const prefixes = chosen.map(areaPrefix);
    const registered = chosen.reduce((s, x) => s + (region(x)?.terminalCount ?? 0), 0) + lone.size;
    let offline = 0;
    let known = 0;
    for (const t of live.terminals.values()) {
      if (!lone.has(t.id) && !prefixes.some((p) => t.areaCode.startsWith(p))) continue;
      known++;
      if (!t.online) offline++;
    }
    $('#cp-count', view).innerHTML =
      `<b id="cp-count-total">${registered}</b> 台终端，其中 <b id="cp-count-offline" class="${offline ? 'bad' : 'good'}">${offline}</b> 台此刻离线 <span class="muted">（${esc([...chosen.map(regionName), ...(lone.size ? [`单选终端 ${lone.size} 台`] : [])].join('、'))}${known < registered ? `；${registered - known} 台未接入监测` : ''}）</span>`;
  };

  // ---- audio ----
  const audioKind = () => form.audioKind.value;
  const showAudio = () => {
    for (const el of form.querySelectorAll('[data-audio]')) el.hidden = el.dataset.audio !== audioKind();
    preview.reset();
  };
  const audioOf = () => {
    const kind = audioKind();
    if (kind === 'tone') return { kind, toneId: form.toneId.value };
    if (kind === 'clip') return { kind, clipId: form.clipId.value };
    return form.toneBefore.value ? { kind, toneBefore: form.toneBefore.value } : { kind };
  };
  $('#cp-preview', view).addEventListener('click', () => {
    const audio = audioOf();
    const text = form.text.value.trim();
    if (audio.kind === 'tts' && !text) {
      fieldError('text', '文字转语音需要播发文本');
      return;
    }
    void preview.play(audio, text, form.title.value.trim() || '试听');
  });

  // ---- the body the API takes ----
  const fieldError = (field, text) => {
    const el =
      form.querySelector(`.field-error[data-for="${field}"]`) ??
      form.querySelector(`.field-error[data-for="${field.split('.')[0]}"]`);
    if (el) el.textContent = text;
    return !!el;
  };
  const clearErrors = () => form.querySelectorAll('.field-error').forEach((e) => (e.textContent = ''));
  const body = () => {
    const startAt = fromChinaInput(form.startAt.value);
    const endAt = fromChinaInput(form.endAt.value);
    return {
      eventType: form.eventType.value,
      severity: Number(form.severity.value),
      messageType: form.messageClass.value,
      title: form.title.value.trim(),
      text: form.text.value.trim(),
      targets: { areaCodes: targets(), terminalIds: loneSingles(targets()) },
      audio: audioOf(),
      repeat: Number(form.repeat.value),
      volume: Number(form.volume.value),
      startAt: startAt === null ? null : new Date(startAt).toISOString(),
      endAt: endAt === null ? '' : new Date(endAt).toISOString(),
    };
  };
  /** The checks a person gets at once, in words; the server checks everything again. */
  const check = (b) => {
    let ok = true;
    const bad = (f, t) => {
      fieldError(f, t);
      ok = false;
    };
    if (!b.title) bad('title', '请填写标题');
    if (!b.targets.areaCodes.length && !b.targets.terminalIds.length) bad('targets', '请至少选择一个区域');
    if (b.audio.kind === 'tts' && !b.text) bad('text', '文字转语音需要播发文本');
    if (b.audio.kind === 'clip' && !b.audio.clipId) bad('audio.clipId', '请选择音频，或先在音频库上传');
    if (!b.endAt) bad('endAt', '请填写结束时间');
    else if (Date.parse(b.endAt) <= Date.now()) bad('endAt', '结束时间须晚于现在');
    else if (b.startAt && Date.parse(b.startAt) >= Date.parse(b.endAt)) bad('startAt', '开始时间须早于结束时间');
    if (!(b.repeat >= 1 && b.repeat <= 10)) bad('audio', '重复次数为 1–10');
    return ok;
  };
  const showServerError = (err) => {
    const details = err instanceof ApiError && Array.isArray(err.body?.details) ? err.body.details : [];
    let placed = 0;
    for (const d of details)
      if (d.field && fieldError(d.field, `${FIELD_NAMES[d.field] ?? d.field}有误：${d.message}`)) placed++;
    say(msg, placed ? `${err.message.split('（')[0]}，请检查标红的项目。` : err.message, 'error');
  };

  const buttons = () => form.querySelectorAll('.form-actions button');
  const busy = (on, text) => {
    buttons().forEach((b) => (b.disabled = on));
    if (text) say(msg, text);
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors();
    const b = body();
    if (!check(b)) {
      say(msg, '有几项需要补充或修改，见标红处。', 'error');
      form.querySelector('.field-error:not(:empty)')?.closest('.field, section')?.scrollIntoView({ block: 'center' });
      return;
    }
    say(msg, '');
    if (emergency) {
      const reason = form.reason.value.trim();
      if (!reason) {
        fieldError('reason', '一键应急必须填写原因');
        say(msg, '请填写应急原因。', 'error');
        return;
      }
      confirmEmergency(b, reason);
      return;
    }
    const go = e.submitter?.value ?? 'draft';
    busy(true, go === 'submit' ? '正在保存并提交审核…' : '正在保存草稿…');
    (async () => {
      const saved = editId ? await patch(`/api/alerts/${editId}`, b) : await post('/api/alerts', b);
      if (go === 'submit') await post(`/api/alerts/${saved.id}/submit`);
      location.hash = `#/alert/${saved.id}`;
    })().catch((err) => {
      busy(false);
      showServerError(err);
    });
  });

  // the one-key path: a dialog that needs the words typed, then sent at once
  const dialog = $('#cp-confirm', view);
  const word = $('#cp-confirm-word', view);
  word.addEventListener('input', () => ($('#cp-confirm-go', view).disabled = word.value.trim() !== '确认播发'));
  let pending = null;
  const confirmEmergency = (b, reason) => {
    pending = { b, reason };
    word.value = '';
    $('#cp-confirm-go', view).disabled = true;
    $('#cp-confirm-what', view).innerHTML =
      `<b>${esc(b.title)}</b> → ${esc(b.targets.areaCodes.map(regionName).join('、'))}（${esc($('#cp-count', view).textContent)}）`;
    dialog.showModal();
    word.focus();
  };
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'go' || !pending) return;
    const { b, reason } = pending;
    pending = null;
    busy(true, '正在播发（等待语音合成与下发）…');
    post('/api/alerts/emergency', { ...b, reason })
      .then((saved) => (location.hash = saved.broadcastId ? `#/broadcast/${saved.broadcastId}` : `#/alert/${saved.id}`))
      .catch((err) => {
        busy(false);
        showServerError(err);
      });
  });

  form.addEventListener('change', (e) => {
    const n = e.target.name;
    if (n === 'eventType') limitSeverities();
    if (n === 'messageClass' || n === 'severity' || n === 'eventType') showClass();
    if (n === 'area') showCount();
    if (n === 'audioKind') showAudio();
    if (n === 'toneId' || n === 'clipId' || n === 'toneBefore' || n === 'text') preview.reset();
  });
  form.volume.addEventListener('input', () => ($('#cp-volume', view).textContent = form.volume.value));

  // ---- the same targets on the map ----
  let map = null;
  const mapTerminals = new Map();
  const areaBox = (code) => form.querySelector(`input[name=area][value="${code}"]`);
  const coveredBy = (code) =>
    targets().find(
      (x) => x !== code && code.startsWith(areaPrefix(x)) && areaPrefix(code).length > areaPrefix(x).length,
    );
  const note = (text) => ($('#cp-map-note', view).textContent = text);
  const pick = ({ areaCode, terminalId }) => {
    if (areaCode) {
      const box = areaBox(areaCode);
      const over = coveredBy(areaCode);
      if (!box) return note(`${regionName(areaCode)}不在您可选的区域内。`);
      if (over && !box.checked)
        return note(`${regionName(areaCode)}已由${regionName(over)}覆盖；先取消${regionName(over)}。`);
      box.checked = !box.checked;
      box.closest('details')?.setAttribute('open', '');
      note(`${box.checked ? '已选' : '已取消'}：${regionName(areaCode)}`);
    } else {
      const t = mapTerminals.get(terminalId);
      const over = t && targets().find((x) => t.areaCode.startsWith(areaPrefix(x)));
      if (over && !singles.has(terminalId)) return note(`${t.name}已在${regionName(over)}范围内。`);
      if (singles.has(terminalId)) singles.delete(terminalId);
      else singles.set(terminalId, t?.name ?? `终端 ${terminalId}`);
      note(`${singles.has(terminalId) ? '已选' : '已取消'}：${t?.name ?? terminalId}`);
      showSingles();
    }
    showCount();
    return undefined;
  };
  $('#cp-singles', view).addEventListener('click', (e) => {
    const id = Number(e.target.closest('[data-unpick]')?.dataset.unpick);
    if (!id) return;
    singles.delete(id);
    showSingles();
    showCount();
  });
  const isTarget = (t) => singles.has(t.id) || targets().some((x) => t.areaCode.startsWith(areaPrefix(x)));
  const drawMap = async () => {
    const list = root ? await placedTerminals(root) : [];
    if (ctx.stale()) return;
    for (const t of list) {
      mapTerminals.set(t.id, t);
      if (singles.has(t.id)) singles.set(t.id, t.name);
    }
    map = new CountyMap($('#cp-map', view), {
      terminals: list,
      stateOf: (t) => (isTarget(t) ? 'target' : 'none'),
      legend: TARGET_LEGEND,
      title: '在地图上点选',
      pick,
      picked: (code) => targets().includes(code),
    });
    showSingles();
    showCount();
  };
  void drawMap().catch((err) => ($('#cp-map', view).innerHTML = `<p class="msg error">${esc(err.message)}</p>`));

  limitSeverities();
  showClass();
  showAudio();
  const countSoon = coalesce(showCount);
  const offChange = live.onChange((ch) => ch.terminals.size && countSoon());
  const release = root ? await live.subscribe('region', root) : () => undefined;
  showCount();
  return () => {
    offChange();
    release();
    preview.reset();
  };
}
