// 终端: the terminals of one region with their live state, filtered (离线 / 故障 / 播放中), searched and paged — only
// the visible page is rendered, re-rendered at most once a frame as /live deltas arrive. The offline ones are grouped
// by cause (a whole bus down, time-outs, CRC errors …), so a technician sees what to fix and, live, that it is fixed.
import { onTick } from '../clock.js';
import { getAll, session } from '../api.js';
import { $, coalesce, esc, patchRows, setHtml } from '../dom.js';
import {
  ago,
  displayState,
  errorKindName,
  faultName,
  formatDuration,
  priorityName,
  sourceName,
  unit,
} from '../format.js';
import { live } from '../live.js';
import { LEVELS, areaPrefix, breadcrumbs, region, regionName, regionPath, regionOrDefault } from '../regions.js';

const PAGE = 100;
const FILTERS = [
  ['all', '全部'],
  ['online', '在线'],
  ['offline', '离线'],
  ['fault', '故障'],
  ['playing', '播放中'],
];

/**
 * Registry rows (name, codes, unit) by id, and the areas already loaded with when: the registry changes rarely, so an
 * area is read again only after REGISTRY_TTL_MS — and everything is forgotten when the account changes.
 */
const rows = new Map();
const loaded = new Map();
const REGISTRY_TTL_MS = 5 * 60_000;
let loadedFor = null;

/** A terminal's registry name when it is loaded (see registryOf). */
export const terminalName = (id) => rows.get(id)?.name ?? null;

export async function registryOf(area) {
  const token = session.get()?.token ?? null;
  if (loadedFor !== token) {
    rows.clear();
    loaded.clear();
    loadedFor = token;
  }
  const hit = loaded.get(area);
  if (hit && Date.now() - hit.at < REGISTRY_TTL_MS) return hit.ids;
  const items = await getAll('/api/terminals', { areaCode: area, sort: 'areaCode' });
  for (const t of items) rows.set(t.id, t);
  const ids = items.map((t) => t.id);
  loaded.set(area, { ids, at: Date.now() });
  return ids;
}

function matches(filter, s) {
  switch (filter) {
    case 'online':
      return s === 'online' || s === 'fault' || s === 'playing';
    case 'offline':
      return s === 'offline' || s === 'unknown' || s === 'none';
    case 'fault':
    case 'playing':
      return s === filter;
    default:
      return true;
  }
}

/** What a terminal plays, at which priority (and whether it is a drill). */
export function playingText(t) {
  if (!t || !t.online || t.source === null) return '—';
  if (t.source === 'none' && t.state !== 5) return '空闲';
  return `${sourceName(t.source)} · ${priorityName(t.priority)}${t.priority !== 5 && t.broadcastClass >= 1 && t.broadcastClass <= 3 ? ' · 演练' : ''}`;
}

/** Why a terminal is offline, as far as the live view knows. */
export function offlineReason(t, gateway) {
  if (gateway && gateway.connection !== 'connected') return '网关/总线中断';
  return errorKindName(t?.lastError);
}

export function stateChip(t) {
  const s = displayState(t);
  return `<span class="state ${s.key}" data-state="${s.key}">${s.label}</span>`;
}

