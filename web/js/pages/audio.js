// 音频库: the clips alerts play — built-in tones, uploads, speech. Officers upload a recording (a progress bar while
// it goes up, then the server's processing), synthesise speech and hear it before keeping it, play any clip as the
// terminals get it, and delete a clip no alert uses (the page names the alerts that still do).
import { ApiError, del, get, post, upload } from '../api.js';
import { $, esc, say } from '../dom.js';
import { formatShortTime } from '../format.js';
import { AudioPreview, followJob } from '../audio-preview.js';

const KINDS = { tone: '内置提示音', upload: '上传', tts: '文字转语音', composed: '提示音＋语音' };
const STATES = { pending: '首次使用时生成', processing: '处理中', ready: '就绪', failed: '失败' };

export async function mount(view, ctx) {
  const canEdit = ctx.can('compose');
  view.innerHTML = `
    <h1>音频库 <small class="muted" id="au-count"></small></h1>
    ${
      canEdit
        ? `<div class="columns two">
      <form class="card" id="au-upload"><h2>上传录音</h2>
        <label class="field"><span>文件（mp3、wav、m4a、ogg…）</span><input type="file" name="file" accept="audio/*" required></label>
        <label class="field"><span>名称</span><input name="title" maxlength="200" placeholder="默认用文件名"></label>
        <div class="form-actions"><button type="submit" class="primary">上传</button> <span class="progress" id="au-up-progress" hidden><span></span></span> <span class="muted" id="au-up-note"></span></div></form>
      <form class="card" id="au-tts"><h2>文字转语音</h2>
        <label class="field"><span>文本</span><textarea name="text" rows="3" maxlength="2000" required></textarea></label>
        <label class="field"><span>名称</span><input name="title" maxlength="200"></label>
        <div class="form-actions"><button type="submit" class="primary">合成并保存</button></div>
        <div class="preview"><span class="progress" id="au-tts-progress" hidden><span></span></span> <span class="muted" id="au-tts-note"></span><audio id="au-tts-audio" controls preload="none"></audio></div></form>
    </div>`
        : ''
    }
    <p id="au-msg" class="msg" hidden role="status"></p>
    <div class="preview"><span class="muted">试听：</span><audio id="au-audio" controls preload="none"></audio> <span class="progress" hidden id="au-progress"><span></span></span> <span class="muted" id="au-note"></span></div>
    <table class="grid" id="au-table"><thead><tr><th>名称</th><th>类型</th><th>状态</th><th class="num">时长</th><th>创建</th><th></th></tr></thead><tbody></tbody></table>`;
  const msg = $('#au-msg', view);
  const player = new AudioPreview($('#au-audio', view), $('#au-progress', view), $('#au-note', view));

  const load = async () => {
    const list = await get('/api/audio/clips', { pageSize: 200 });
    if (ctx.stale()) return;
    $('#au-count', view).textContent = `共 ${list.total} 条`;
    $('#au-table tbody', view).innerHTML =
      list.items
        .map(
          (
            c,
          ) => `<tr data-clip="${esc(c.id)}"><td>${esc(c.title)}<div class="sub code">${esc(c.id)}</div></td><td>${esc(KINDS[c.kind] ?? c.kind)}</td>
            <td>${esc(STATES[c.state] ?? c.state)}${c.error ? `<div class="sub bad">${esc(c.error)}</div>` : ''}</td><td class="num">${c.durationMs ? `${(c.durationMs / 1000).toFixed(1)} 秒` : '—'}</td>
            <td>${formatShortTime(c.createdAt)}</td>
            <td>${c.state === 'ready' ? `<button type="button" data-play="${esc(c.id)}">试听</button>` : ''} ${canEdit && !c.builtIn ? `<button type="button" class="danger" data-delete="${esc(c.id)}">删除</button>` : ''}</td></tr>`,
        )
        .join('') || '<tr><td colspan="6" class="muted">音频库为空</td></tr>';
  };

  view.addEventListener('click', (e) => {
    const play = e.target.closest('button[data-play]');
    if (play)
      void player.playClip(play.dataset.play).then(() =>
        $('#au-audio', view)
          .play()
          .catch(() => undefined),
      );
    const remove = e.target.closest('button[data-delete]');
    if (!remove) return;
    if (!window.confirm('确定删除这条音频吗？')) return;
    remove.disabled = true;
    del(`/api/audio/clips/${encodeURIComponent(remove.dataset.delete)}`)
      .then(() => {
        say(msg, '已删除', 'ok');
        return load();
      })
      .catch((err) => {
        remove.disabled = false;
        const refs =
          err instanceof ApiError && Array.isArray(err.body?.details?.references) ? err.body.details.references : null;
        if (refs)
          say(
            msg,
            `不能删除：仍被使用 — ${refs.map((r) => `${r.kind === 'alert' ? '预警' : r.kind} ${r.id}「${r.label}」`).join('；')}`,
            'error',
          );
        else say(msg, err.message, 'error');
      });
  });

  if (canEdit) {
    const up = $('#au-upload', view);
    up.addEventListener('submit', (e) => {
      e.preventDefault();
      const file = up.file.files[0];
      if (!file) return say(msg, '请选择文件。', 'error');
      const bar = $('#au-up-progress', view);
      const note = $('#au-up-note', view);
      const button = $('button', up);
      button.disabled = true;
      bar.hidden = false;
      say(msg, '');
      upload('/api/audio/clips', file, up.title.value.trim() ? { title: up.title.value.trim() } : {}, (p) => {
        bar.firstElementChild.style.width = `${p}%`;
        note.textContent = `上传 ${p}%`;
      })
        .then((started) =>
          followJob(started.job, (p) => {
            bar.firstElementChild.style.width = `${p}%`;
            note.textContent = `处理中（响度归一、转码）${p}%`;
          }),
        )
        .then(() => {
          say(msg, '上传完成，音频已就绪。', 'ok');
          up.reset();
          return load();
        })
        .catch((err) => say(msg, err.message, 'error'))
        .finally(() => {
          button.disabled = false;
          bar.hidden = true;
          note.textContent = '';
        });
    });
    const tts = $('#au-tts', view);
    const ttsPlayer = new AudioPreview($('#au-tts-audio', view), $('#au-tts-progress', view), $('#au-tts-note', view));
    tts.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = tts.text.value.trim();
      if (!text) return say(msg, '请填写要朗读的文本。', 'error');
      const button = $('button', tts);
      button.disabled = true;
      $('#au-tts-progress', view).hidden = false;
      post('/api/audio/tts', { text, title: tts.title.value.trim() || text.slice(0, 30) })
        .then((started) => followJob(started.job, (p) => ttsPlayer.showProgress(p)))
        .then((clipId) => ttsPlayer.playClip(clipId))
        .then(() => load())
        .catch((err) => say(msg, err.message, 'error'))
        .finally(() => {
          button.disabled = false;
          $('#au-tts-progress', view).hidden = true;
        });
    });
  }
  await load();
  return () => player.reset();
}
