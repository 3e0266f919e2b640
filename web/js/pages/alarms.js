// 告警: the active alarms in the user's scope, one per cause (a terminal, a whole bus, a town's uplink, a fault),
// live from the /live alarm feed, with acknowledgement for technicians and duty officers.
import { onTick } from '../clock.js';
import { getAll, post, session } from '../api.js';
import { $, coalesce, esc, patchRows, say, setHtml } from '../dom.js';
import { alarmKindName, faultName, formatDuration, formatShortTime } from '../format.js';
import { live } from '../live.js';
import { areaPrefix, defaultRegion, isAreaCode, regionName, regionPath } from '../regions.js';
import { registryOf, terminalName } from './terminals.js';

const KINDS = [
  ['all', '全部'],
  ['bus-down', '总线中断'],
  ['town-uplink', '乡镇链路中断'],
  ['terminal-offline', '终端离线'],
  ['fault', '终端故障'],
  ['unacked', '未确认'],
];

/** Gateway names by id, loaded once per login. */
const gatewayNames = new Map();
let gatewaysLoaded = null;
let gatewaysFor = null;
function loadGateways() {
  const token = session.get()?.token ?? null;
  if (gatewaysFor !== token) {
    gatewayNames.clear();
    gatewaysLoaded = null;
    gatewaysFor = token;
  }
  return (gatewaysLoaded ??= getAll('/api/gateways').then(
    (items) => items.forEach((g) => gatewayNames.set(g.id, g.name)),
    () => {
      gatewaysLoaded = null;
    },
  ));
}

function subject(a) {
  switch (a.kind) {
    case 'terminal-offline':
    case 'fault':
      return `<a href="#/terminal/${a.terminalId}">${esc(terminalName(a.terminalId) ?? `终端 ${a.terminalId}`)}</a>${a.fault ? ` · ${esc(faultName(a.fault))}` : ''}`;
    case 'bus-down':
      return `<a href="#/terminals/${a.areaCode}?f=offline">${esc(gatewayNames.get(a.gatewayId) ?? `网关 ${a.gatewayId}`)}</a> 所在总线（网关或线缆）`;
    case 'town-uplink':
      return `<a href="#/overview/${a.areaCode}">${esc(regionName(a.areaCode))}</a>全部网关（乡镇上行链路）`;
    default:
      return '';
  }
}

const place = (code) =>
  regionPath(code)
    .slice(1)
    .map((n) => n.name)
    .join(' › ') || regionName(code);

export async function mount(view, ctx) {
  const canAck = ctx.can('acknowledge');
  const area = isAreaCode(ctx.query.get('area')) ? ctx.query.get('area') : null;
  const prefix = area ? areaPrefix(area) : '';
  view.innerHTML = `
    <h1>活动告警 <small class="muted" id="al-count"></small></h1>
    <p class="muted">同一原因只报一次：整条总线或整个乡镇断开时，不再逐台终端报警。</p>
    <div class="toolbar"><span class="filters" id="al-filters"></span>
      ${area ? `<span>区域：<strong>${esc(regionName(area))}</strong> <a href="#/alarms">查看全部区域</a></span>` : ''}</div>
    <p id="al-msg" class="msg" hidden></p>
    <table class="grid" id="al-table"><thead><tr><th>类型</th><th>区域</th><th>对象</th><th class="num">影响终端</th><th>发生时间</th><th>持续</th><th class="num">抖动</th><th>确认</th></tr></thead><tbody></tbody></table>`;
  const msg = $('#al-msg', view);
  const kind = KINDS.some(([k]) => k === ctx.query.get('k')) ? ctx.query.get('k') : 'all';
  const link = (k) => {
    const q = new URLSearchParams();
    if (k !== 'all') q.set('k', k);
    if (area) q.set('area', area);
    return `#/alarms${q.toString() ? `?${q}` : ''}`;
  };
  const keep = (a, k) => k === 'all' || (k === 'unacked' ? !a.acknowledgedAt : a.kind === k);

  const render = () => {
    if (ctx.stale()) return;
    const all = [...live.alarms.values()].filter((a) => a.areaCode.startsWith(prefix));
    setHtml(
      $('#al-filters', view),
      KINDS.map(
        ([k, label]) =>
          `<a class="chip ${k === kind ? 'active' : ''}" data-kind="${k}" href="${link(k)}">${label} <b>${all.filter((a) => keep(a, k)).length}</b></a>`,
      ).join(''),
    );
    const list = all
      .filter((a) => keep(a, kind))
      .sort(
        (a, b) =>
          Number(!!a.acknowledgedAt) - Number(!!b.acknowledgedAt) || Date.parse(b.raisedAt) - Date.parse(a.raisedAt),
      );
    $('#al-count', view).textContent = `共 ${all.length} 条，未确认 ${all.filter((a) => !a.acknowledgedAt).length} 条`;
    const now = Date.now();
    patchRows(
      $('#al-table tbody', view),
      list.map((a) => ({
        key: String(a.id),
        attrs: { 'data-alarm': String(a.id), class: a.acknowledgedAt ? 'acked' : 'unacked' },
        html: `<td><span class="kind ${a.kind}">${esc(alarmKindName(a.kind))}</span></td>
            <td>${esc(place(a.areaCode))}</td>
            <td>${subject(a)}</td>
            <td class="num">${a.terminalIds.length}</td>
            <td>${formatShortTime(a.raisedAt)}</td>
            <td>${formatDuration(now - Date.parse(a.raisedAt))}</td>
            <td class="num">${a.flaps || ''}</td>
            <td>${a.acknowledgedAt ? `${esc(a.acknowledgedBy)} ${formatShortTime(a.acknowledgedAt)}` : canAck ? `<button type="button" data-ack="${a.id}">确认</button>` : '未确认'}</td>`,
      })),
      '<tr><td colspan="8" class="muted">当前没有活动告警</td></tr>',
    );
  };
  const schedule = coalesce(render);
  $('#al-table', view).addEventListener('click', (e) => {
    const b = e.target.closest('button[data-ack]');
    if (!b) return;
    b.disabled = true;
    post(`/api/alarms/${b.dataset.ack}/ack`)
      .then((a) => {
        if (a.state === 'active') live.alarms.set(a.id, a);
        say(msg, '');
        schedule();
      })
      .catch((err) => {
        say(msg, `确认失败：${err.message}`, 'error');
        b.disabled = false;
      });
  });
  const offChange = live.onChange((c) => c.alarms && schedule());
  const stopTick = onTick(schedule);
  render();
  // terminal names for the terminal alarms (the registry of the user's region, loaded once per session)
  const root = defaultRegion();
  if (root) void registryOf(root).then(schedule, () => undefined);
  void loadGateways().then(schedule);
  return () => {
    stopTick();
    offChange();
  };
}