export async function mount(view, ctx) {
  const area = regionOrDefault(ctx.arg);
  if (!area) {
    view.innerHTML = '<p class="msg error">您的账号没有可见的区域。</p>';
    return undefined;
  }
  const filter = FILTERS.some(([k]) => k === ctx.query.get('f')) ? ctx.query.get('f') : 'all';
  let page = Math.max(1, Number(ctx.query.get('p')) || 1);
  let search = '';
  /** On the offline filter: the cause picked (null: all). */
  let cause = null;
  const node = region(area);
  const href = (code, f = filter) => `#/terminals/${code}${f !== 'all' ? `?f=${f}` : ''}`;
  view.innerHTML = `
    <div class="crumbs">${breadcrumbs(area, (c) => href(c), esc)}
      ${node?.children.length ? `<select id="tm-child"><option value="">选择${esc(LEVELS[node.children[0].level] ?? '下级区域')}…</option>${node.children.map((c) => `<option value="${c.code}">${esc(c.name)}</option>`).join('')}</select>` : ''}
    </div>
    <div class="toolbar">
      <span class="filters" id="tm-filters"></span>
      <input id="tm-search" type="search" placeholder="按名称或资源编码查找">
      <span class="muted" id="tm-count"></span>
    </div>
    ${filter === 'offline' ? '<div class="toolbar causes" id="tm-causes" aria-label="离线原因"></div>' : ''}
    <table class="grid terminals" id="tm-table"><thead><tr>
      <th>终端</th><th>区域</th><th>状态</th><th>播放 / 优先级</th><th class="num">音量</th><th>故障</th>
      <th class="num">供电电压</th><th class="num">温度</th><th class="num">信号</th><th>最后通信</th></tr></thead><tbody><tr><td colspan="10" class="muted">正在加载 ${esc(regionName(area))} 的终端…</td></tr></tbody></table>
    <div class="pager" id="tm-pager"></div>`;
  $('#tm-child', view)?.addEventListener('change', (e) => {
    if (e.target.value) location.hash = href(e.target.value);
  });

  const ids = await registryOf(area);
  if (ctx.stale()) return undefined;
  const prefix = areaPrefix(area);
  const depth = regionPath(area).length;
  /** Where a terminal sits below the page's region (town › village on a county page). */
  const place = (code) =>
    regionPath(code)
      .slice(depth)
      .map((n) => n.name)
      .join(' › ') || regionName(code);

  const render = () => {
    if (ctx.stale()) return;
    const counts = Object.fromEntries(FILTERS.map(([k]) => [k, 0]));
    const shown = [];
    const q = search.toLowerCase();
    for (const id of ids) {
      const t = live.terminals.get(id);
      const s = displayState(t).key;
      for (const [k] of FILTERS) if (matches(k, s)) counts[k]++;
      if (!matches(filter, s)) continue;
      if (q) {
        const r = rows.get(id);
        if (!r || !(r.name.toLowerCase().includes(q) || r.resourceCode.includes(q))) continue;
      }
      shown.push(id);
    }
    if (filter === 'offline') {
      shown.sort((a, b) => (live.terminals.get(a)?.since ?? 0) - (live.terminals.get(b)?.since ?? 0));
      const causeOf = (id) => {
        const t = live.terminals.get(id);
        if (!t) return '未接入监测';
        if (t.connectivity === 'unknown') return '尚未读到';
        return offlineReason(t, live.gateways.get(t.gatewayId)) || '原因不明';
      };
      const byCause = new Map();
      for (const id of shown) byCause.set(causeOf(id), (byCause.get(causeOf(id)) ?? 0) + 1);
      if (cause && !byCause.has(cause)) cause = null;
      setHtml(
        $('#tm-causes', view),
        `<span class="muted">按原因：</span>${
          [...byCause.entries()]
            .sort((a, b) => b[1] - a[1])
            .map(
              ([c, n]) =>
                `<button type="button" class="chip ${c === cause ? 'active' : ''}" data-cause="${esc(c)}">${esc(c)} <b>${n}</b></button>`,
            )
            .join('') || '<span class="good">没有离线终端</span>'
        }`,
      );
      if (cause) shown.splice(0, shown.length, ...shown.filter((id) => causeOf(id) === cause));
    }
    setHtml(
      $('#tm-filters', view),
      FILTERS.map(
        ([k, label]) =>
          `<a class="chip ${k === filter ? 'active' : ''}" data-filter="${k}" href="${href(area, k)}">${label} <b>${counts[k]}</b></a>`,
      ).join(''),
    );
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages);
    const now = Date.now();
    $('#tm-count', view).textContent = `共 ${shown.length} 台`;
    patchRows(
      $('#tm-table tbody', view),
      shown.slice((page - 1) * PAGE, page * PAGE).map((id) => {
        const r = rows.get(id);
        const t = live.terminals.get(id);
        const g = t ? live.gateways.get(t.gatewayId) : undefined;
        const s = displayState(t).key;
        const why = s === 'offline' ? offlineReason(t, g) : '';
        return {
          key: String(id),
          attrs: { 'data-terminal': String(id), class: s },
          html: `<td><a href="#/terminal/${id}">${esc(r?.name ?? `终端 ${id}`)}</a><div class="code">${esc(r?.resourceCode ?? '')}</div></td>
            <td>${esc(place(r?.areaCode ?? t?.areaCode ?? ''))}<div class="code">网关 ${r?.gatewayId ?? t?.gatewayId ?? '—'} · 单元 ${r?.unitId ?? '—'}</div></td>
            <td>${stateChip(t)}<div class="sub">${t ? `${formatDuration(now - t.since)}` : ''}${why ? ` · ${esc(why)}` : ''}</div></td>
            <td>${esc(playingText(t))}</td>
            <td class="num">${t?.volume ?? '—'}</td>
            <td class="faults">${t?.faults.length ? t.faults.map((f) => `<span class="fault">${esc(faultName(f))}</span>`).join('') : '—'}</td>
            <td class="num">${unit(t?.supplyVoltage, 'V')}</td>
            <td class="num">${unit(t?.temperature, '°C')}</td>
            <td class="num">${unit(t?.signalQuality, '%', 0)}</td>
            <td>${t?.lastSeen ? ago(t.lastSeen) : '—'}</td>`,
        };
      }),
      '<tr><td colspan="10" class="muted">没有符合条件的终端</td></tr>',
    );
    setHtml(
      $('#tm-pager', view),
      pages > 1
        ? `<button data-page="${page - 1}" ${page === 1 ? 'disabled' : ''}>上一页</button> 第 ${page} / ${pages} 页 <button data-page="${page + 1}" ${page === pages ? 'disabled' : ''}>下一页</button>`
        : '',
    );
  };
  const schedule = coalesce(render);
  $('#tm-pager', view).addEventListener('click', (e) => {
    const p = e.target.closest('button[data-page]');
    if (!p) return;
    page = Number(p.dataset.page);
    render();
  });
  $('#tm-causes', view)?.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-cause]');
    if (!b) return;
    cause = cause === b.dataset.cause ? null : b.dataset.cause;
    page = 1;
    render();
  });
  $('#tm-search', view).addEventListener('input', (e) => {
    search = e.target.value.trim();
    page = 1;
    schedule();
  });
  const offChange = live.onChange((c) => {
    if (c.gateways.size > 0) return schedule();
    for (const id of c.terminals) {
      const t = live.terminals.get(id);
      if (t && t.areaCode.startsWith(prefix)) return schedule();
    }
  });
  // durations and "last seen" age even when nothing changes
  const stopTick = onTick(schedule);
  const release = await live.subscribe('region', area);
  render();
  return () => {
    stopTick();
    offChange();
    release();
  };
}
