// 总览: the region's online rate now, its towns (or villages) with their rates, drill-down, active alarms — live
// through the /live region subscription (rates of the region and of its direct children). Technicians and officers also
// see which built-in signals the region's terminals hold already (tone provisioning), pushed over /live as it moves.
import { get } from '../api.js';
import { $, coalesce, esc, patchRows, setHtml } from '../dom.js';
import { displayState, percent } from '../format.js';
import { live } from '../live.js';
import { LEVELS, areaPrefix, breadcrumbs, region, regionName, regionOrDefault } from '../regions.js';

export function rateClass(p) {
  if (p === null || p === undefined) return '';
  return p >= 95 ? 'good' : p >= 85 ? 'warn' : 'bad';
}

export function rateBar(p) {
  const w = p === null || p === undefined ? 0 : Math.max(0, Math.min(100, p));
  return `<span class="bar ${rateClass(p)}"><span style="width:${w}%"></span></span>`;
}

export async function mount(view, ctx) {
  const area = regionOrDefault(ctx.arg);
  if (!area) {
    view.innerHTML = '<p class="msg error">您的账号没有可见的区域。</p>';
    return undefined;
  }
  const node = region(area);
  const children = node?.children ?? [];
  const childLevel = children[0] ? LEVELS[children[0].level] : '';
  view.innerHTML = `
    <div class="crumbs">${breadcrumbs(area, (c) => `#/overview/${c}`, esc)}</div>
    <section class="cards">
      <div class="card big"><div class="label">在线率</div><div class="value" id="ov-rate">—</div><div class="sub" id="ov-counts"></div></div>
      <div class="card"><div class="label">离线终端</div><div class="value" id="ov-offline">—</div><a href="#/terminals/${area}?f=offline">查看离线终端</a></div>
      <div class="card"><div class="label">故障终端</div><div class="value" id="ov-fault">—</div><a href="#/terminals/${area}?f=fault">查看故障终端</a></div>
      <div class="card"><div class="label">播放中</div><div class="value" id="ov-playing">—</div><a href="#/terminals/${area}?f=playing">查看</a></div>
      <div class="card"><div class="label">活动告警</div><div class="value" id="ov-alarms">—</div><div class="sub" id="ov-alarm-kinds"></div><a href="#/alarms?area=${area}">查看告警</a></div>
    </section>
    ${
      children.length
        ? `<h2>${esc(childLevel)}在线率 <small class="muted">点击名称进入下一级</small></h2>
         <table class="grid" id="ov-children"><thead><tr><th>名称</th><th>区域编码</th><th class="num">在线 / 登记</th><th class="num">离线</th><th>在线率</th><th></th></tr></thead><tbody></tbody></table>`
        : `<p><a class="button" href="#/terminals/${area}">查看本村终端</a></p>`
    }
    ${
      ctx.can('provisioning')
        ? `<h2>预置信号 <small class="muted">后台存入终端，发布警报时无需再传</small></h2>
         <table class="grid" id="ov-tones"><thead><tr><th>信号</th><th class="num">已存入 / 终端</th><th class="num">未存入</th><th>进度</th></tr></thead><tbody></tbody></table>
         <p class="muted" id="ov-tones-buses"></p>`
        : ''
    }
    <p class="links"><a href="#/daily/${area}">${esc(regionName(area))}近 30 天在线率</a></p>`;

  const render = () => {
    if (ctx.stale()) return;
    const r = live.rates.get(area);
    setHtml($('#ov-rate', view), `<span class="${rateClass(r?.ratePercent)}">${percent(r?.ratePercent)}</span>`);
    // unknown: not heard from since start, neither online nor offline yet
    $('#ov-counts', view).textContent = r
      ? `在线 ${r.online} / 登记 ${r.registered}${r.unknown ? ` · 未知 ${r.unknown}` : ''}`
      : '';
    $('#ov-offline', view).textContent = r ? String(r.registered - r.online - (r.unknown ?? 0)) : '—';
    const prefix = areaPrefix(area);
    let fault = 0;
    let playing = 0;
    for (const t of live.terminals.values()) {
      if (!t.areaCode.startsWith(prefix)) continue;
      const s = displayState(t).key;
      if (s === 'fault') fault++;
      else if (s === 'playing') playing++;
    }
    $('#ov-fault', view).textContent = String(fault);
    $('#ov-playing', view).textContent = String(playing);
    let alarms = 0;
    const kinds = { 'town-uplink': 0, 'bus-down': 0, 'terminal-offline': 0, fault: 0 };
    for (const a of live.alarms.values()) {
      if (!a.areaCode.startsWith(prefix)) continue;
      alarms++;
      kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
    }
    $('#ov-alarms', view).textContent = String(alarms);
    $('#ov-alarm-kinds', view).textContent = alarms
      ? `乡镇链路 ${kinds['town-uplink']} · 总线 ${kinds['bus-down']} · 单台终端 ${kinds['terminal-offline']} · 故障 ${kinds.fault}`
      : '';
    const body = $('#ov-children tbody', view);
    if (!body) return;
    patchRows(
      body,
      children.map((c) => {
        const cr = live.rates.get(c.code);
        const drill = c.children.length ? `#/overview/${c.code}` : `#/terminals/${c.code}`;
        return {
          key: c.code,
          attrs: { 'data-area': c.code },
          html: `<td><a href="${drill}">${esc(c.name)}</a></td><td class="code">${c.code}</td>
          <td class="num">${cr ? `${cr.online} / ${cr.registered}` : `— / ${c.terminalCount}`}</td>
          <td class="num">${cr ? cr.registered - cr.online : '—'}</td>
          <td class="rate-cell">${rateBar(cr?.ratePercent)} <span class="${rateClass(cr?.ratePercent)}">${percent(cr?.ratePercent)}</span></td>
          <td><a href="#/terminals/${c.code}">终端</a></td>`,
        };
      }),
      '',
    );
  };
  const schedule = coalesce(render);

  try {
    const now = await get('/api/monitoring/online-rate', { areaCode: area });
    live.apply({ rates: [now.area, ...now.children] }, null);
  } catch (e) {
    view.insertAdjacentHTML('afterbegin', `<p class="msg error">${esc(e.message)}</p>`);
  }
  const offChange = live.onChange(schedule);
  const release = await live.subscribe('region', area);
  render();
  const stopTones = ctx.can('provisioning') ? showTones(view, ctx, area) : () => undefined;
  return () => {
    offChange();
    release();
    stopTones();
  };
}

