// 终端详情: one terminal's live status, registry data, error counters, status history, and — for technicians — the
// diagnostic commands (test tone, volume, amplifier, clock set, reboot, raw register read) with their results.
import { onTick } from '../clock.js';
import { registryEditor } from '../registry-edit.js';
import { selfTestSection } from '../self-test.js';
import { get, post } from '../api.js';
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
  sourceName,
  terminalStateName,
  unit,
} from '../format.js';
import { live } from '../live.js';
import { breadcrumbs, regionName } from '../regions.js';
import { offlineReason, playingText, stateChip } from './terminals.js';

const ACTIONS = {
  poll: '立即检测',
  'test-tone': '测试音',
  volume: '设置音量',
  amplifier: '功放',
  clock: '校时',
  reboot: '重启',
};

const QUEUES = { emergency: '应急', command: '命令', transfer: '传输', poll: '轮询' };
const row = (label, value) => `<tr><th>${esc(label)}</th><td>${value}</td></tr>`;

function outcomeText(o) {
  const parts = [
    `${ACTIONS[o.action] ?? o.action}：${o.accepted ? '终端已执行' : '终端未接受'}`,
    `命令序号 ${o.sequence}`,
    `耗时 ${o.durationMs} ms`,
  ];
  if (o.status) {
    parts.push(`回读：${terminalStateName(o.status.state)}，${sourceName(o.status.source)}，音量 ${o.status.volume}`);
    if (o.status.faults.length) parts.push(`故障 ${o.status.faults.map(faultName).join('、')}`);
  }
  return parts.join(' · ');
}

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
    ${
      diagnose
        ? `
    <section class="card" id="td-diag"><h2>诊断操作</h2>
      <div class="actions">
        <form data-action="poll"><button type="submit">立即检测（读取状态）</button></form>
        <form data-action="test-tone">测试音 <input name="seconds" type="number" min="1" max="60" value="5" aria-label="秒数"> 秒，音量 <input name="volume" type="number" min="0" max="100" value="60" aria-label="测试音音量"> <button type="submit">播放测试音</button></form>
        <form data-action="volume">音量 <input name="volume" type="number" min="0" max="100" value="${status.reading?.volume ?? 60}" aria-label="音量"> <button type="submit">设置音量</button></form>
        <form data-action="amplifier">功放 <button type="submit" name="on" value="true">开启</button> <button type="submit" name="on" value="false">关闭</button></form>
        <form data-action="clock"><button type="submit">校时（服务器时间）</button></form>
        <form data-action="reboot"><button type="submit" class="danger">重启终端</button></form>
        <form data-action="bus"><button type="submit">读取所在总线统计</button></form>
        <form data-action="registers">寄存器 地址 <input name="address" type="number" min="0" max="65535" value="0" aria-label="寄存器地址"> 数量 <input name="count" type="number" min="1" max="64" value="20" aria-label="寄存器数量"> <button type="submit">读取</button></form>
      </div>
      <div id="td-demo" class="demo" hidden>演示网络（模拟故障）：<button type="button" data-demo="kill">使终端离线</button> <button type="button" data-demo="revive">恢复终端</button>
        <button type="button" data-demo="gateway-kill">断开所在网关</button> <button type="button" data-demo="gateway-revive">恢复网关</button></div>
      <p id="td-result" class="msg" hidden></p>
      <pre id="td-registers" hidden></pre>
      <table class="kv" id="td-bus" hidden></table>
    </section>`
        : ''
    }
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

  const result = $('#td-result', view);
  $('#td-diag', view)?.addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const action = form.dataset.action;
    const data = new FormData(form);
    const num = (k) => Number(data.get(k));
    if (action === 'bus') {
      say(result, '正在读取总线统计…', 'info');
      get(`/api/gateways/${t.gatewayId}/bus`)
        .then((b) => {
          const m = b.metrics;
          say(
            result,
            b.open
              ? `总线统计：${gateway?.name ?? `网关 ${t.gatewayId}`}`
              : '该网关没有打开的总线（未启用或本实例未连接现场）',
            b.open ? 'ok' : 'error',
          );
          const table = $('#td-bus', view);
          table.hidden = !m;
          if (!m) return;
          const errors = Object.entries(m.errors);
          table.innerHTML = [
            row('连接', esc(connectionName(m.connection))),
            row('总线占用率', `${(m.utilisation * 100).toFixed(1)}%`),
            row(
              '排队',
              Object.entries(m.queueDepth)
                .map(([k, n]) => `${esc(QUEUES[k] ?? k)} ${n}`)
                .join('，'),
            ),
            row('事务数', esc(m.transactions)),
            row('错误', errors.length ? errors.map(([k, n]) => `${esc(errorKindName(k))} ${n}`).join('，') : '无'),
            row(
              '退避中的单元',
              m.backedOff.length
                ? m.backedOff
                    .map((u) => `单元 ${u.unit}（失败 ${u.failures} 次，${formatShortTime(u.nextTryAt)} 再试）`)
                    .join('；')
                : '无',
            ),
          ].join('');
        })
        .catch((err) => say(result, `✘ 读取总线统计失败：${err.message}`, 'error'));
      return;
    }
    if (action === 'reboot' && !confirm(`确定重启终端“${t.name}”？重启期间终端离线。`)) return;
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    say(result, `正在执行：${ACTIONS[action] ?? '读取寄存器'}…`, 'info');
    let call;
    switch (action) {
      case 'poll':
        call = post(`/api/terminals/${id}/poll`, {});
        break;
      case 'test-tone':
        call = post(`/api/terminals/${id}/test-tone`, { seconds: num('seconds'), volume: num('volume') });
        break;
      case 'volume':
        call = post(`/api/terminals/${id}/volume`, { volume: num('volume') });
        break;
      case 'amplifier':
        call = post(`/api/terminals/${id}/amplifier`, { on: e.submitter?.value === 'true' });
        break;
      case 'clock':
        call = post(`/api/terminals/${id}/clock`, {});
        break;
      case 'reboot':
        call = post(`/api/terminals/${id}/reboot`, {});
        break;
      default:
        call = get(`/api/terminals/${id}/registers`, { address: num('address'), count: num('count') });
    }
    call
      .then((o) => {
        if (action === 'poll') {
          const st = o.status;
          say(
            result,
            `✔ 终端应答（${o.durationMs} ms）：${terminalStateName(st.state)}，${sourceName(st.source)}，音量 ${st.volume}${st.faults.length ? `，故障 ${st.faults.map(faultName).join('、')}` : ''}`,
            'ok',
          );
          refreshStatus();
        } else if (action === 'registers') {
          say(result, `读取成功：地址 ${o.address} 起 ${o.values.length} 个寄存器`, 'ok');
          const pre = $('#td-registers', view);
          pre.hidden = false;
          pre.textContent = o.values
            .map(
              (v, i) =>
                `${String(o.address + i).padStart(5)}  ${String(v).padStart(5)}  0x${v.toString(16).padStart(4, '0')}`,
            )
            .join('\n');
        } else {
          say(result, `${o.accepted ? '✔' : '✘'} ${outcomeText(o)}`, o.accepted ? 'ok' : 'error');
          refreshStatus();
        }
      })
      .catch((err) => say(result, `✘ ${ACTIONS[action] ?? '读取寄存器'}失败：${err.message}`, 'error'))
      .finally(() => buttons.forEach((b) => (b.disabled = false)));
  });
  // the demo's simulated county: break and mend it from here (the endpoints answer 404 outside the demo)
  if (diagnose) {
    get('/api/demo/simulator/counters').then(
      () => {
        if (!ctx.stale()) $('#td-demo', view).hidden = false;
      },
      () => undefined,
    );
    $('#td-demo', view).addEventListener('click', (e) => {
      const b = e.target.closest('button[data-demo]');
      if (!b) return;
      const [what, verb] = b.dataset.demo.startsWith('gateway-')
        ? ['gateways', b.dataset.demo.slice(8)]
        : ['terminals', b.dataset.demo];
      post(`/api/demo/${what}/${what === 'gateways' ? t.gatewayId : id}/${verb}`).then(
        () => say(result, `演示：${b.textContent}，稍候即可在页面上看到变化`, 'info'),
        (err) => say(result, `✘ ${err.message}`, 'error'),
      );
    });
  }
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
