// 节目与排期: the daily relay's programmes in the reader's scope and this week's grid of their schedules (Asia/Shanghai
// days, Monday first), with the revision on air and the one being reviewed. Follows /live kind `relay`: a schedule
// published, edited or withdrawn redraws the page. Read-only for now (docs/relay.md).
import { get } from '../api.js';
import { $, coalesce, esc } from '../dom.js';
import { chinaDay } from '../format.js';
import { live } from '../live.js';
import { regionName } from '../regions.js';

const CLASSES = { county: '县级', town: '镇级', village: '村级' };
const STATES = { draft: '草稿', submitted: '待审核', published: '已发布', withdrawn: '已停播' };
const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];
const DAY_MS = 86_400_000;

const dayNumber = (d) => Date.parse(`${d}T00:00:00Z`) / DAY_MS;
const dayOf = (n) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const weekday = (d) => ((new Date(dayNumber(d) * DAY_MS).getUTCDay() + 6) % 7) + 1;

/** ISO week `YYYY-Www` (as src/relay/recurrence.ts). */
function isoWeek(d) {
  const thursday = dayNumber(d) - weekday(d) + 4;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const week = Math.floor((thursday - dayNumber(`${year}-01-01`)) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Whether a recurrence plays on day `d` (the server's rule, src/relay/recurrence.ts occursOn). */
function occursOn(r, d) {
  if (r.exceptDates.includes(d) || r.exceptWeeks.includes(isoWeek(d))) return false;
  if (r.kind === 'dates' || r.kind === 'once') return r.dates.includes(d);
  if (!r.from || d < r.from || (r.until && d > r.until)) return false;
  if (r.kind === 'weekdays') return weekday(d) <= 5;
  if (r.kind === 'weekly') return r.weekdays.includes(weekday(d));
  return true;
}

export function sourceText(s) {
  if (!s) return '—';
  switch (s.kind) {
    case 'fm':
      return `调频 ${(s.frequency / 100).toFixed(1)} MHz`;
    case 'line-in':
      return `线路输入 ${s.channel}`;
    case 'ip':
      return `IP 流 ${s.stream}`;
    default:
      return `节目单（${s.clipIds?.length ?? 0} 段）`;
  }
}

const short = (t) => t.slice(0, 5);

export async function mount(view, ctx) {
  view.innerHTML = `
    <h1>节目与排期 <small class="muted" id="rl-count"></small></h1>
    <p class="muted">日常广播低于一切应急广播；县级优先于镇级，镇级优先于村级（上级优先）。草稿与待审核的排期不播出。</p>
    <table class="grid" id="rl-programmes"><thead><tr><th>节目</th><th>信源</th><th>备用信源</th><th>级别</th><th>音量</th><th>覆盖区域</th></tr></thead><tbody></tbody></table>
    <h2>本周排期 <small class="muted" id="rl-week"></small></h2>
    <table class="grid week" id="rl-grid"><thead></thead><tbody></tbody></table>
    <p id="rl-msg" class="msg" hidden role="status"></p>`;
  const load = async () => {
    const programmes = (await get('/api/relay/programmes', { pageSize: 500 })).items;
    const schedules = (
      await Promise.all(programmes.map((p) => get('/api/relay/schedules', { programmeId: p.id })))
    ).flat();
    if (ctx.stale()) return;
    $('#rl-count', view).textContent = `共 ${programmes.length} 个节目`;
    $('#rl-programmes tbody', view).innerHTML =
      programmes
        .map(
          (p) => `<tr data-programme="${p.id}"><td>${esc(p.name)}</td><td>${esc(sourceText(p.source))}</td>
            <td>${esc(sourceText(p.fallback))}</td><td>${esc(CLASSES[p.priorityClass])}（${p.priority}）</td>
            <td>${p.volume}</td><td>${esc([...p.targets.areaCodes.map(regionName), ...p.targets.terminalIds.map((t) => `终端 ${t}`)].join('、'))}</td></tr>`,
        )
        .join('') || '<tr><td colspan="6" class="muted">暂无节目</td></tr>';
    const today = chinaDay(0);
    const monday = dayNumber(today) - weekday(today) + 1;
    const days = [0, 1, 2, 3, 4, 5, 6].map((i) => dayOf(monday + i));
    $('#rl-week', view).textContent = `${days[0]} 至 ${days[6]}`;
    $('#rl-grid thead', view).innerHTML =
      `<tr><th>节目 / 排期</th><th>状态</th>${days.map((d, i) => `<th${d === today ? ' class="today"' : ''}>周${WEEKDAYS[i]}<br><small>${d.slice(5)}</small></th>`).join('')}</tr>`;
    $('#rl-grid tbody', view).innerHTML =
      schedules
        .map((s) => {
          const onAir = s.onAir && s.published ? s.published.recurrence : null;
          const cells = days.map((d) => {
            const plays = onAir && occursOn(onAir, d);
            const pending = s.state !== 'published' && s.state !== 'withdrawn' && occursOn(s.recurrence, d);
            const parts = [];
            if (plays) parts.push(`<span class="ok">${short(onAir.start)}–${short(onAir.end)}</span>`);
            if (pending && (!plays || s.recurrence.start !== onAir.start || s.recurrence.end !== onAir.end))
              parts.push(
                `<span class="muted">${short(s.recurrence.start)}–${short(s.recurrence.end)}（${STATES[s.state]}）</span>`,
              );
            return `<td>${parts.join('<br>')}</td>`;
          });
          return `<tr data-schedule="${s.id}"><td>${esc(s.programmeName)} <small class="muted">#${s.id} 第 ${s.revision} 版</small></td>
            <td>${esc(STATES[s.state])}${s.onAir && s.state !== 'published' ? '（旧版播出中）' : ''}</td>${cells.join('')}</tr>`;
        })
        .join('') || '<tr><td colspan="9" class="muted">暂无排期</td></tr>';
  };
  const showError = (err) => {
    const msg = $('#rl-msg', view);
    msg.className = 'msg error';
    msg.textContent = err.message;
    msg.hidden = false;
  };
  const reload = coalesce(() => void load().catch(showError));
  const off = live.on('relay', reload);
  const release = await live.subscribe('relay', null);
  await load();
  return () => {
    off();
    release();
  };
}
