// 地图: the region's terminals placed by their registry coordinates (county-map.js: no tile server), coloured by
// their live state over /live; clusters at county zoom, a dot opens the terminal. With ?alert=<id> the same map shows
// that alert's targets and, once it is on air, every terminal's delivery state as the broadcast progresses.
import { get } from '../api.js';
import { $, coalesce, esc } from '../dom.js';
import { alertStateName, displayState } from '../format.js';
import { live } from '../live.js';
import { areaPrefix, breadcrumbs, regionOrDefault } from '../regions.js';
import { CountyMap } from '../county-map.js';
import { DELIVERY_LEGEND, deliveryKey, placedTerminals } from './broadcast.js';

const LIVE_LEGEND = [
  ['online', '在线'],
  ['playing', '播放中'],
  ['fault', '故障'],
  ['offline', '离线'],
  ['unknown', '未知'],
  ['none', '未接入'],
];
const TARGET_LEGEND = [
  ['target', '播发范围内'],
  ['none', '范围外'],
];

export async function mount(view, ctx) {
  const area = regionOrDefault(ctx.arg);
  if (!area) {
    view.innerHTML = '<p class="msg error">您的账号没有可见的区域。</p>';
    return undefined;
  }
  const alertId = Number(ctx.query.get('alert')) || null;
  view.innerHTML = `<div class="crumbs">${breadcrumbs(area, (c) => `#/map/${c}`, esc)} <span class="sep">·</span> <span id="mp-what">终端实时状态</span></div>
    <div id="mp-map" class="map-box tall"><p class="muted">正在加载地图…</p></div>`;
  const [terminals, alert] = await Promise.all([placedTerminals(area), alertId ? get(`/api/alerts/${alertId}`) : null]);
  if (ctx.stale()) return undefined;
  const offs = [];
  let map = null;
  const schedule = coalesce(() => map?.refresh());

  if (alert) {
    const prefixes = alert.targets.areaCodes.map(areaPrefix);
    const single = new Set(alert.targets.terminalIds ?? []);
    const targeted = (t) => single.has(t.id) || prefixes.some((p) => t.areaCode.startsWith(p));
    const states = new Map();
    let onAir = false;
    $('#mp-what', view).innerHTML =
      `预警 <a href="#/alert/${alert.id}">${esc(alert.title)}</a> <span class="alert-state ${esc(alert.state)}" id="mp-state">${esc(alertStateName(alert.state))}</span>`;
    const stateOf = (t) => (onAir ? deliveryKey(states.get(t.id)?.state) : targeted(t) ? 'target' : 'none');
    const follow = async (ebmid) => {
      offs.push(
        live.on('broadcast', (p) => {
          if (p.broadcastId !== ebmid) return;
          onAir = true;
          for (const c of p.changes) states.set(c.terminalId, c);
          schedule();
        }),
      );
      offs.push(await live.subscribe('broadcast', ebmid));
    };
    map = new CountyMap($('#mp-map', view), {
      terminals,
      stateOf,
      legend: alert.broadcastId ? DELIVERY_LEGEND : TARGET_LEGEND,
      title: alert.broadcastId ? '播发进度' : '播发范围',
    });
    offs.push(
      live.on('alerts', (list) => {
        const next = list.find((x) => x.id === alert.id);
        if (!next) return;
        $('#mp-state', view).textContent = alertStateName(next.state);
        $('#mp-state', view).className = `alert-state ${next.state}`;
        if (next.broadcastId && !alert.broadcastId) {
          alert.broadcastId = next.broadcastId;
          map.legend = DELIVERY_LEGEND;
          void follow(next.broadcastId);
        }
      }),
    );
    offs.push(await live.subscribe('alerts', null));
    if (alert.broadcastId) await follow(alert.broadcastId);
    map.refresh();
  } else {
    map = new CountyMap($('#mp-map', view), {
      terminals,
      stateOf: (t) => displayState(live.terminals.get(t.id)).key,
      legend: LIVE_LEGEND,
      title: '终端实时状态',
    });
    offs.push(live.onChange((c) => c.terminals.size && schedule()));
    offs.push(await live.subscribe('region', area));
    map.refresh();
  }
  return () => offs.forEach((off) => off());
}
