// 终端详情's diagnostic commands, for technicians (terminal.js): read the status now, test tone, volume, amplifier,
// clock set, reboot, the bus statistics of the terminal's gateway and a raw register read, each with its result; in
// the demo, buttons that break and mend the simulated terminal and its gateway.
import { get, post } from '../api.js';
import { $, esc, say } from '../dom.js';
import { connectionName, errorKindName, faultName, formatShortTime, sourceName, terminalStateName } from '../format.js';

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

/** The section's HTML (it follows the page's columns); the volume field starts at the last reading's volume. */
export function diagnosticsHtml(status) {
  return `
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
    </section>`;
}

/**
 * Wires the section's forms and demo buttons. `t`: the terminal; `gateway`: its gateway, null when it could not be
 * read; `refreshStatus`: reads the page's status view again after a command.
 */
export function wireDiagnostics(view, ctx, { id, t, gateway, refreshStatus }) {
  const result = $('#td-result', view);
  $('#td-diag', view).addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const action = form.dataset.action;
    if (action === 'bus') {
      readBus(view, result, t, gateway);
      return;
    }
    if (action === 'reboot' && !confirm(`确定重启终端“${t.name}”？重启期间终端离线。`)) return;
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    say(result, `正在执行：${ACTIONS[action] ?? '读取寄存器'}…`, 'info');
    request(id, action, new FormData(form), e.submitter)
      .then((o) => showOutcome(view, result, action, o, refreshStatus))
      .catch((err) => say(result, `✘ ${ACTIONS[action] ?? '读取寄存器'}失败：${err.message}`, 'error'))
      .finally(() => buttons.forEach((b) => (b.disabled = false)));
  });
  wireDemo(view, ctx, id, t, result);
}

/** The request an action's form makes; `submitter`: the button that sent it (the amplifier's on or off). */
function request(id, action, data, submitter) {
  const num = (k) => Number(data.get(k));
  switch (action) {
    case 'poll':
      return post(`/api/terminals/${id}/poll`, {});
    case 'test-tone':
      return post(`/api/terminals/${id}/test-tone`, { seconds: num('seconds'), volume: num('volume') });
    case 'volume':
      return post(`/api/terminals/${id}/volume`, { volume: num('volume') });
    case 'amplifier':
      return post(`/api/terminals/${id}/amplifier`, { on: submitter?.value === 'true' });
    case 'clock':
      return post(`/api/terminals/${id}/clock`, {});
    case 'reboot':
      return post(`/api/terminals/${id}/reboot`, {});
    default:
      return get(`/api/terminals/${id}/registers`, { address: num('address'), count: num('count') });
  }
}

function showOutcome(view, result, action, o, refreshStatus) {
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
}

/** The statistics of the bus the terminal's gateway opens, as a table under the result. */
function readBus(view, result, t, gateway) {
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
}

/** The demo's simulated county: break and mend it from here (the endpoints answer 404 outside the demo). */
function wireDemo(view, ctx, id, t, result) {
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
