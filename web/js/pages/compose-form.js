// The composer's form (compose.js) as HTML: the message class bar, content, targets on the region tree (the map is drawn
// into #cp-map afterwards), audio, times, the emergency reason and the one-key confirmation dialog. The region tree is
// also the programme editor's (programme.js).
import { esc } from '../dom.js';
import { SEVERITY_CLASS, SEVERITY_NAMES, toChinaInput } from '../format.js';
import { areaPrefix } from '../regions.js';

const CLASSES = [
  ['real', '实际播发', 'real'],
  ['terminalDrill', '演练', 'drill'],
  ['platformDrill', '测试', 'test'],
];

/** The class bar's colour of a message type. */
export const classOf = (k) => (k === 'real' || k === 'cancel' ? 'real' : k === 'platformDrill' ? 'test' : 'drill');

/** The region tree as nested checkboxes; a checked region covers its subtree (its children are shown as covered). */
export function treeHtml(node, depth, selected) {
  // open at the top, and wherever something chosen lies (an alert being edited shows its targets)
  const prefix = areaPrefix(node.code);
  const open = depth < 1 || [...selected].some((c) => c.startsWith(prefix)) ? ' open' : '';
  const box = `<label class="tree-label"><input type="checkbox" name="area" value="${esc(node.code)}"${selected.has(node.code) ? ' checked' : ''}> ${esc(node.name)} <span class="muted">${node.terminalCount} 台</span></label>`;
  if (!node.children.length) return `<li>${box}</li>`;
  return `<li><details${open}><summary>${box}</summary><ul>${node.children.map((c) => treeHtml(c, depth + 1, selected)).join('')}</ul></details></li>`;
}

/**
 * The form for alert `a` (an existing one, or the defaults of a new one): `c` the alert codes, `root` the region tree
 * under the user's default region, `selected` the checked area codes, `tones` the built-in tones, `clips` a page of
 * uploaded clips.
 */
