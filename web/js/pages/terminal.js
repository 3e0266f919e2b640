// 终端详情: one terminal's live status, registry data, error counters, status history, and — for technicians — the
// diagnostic commands (test tone, volume, amplifier, clock set, reboot, raw register read) with their results
// (terminal-diagnostics.js).
import { onTick } from '../clock.js';
import { registryEditor } from '../registry-edit.js';
import { selfTestSection } from '../self-test.js';
import { get } from '../api.js';
import { $, coalesce, esc, say } from '../dom.js';
import {
  ago,
  broadcastClassName,
  errorKindName,
  fieldNames,
  connectionName,
  connectivityName,
  faultName,
  formatDuration,
  formatShortTime,
  formatTime,
  priorityName,
  terminalStateName,
  unit,
} from '../format.js';
import { live } from '../live.js';
import { breadcrumbs, regionName } from '../regions.js';
import { diagnosticsHtml, wireDiagnostics } from './terminal-diagnostics.js';
import { offlineReason, playingText, stateChip } from './terminals.js';

const row = (label, value) => `<tr><th>${esc(label)}</th><td>${value}</td></tr>`;

export async function mount(view, ctx) {
  const id = Number(ctx.arg);
  if (!Number.isInteger(id) || id <= 0) {
    view.innerHTML = '<p class="msg error">终端编号有误</p>';
    return undefined;
  }
  const [t, status] = await Promise.all([get(`/api/terminals/${id}`), get(`/api/terminals/${id}/status`)]);
  if (ctx.stale()) return undefined;
  const gateway = await get(`/api/gateways/${t.gatewayId}`).catch(() => null);
  if (ctx.stale()) return undefined;
  const diagnose = ctx.can('diagnose');
  view.innerHTML = `
    <div class="crumbs">${breadcrumbs(t.areaCode, (c) => `#/terminals/${c}`, esc)} <span class="sep">›</span> <strong>${esc(t.name)}</strong></div>
    <h1>${esc(t.name)} <span id="td-chip"></span></h1>
    <div class="columns">
      <section class="card"><h2>实时状态 <small class="muted" id="td-last-known" hidden>离线：以下为最后一次读数</small></h2><table class="kv" id="td-live"></table></section>
      <section class="card"><h2>设备信息</h2><table class="kv">
        ${row('资源编码', `<span class="code">${esc(t.resourceCode)}</span>`)}
        ${row('区域', `${esc(regionName(t.areaCode))} <span class="code">${esc(t.areaCode)}</span>`)}
        ${row('网关', `${esc(gateway?.name ?? `网关 ${t.gatewayId}`)} <span id="td-gw"></span>`)}
        ${row('单元号', esc(t.unitId))}
        ${row('型号', esc(t.model ?? '—'))}
        ${row('序列号', esc(t.serialNumber ?? '—'))}
        ${row('安装日期', esc(t.installedOn ?? '—'))}
        ${row('地址', esc(t.address ?? '—'))}
      </table></section>
      <section class="card"><h2>通信与计数</h2><table class="kv" id="td-counters"></table></section>
    </div>
    ${diagnose ? diagnosticsHtml(status) : ''}
    <p id="td-msg" class="msg" hidden></p>
    <div id="td-selftest-box"></div>
    <div id="td-registry-box"></div>
    <section class="card"><h2>状态历史 <small class="muted">最近 24 小时</small> <button type="button" id="td-history-reload">刷新</button></h2>
      <figure class="chart-box"><svg class="timeline" id="td-timeline" viewBox="0 0 1000 40" preserveAspectRatio="none" role="img" aria-label="最近 24 小时在线情况"></svg>
        <figcaption><span>24 小时前</span><span class="muted"><i class="swatch st-online"></i>在线 <i class="swatch st-offline"></i>离线 <i class="swatch st-playing"></i>播放</span><span>现在</span></figcaption></figure>
      <table class="grid" id="td-history"><thead><tr><th>时间</th><th>变化</th><th>涉及</th><th>错误</th><th>当时状态</th></tr></thead><tbody></tbody></table>
    </section>`;
  if (ctx.can('registry')) registryEditor($('#td-registry-box', view), t);
  const stopSelfTests = diagnose ? selfTestSection($('#td-selftest-box', view), id, true) : null;

  let view2 = status;
  const renderLive = () => {
    if (ctx.stale()) return;
    const l = live.terminals.get(id);
    const g =
      live.gateways.get(t.gatewayId) ??
      (view2.gateway ? { connection: view2.gateway.connection, since: Date.parse(view2.gateway.since) } : undefined);
    $('#td-gw', view).innerHTML = g
      ? `<span class="state ${g.connection === 'connected' ? 'online' : 'offline'}">${esc(connectionName(g.connection))}</span>`
      : '';
    const r = view2.reading;
    const cur = l ?? {
      connectivity: view2.connectivity,
      online: view2.online,
      since: view2.since ? Date.parse(view2.since) : null,
      lastSeen: view2.lastSeen,
      failures: view2.failures,
      lastError: view2.lastError,
      state: r?.state ?? null,
      priority: r?.priority ?? null,
      source: r?.source ?? null,
      broadcastId: r?.broadcastId ?? null,
      broadcastClass: r?.broadcastClass ?? null,
      volume: r?.volume ?? null,
      faults: r?.faults ?? [],
      supplyVoltage: r?.supplyVoltage ?? null,
      temperature: r?.temperature ?? null,
      signalQuality: r?.signalQuality ?? null,
    };
    $('#td-chip', view).innerHTML = stateChip(l ?? (view2.tracked ? cur : undefined));
    const why = !cur.online ? offlineReason(cur, g) : '';
    $('#td-last-known', view).hidden = cur.online || cur.state === null;
    $('#td-live', view).innerHTML = [
      row(
        '连通',
        `${esc(connectivityName(cur.connectivity))}${cur.since ? `，已持续 ${formatDuration(Date.now() - cur.since)}` : ''}${why ? ` · ${esc(why)}` : ''}`,
      ),
      row('最后通信', cur.lastSeen ? `${formatTime(cur.lastSeen)}（${ago(cur.lastSeen)}）` : '—'),
      row('连续失败', esc(cur.failures)),
      row('终端状态', esc(terminalStateName(cur.state))),
      row('正在播放', esc(playingText(cur))),
      row('优先级', cur.priority === null ? '—' : `${cur.priority}（${esc(priorityName(cur.priority))}）`),
      row(
        '广播',
        cur.broadcastId
          ? `<span class="code">${esc(cur.broadcastId)}</span> ${esc(broadcastClassName(cur.broadcastClass))}`
          : '—',
      ),
      row('音量', esc(cur.volume ?? '—')),
      row(
        '故障',
        cur.faults.length ? cur.faults.map((f) => `<span class="fault">${esc(faultName(f))}</span>`).join('') : '无',
      ),
      row('供电电压', unit(cur.supplyVoltage, 'V')),
      row('温度', unit(cur.temperature, '°C')),
      row('信号质量', unit(cur.signalQuality, '%', 0)),
    ].join('');
    const counts = Object.entries(view2.errorCounts ?? {});
    $('#td-counters', view).innerHTML = [
      row('通信错误', counts.length ? counts.map(([k, n]) => `${esc(errorKindName(k))} ${n}`).join('，') : '无'),
      row('最近错误', esc(errorKindName(cur.lastError) || '—')),
      row('终端收到的 CRC 错误', esc(r?.counters.crcErrors ?? '—')),
      row('终端拒绝的命令', esc(r?.counters.refusedCommands ?? '—')),
      row('最近命令序号', esc(r?.lastCommandSequence ?? '—')),
      row(
        '运行时间',
        r?.uptimeSeconds === null || r?.uptimeSeconds === undefined ? '—' : formatDuration(r.uptimeSeconds * 1000),
      ),
      row('终端时钟', r?.clock ? formatTime(r.clock) : '—'),
      row('是否轮询', view2.tracked ? '是' : '否（未接入或已停用）'),
    ].join('');
  };
  const schedule = coalesce(renderLive);

  const loadHistory = async () => {
    const h = await get(`/api/terminals/${id}/status-history`, { pageSize: 50 });
    if (ctx.stale()) return;
    drawTimeline($('#td-timeline', view), h.items, live.terminals.get(id));
    $('#td-history tbody', view).innerHTML =
      h.items
        .map(
          (
            i,
          ) => `<tr><td>${formatShortTime(i.at)}</td><td>${esc(connectivityName(i.previous))} → ${esc(connectivityName(i.connectivity))}</td>
            <td>${esc(fieldNames(i.fields))}</td><td>${esc(errorKindName(i.lastError))}</td>
            <td>${i.reading ? `${esc(terminalStateName(i.reading.state))}，音量 ${i.reading.volume}${i.reading.faults.length ? `，${esc(i.reading.faults.map(faultName).join('、'))}` : ''}` : '—'}</td></tr>`,
        )
        .join('') || '<tr><td colspan="5" class="muted">最近 24 小时没有变化</td></tr>';
  };

  /** The status view (error counters, reading) again, at most every 3 s while the live state moves. */
  let refreshing = null;
  const refreshStatus = () => {
    refreshing ??= setTimeout(() => {
      get(`/api/terminals/${id}/status`)
        .then((s) => {
          view2 = s;
          schedule();
        })
        .catch(() => undefined)
        .finally(() => {
          refreshing = null;
        });
    }, 3000);
  };

  if (diagnose) wireDiagnostics(view, ctx, { id, t, gateway, refreshStatus });
  $('#td-history-reload', view).addEventListener(
    'click',
    () => void loadHistory().catch((e) => say($('#td-msg', view), e.message, 'error')),
  );

  // the history is written in batches (about a second): read it again a little after the connectivity changed
  let lastConnectivity = live.terminals.get(id)?.connectivity;
  let historyTimer = null;
  const offChange = live.onChange((c) => {
    if (c.terminals.has(id) || c.gateways.has(t.gatewayId)) {
      schedule();
      refreshStatus();
    }
    const now = live.terminals.get(id)?.connectivity;
    if (c.terminals.has(id) && now !== lastConnectivity) {
      lastConnectivity = now;
      clearTimeout(historyTimer);
      historyTimer = setTimeout(() => void loadHistory().catch(() => undefined), 2500);
    }
  });
  const stopTick = onTick(schedule);
  const release = await live.subscribe('terminal', id);
  const releaseGateway = await live.subscribe('gateway', t.gatewayId);
  renderLive();
  await loadHistory().catch(() => undefined);
  return () => {
    stopTick();
    clearTimeout(refreshing);
    clearTimeout(historyTimer);
    offChange();
    release();
    releaseGateway();
    stopSelfTests?.();
  };
}

/**
 * The last 24 hours as a bar: online, offline and playing stretches from the status history (newest first), the
 * stretch before the oldest change taken from that change's previous state, the last one from the live state.
 */
export function drawTimeline(svg, items, now) {
  const end = Date.now();
  const start = end - 86_400_000;
  const x = (ms) => ((Math.max(start, Math.min(end, ms)) - start) / (end - start)) * 1000;
  const keyOf = (connectivity, state) =>
    connectivity === 'offline'
      ? 'offline'
      : connectivity === 'unknown'
        ? 'unknown'
        : state === 5
          ? 'playing'
          : 'online';
  const changes = [...items].reverse().map((i) => ({
    at: Date.parse(i.at),
    key: keyOf(i.connectivity, i.reading?.state),
    before: keyOf(i.previous, null),
  }));
  const stretches = [];
  let from = start;
  let key = changes[0]?.before ?? (now ? keyOf(now.online ? 'online' : 'offline', now.state) : 'unknown');
  for (const c of changes) {
    stretches.push({ from, to: c.at, key });
    from = c.at;
    key = c.key;
  }
  stretches.push({ from, to: end, key: now ? keyOf(now.online ? now.connectivity : 'offline', now.state) : key });
  svg.innerHTML = stretches
    .filter((st) => st.to > start)
    .map(
      (st) =>
        `<rect class="st-${st.key}" x="${x(st.from).toFixed(1)}" y="0" width="${Math.max(0.5, x(st.to) - x(st.from)).toFixed(1)}" height="40"><title>${{ online: '在线', offline: '离线', playing: '播放', unknown: '未知' }[st.key]}</title></rect>`,
    )
    .join('');
}