/** How many of the area's terminals hold each built-in signal, as /live pushes it (kind provisioning). */
function showTones(view, ctx, area) {
  const body = $('#ov-tones tbody', view);
  const render = (p) => {
    if (ctx.stale()) return;
    patchRows(
      body,
      p.tones.map((t) => {
        const pct = t.terminals ? (100 * t.holding) / t.terminals : null;
        const why = t.failures[0] ? ` title="${esc(`终端 ${t.failures[0].terminalId}: ${t.failures[0].reason}`)}"` : '';
        return {
          key: t.toneId,
          attrs: { 'data-tone': t.toneId },
          html: `<td>${esc(t.title)}</td><td class="num">${t.holding} / ${t.terminals}</td><td class="num"${why}>${t.terminals - t.holding}</td>
          <td class="rate-cell">${rateBar(pct)} <span class="${rateClass(pct)}">${percent(pct)}</span></td>`,
        };
      }),
      `<tr><td colspan="4" class="muted">${p.enabled ? '暂无终端' : '未启用（DALABA_PROVISION_TONES=off）'}</td></tr>`,
    );
    const b = p.buses;
    $('#ov-tones-buses', view).textContent = p.enabled
      ? `总线：存入中 ${b.storing} · 让路播发 ${b.held} · 等待 ${b.waiting} · 本轮完成 ${b.done}`
      : '';
  };
  const off = live.on('provisioning', (p) => p.areaCode === area && render(p.view));
  const released = live.subscribe('provisioning', area);
  return () => {
    off();
    void released.then((release) => release());
  };
}