export function composeFormHtml({ a, c, emergency, editId, root, selected, tones, clips }) {
  return `
    <div class="crumbs"><a href="#/broadcasts">应急广播</a> <span class="sep">›</span> <strong>${emergency ? '一键应急' : editId ? `编辑预警 ${editId}` : '新建预警'}</strong></div>
    <form id="cp-form" class="compose${emergency ? ' emergency' : ''}" novalidate>
      <div class="class-bar" id="cp-classbar" role="radiogroup" aria-label="信息类别">
        <span class="label">信息类别</span>
        ${CLASSES.map(([key, label, cls]) => `<label class="class-option ${cls}"><input type="radio" name="messageClass" value="${key}"${classOf(a.messageType) === cls ? ' checked' : ''}${emergency && cls !== 'real' ? ' disabled' : ''}> ${label}</label>`).join('')}
        <span class="class-now" id="cp-classnow" aria-live="polite"></span>
      </div>
      ${emergency ? '<p class="msg error">一键应急：不经审核，确认后立即向所选范围播发，并记录原因，事后须由另一位审核员确认。</p>' : ''}
      <div class="compose-grid">
        <section class="card">
          <h2>内容</h2>
          <label class="field"><span>事件类型</span>
            <select name="eventType" id="cp-event">${c.eventTypes.map((e) => `<option value="${e.code}"${e.code === a.eventType ? ' selected' : ''}>${e.code} ${esc(e.name)}</option>`).join('')}</select>
            <em class="field-error" data-for="eventType"></em></label>
          <fieldset class="field severity-pick" id="cp-severity"><legend>级别</legend>
            ${[1, 2, 3, 4].map((n) => `<label class="sev ${SEVERITY_CLASS[n]}"><input type="radio" name="severity" value="${n}"${n === a.severity ? ' checked' : ''}> ${esc(SEVERITY_NAMES[n])}</label>`).join('')}
            <em class="field-error" data-for="severity"></em></fieldset>
          <label class="field"><span>标题</span><input name="title" maxlength="128" required value="${esc(a.title)}" placeholder="如：城关镇暴雨橙色预警"><em class="field-error" data-for="title"></em></label>
          <label class="field"><span>播发文本</span><textarea name="text" rows="5" maxlength="5000" placeholder="文字转语音时播报的内容">${esc(a.text)}</textarea><em class="field-error" data-for="text"></em></label>
        </section>
        <section class="card">
          <h2>播发范围 <small class="muted">勾选区域或在地图上点选，下级一并覆盖</small></h2>
          <p class="target-count" id="cp-count" aria-live="polite">未选择</p>
          <ul class="tree" id="cp-tree">${root ? treeHtml(root, 0, selected) : ''}</ul>
          <ul class="picked-terminals" id="cp-singles"></ul>
          <em class="field-error" data-for="targets"></em>
          <div id="cp-map" class="map-box pick-map"><p class="muted">正在加载地图…</p></div>
          <p class="muted small" id="cp-map-note" aria-live="polite">点镇的轮廓或圆圈选中整镇，放大后点村或单台终端；再点一次取消。</p>
        </section>
        <section class="card">
          <h2>音频</h2>
          <div class="audio-kinds" role="radiogroup" aria-label="音频来源">
            <label><input type="radio" name="audioKind" value="tone"${a.audio.kind === 'tone' ? ' checked' : ''}> 内置提示音</label>
            <label><input type="radio" name="audioKind" value="clip"${a.audio.kind === 'clip' ? ' checked' : ''}> 已上传音频</label>
            <label><input type="radio" name="audioKind" value="tts"${a.audio.kind === 'tts' ? ' checked' : ''}> 文字转语音</label>
          </div>
          <label class="field" data-audio="tone"><span>提示音</span><select name="toneId">${tones.map((t) => `<option value="${esc(t.id)}"${t.id === a.audio.toneId ? ' selected' : ''}>${esc(t.title)}</option>`).join('')}</select></label>
          <label class="field" data-audio="clip"><span>音频</span><select name="clipId">${
            clips.items
              .filter((x) => x.state === 'ready')
              .map(
                (x) =>
                  `<option value="${esc(x.id)}"${x.id === a.audio.clipId ? ' selected' : ''}>${esc(x.title)}${x.durationMs ? `（${Math.round(x.durationMs / 1000)} 秒）` : ''}</option>`,
              )
              .join('') || '<option value="">音频库中没有上传的音频</option>'
          }</select><em class="field-error" data-for="audio.clipId"></em></label>
          <label class="field" data-audio="tts"><span>前置提示音</span><select name="toneBefore"><option value="">无</option>${tones.map((t) => `<option value="${esc(t.id)}"${t.id === a.audio.toneBefore ? ' selected' : ''}>${esc(t.title)}</option>`).join('')}</select></label>
          <p class="muted" data-audio="tts">朗读上方的“播发文本”。</p>
          <div class="preview"><button type="button" id="cp-preview">试听</button> <span class="progress" id="cp-preview-progress" hidden><span></span></span> <span class="muted" id="cp-preview-msg"></span>
            <audio id="cp-audio" controls preload="none"></audio></div>
          <div class="inline-fields">
            <label class="field"><span>重复（次）</span><input type="number" name="repeat" min="1" max="10" value="${a.repeat}"></label>
            <label class="field"><span>音量 <output id="cp-volume">${a.volume}</output></span><input type="range" name="volume" min="0" max="100" value="${a.volume}"></label>
          </div>
          <div class="inline-fields">
            <label class="field"><span>开始（北京时间）</span><input type="datetime-local" name="startAt" value="${a.startAt ? toChinaInput(Date.parse(a.startAt)) : ''}"><small class="muted">留空：批准后立即</small><em class="field-error" data-for="startAt"></em></label>
            <label class="field"><span>结束（北京时间）</span><input type="datetime-local" name="endAt" required value="${toChinaInput(Date.parse(a.endAt))}"><em class="field-error" data-for="endAt"></em></label>
          </div>
        </section>
      </div>
      ${emergency ? `<section class="card"><label class="field"><span>应急原因（必填，将记录在案）</span><textarea name="reason" rows="2" maxlength="2000" required placeholder="如：山洪突发，来不及审核"></textarea><em class="field-error" data-for="reason"></em></label></section>` : ''}
      <div class="form-actions">
        ${
          emergency
            ? '<button type="submit" class="primary big-red" id="cp-emergency">一键应急播发…</button>'
            : `<button type="submit" name="go" value="draft" id="cp-save">保存草稿</button> <button type="submit" name="go" value="submit" class="primary" id="cp-submit">保存并提交审核</button>`
        }
        <a href="#/broadcasts">返回</a>
        <p id="cp-msg" class="msg" hidden role="status"></p>
      </div>
    </form>
    <dialog id="cp-confirm" class="confirm">
      <form method="dialog">
        <h2>确认一键应急播发</h2>
        <p id="cp-confirm-what"></p>
        <p>此操作不经审核立即播发。请输入 <b>确认播发</b> 以继续：</p>
        <input id="cp-confirm-word" autocomplete="off" aria-label="输入 确认播发">
        <div class="form-actions"><button value="cancel" type="submit">取消</button> <button value="go" type="submit" class="primary big-red" id="cp-confirm-go" disabled>立即播发</button></div>
      </form>
    </dialog>`;
}
