// Plays in the browser what a terminal will play: a library clip's own variant (the bytes the terminals get, as
// mp3 or opus), a built-in tone, or text-to-speech synthesised by the server's engine (progress shown while it runs).
// With a tone before the message, the tone plays first and the message follows, as the joined clip will.
import { blobUrl, get, post } from './api.js';
import { live } from './live.js';

const PLAYABLE = ['mp3-64k', 'opus-16k'];

/** A ready clip's variant the browser plays (mp3 or opus), as an object URL. */
export async function clipUrl(clipId) {
  const clip = await get(`/api/audio/clips/${encodeURIComponent(clipId)}`);
  if (clip.state !== 'ready')
    throw new Error(clip.state === 'failed' ? `音频处理失败：${clip.error ?? ''}` : '音频仍在处理中，请稍候再试听');
  const profile = PLAYABLE.find((p) => clip.variants.some((v) => v.profile === p)) ?? clip.variants[0]?.profile;
  if (!profile) throw new Error('音频没有可试听的格式');
  return (await blobUrl(`/api/audio/clips/${encodeURIComponent(clipId)}/variants/${profile}/content`)).url;
}

/** Follows an audio job over /live (kind audioJob) until it ends, reporting its percent; resolves with the clip id. */
export function followJob(job, onProgress) {
  return new Promise((resolve, reject) => {
    let release = null;
    let done = false;
    const off = live.on('audioJob', (j) => step(j));
    const finish = () => {
      done = true;
      off();
      release?.();
    };
    const step = (j) => {
      if (done || j.id !== job.id) return;
      if (j.state !== 'failed') onProgress(j.percent ?? 0);
      if (j.state === 'succeeded') {
        finish();
        resolve(j.clipId ?? job.clipId);
      } else if (j.state === 'failed') {
        finish();
        reject(new Error(`音频处理失败：${j.error ?? '原因不明'}`));
      }
    };
    step(job);
    if (!done) void live.subscribe('audioJob', job.id).then((r) => (done ? r() : (release = r)));
  });
}

export class AudioPreview {
  constructor(audio, progress, note) {
    this.audio = audio;
    this.progress = progress;
    this.note = note;
    this.urls = [];
    this.queue = [];
    this.token = 0;
    audio.addEventListener('ended', () => {
      const next = this.queue.shift();
      if (next) {
        audio.src = next;
        void audio.play().catch(() => undefined);
      }
    });
  }

  reset() {
    this.token++;
    this.audio.pause();
    this.queue = [];
    this.audio.removeAttribute('src');
    this.audio.load();
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
    this.progress.hidden = true;
    this.note.textContent = '';
  }

  showProgress(pct) {
    this.progress.hidden = false;
    this.progress.firstElementChild.style.width = `${pct}%`;
    this.note.textContent = `语音合成中 ${pct}%`;
  }

  /** `audio`: an alert's audio ({kind, toneId|clipId|toneBefore}); `text`: what text-to-speech reads. */
  async play(audio, text, title) {
    this.reset();
    const mine = this.token;
    this.note.textContent = '正在准备试听…';
    try {
      const ids = [];
      if (audio.kind === 'tone') ids.push(audio.toneId);
      else if (audio.kind === 'clip') ids.push(audio.clipId);
      else {
        if (audio.toneBefore) ids.push(audio.toneBefore);
        const started = await post('/api/audio/tts', { text, title: `试听：${title}` });
        ids.push(await followJob(started.job, (p) => mine === this.token && this.showProgress(p)));
      }
      const urls = [];
      for (const id of ids) urls.push(await clipUrl(id));
      if (mine !== this.token) return urls.forEach((u) => URL.revokeObjectURL(u));
      this.urls = urls;
      this.progress.hidden = true;
      this.note.textContent = ids.length > 1 ? '试听：先提示音，后语音' : '试听';
      this.queue = urls.slice(1);
      this.audio.src = urls[0];
      await this.audio.play().catch(() => undefined);
    } catch (e) {
      if (mine === this.token) {
        this.progress.hidden = true;
        this.note.textContent = e.message;
      }
    }
  }

  /** Plays one clip as it is (an alert's own clip: exactly what goes on air). */
  async playClip(clipId) {
    this.reset();
    const mine = this.token;
    try {
      const url = await clipUrl(clipId);
      if (mine !== this.token) return URL.revokeObjectURL(url);
      this.urls = [url];
      this.audio.src = url;
      this.note.textContent = '播发音频（与终端播放的相同）';
    } catch (e) {
      if (mine === this.token) this.note.textContent = e.message;
    }
  }
}
