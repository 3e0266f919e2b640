// 节目 (日常广播): the relay's programmes in the reader's scope — source, fallback, class, volume, targets — each
// with its schedules and their state, links to edit a programme and to draft a schedule of it. Follows /live kind
// `relay`: a programme created, edited or gone from the reader's scope, or a schedule created, reviewed or withdrawn,
// redraws the list.
import { get } from '../api.js';
import { $, coalesce, esc, say } from '../dom.js';
import { live } from '../live.js';
import { regionName } from '../regions.js';
import { CLASSES, SCHEDULE_STATES, relayTabs, sourceText } from '../relay-common.js';

export const targetsText = (t) =>
  [...t.areaCodes.map(regionName), ...t.terminalIds.map((id) => `终端 ${id}`)].join('、') || '—';

export async function mount(view, ctx) {
  const officer = ctx.can('compose');
  view.innerHTML = `
    ${relayTabs('programmes')}
    <h1>节目 <small class="muted" id="rl-count"></small></h1>
    <p class="muted">日常广播低于一切应急广播；县级优先于镇级，镇级优先于村级（上级优先）。草稿与待审核的排期不播出。</p>
    <div class="toolbar">${officer ? '<a class="button primary" href="#/programme/new" id="rl-new">新建节目</a>' : ''}</div>
    <table class="grid" id="rl-programmes"><thead><tr><th>节目</th><th>信源</th><th>备用信源</th><th>级别</th><th class="num">音量</th><th>覆盖区域</th><th>排期</th><th></th></tr></thead><tbody></tbody></table>
    <p id="rl-msg" class="msg" hidden role="status"></p>`;
  const load = async () => {
    const programmes = (await get('/api/relay/programmes', { pageSize: 500 })).items;
    const schedules = await Promise.all(programmes.map((p) => get('/api/relay/schedules', { programmeId: p.id })));
    if (ctx.stale()) return;
    $('#rl-count', view).textContent = `共 ${programmes.length} 个`;
    $('#rl-programmes tbody', view).innerHTML =
      programmes
        .map((p, i) => {
          const list = schedules[i]
            .map(
              (s) =>
                `<a href="#/schedule/${s.id}" class="sched-link state-${s.state}" data-schedule="${s.id}">#${s.id} ${esc(s.recurrence.start.slice(0, 5))}–${esc(s.recurrence.end.slice(0, 5))} ${esc(SCHEDULE_STATES[s.state])}${s.onAir && s.state !== 'published' ? '（旧版播出中）' : ''}</a>`,
            )
            .join(' ');
          return `<tr data-programme="${p.id}"><td><a href="#/programme/${p.id}">${esc(p.name)}</a></td><td>${esc(sourceText(p.source))}</td>
            <td>${esc(sourceText(p.fallback))}</td><td>${esc(CLASSES[p.priorityClass])}（${p.priority}）</td>
            <td class="num">${p.volume}</td><td>${esc(targetsText(p.targets))}</td><td>${list || '<span class="muted">无</span>'}</td>
            <td>${officer ? `<a href="#/schedule/new?programme=${p.id}" data-new-schedule="${p.id}">新建排期</a>` : ''}</td></tr>`;
        })
        .join('') || '<tr><td colspan="8" class="muted">暂无节目</td></tr>';
  };
  const reload = coalesce(() => void load().catch((err) => say($('#rl-msg', view), err.message, 'error')));
  const off = live.on(
    'relay',
    (changes) => changes.some((c) => c.kind === 'schedule' || c.kind === 'programme') && reload(),
  );
  const release = await live.subscribe('relay', null);
  await load();
  return () => {
    off();
    release();
  };
}
