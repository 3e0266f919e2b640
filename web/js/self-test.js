// 自检 (periodic tests): how a self-test and its checks read in Chinese, the section of the technician's terminal page
// (last self-test, its checks, a test now), shared by pages/terminal.js and pages/selftests.js.
import { get, post } from './api.js';
import { $, esc, say } from './dom.js';
import { formatTime } from './format.js';
import { live } from './live.js';

const OUTCOMES = {
  passed: '通过',
  failed: '发现故障',
  'not-supported': '终端不支持',
  busy: '正在播放，未测',
  aborted: '被播放打断',
  refused: '终端拒绝',
  'no-answer': '无应答',
  'not-run': '未执行',
};
export const outcomeName = (o) => OUTCOMES[o] ?? o;
export const outcomeClass = (o) =>
  o === 'passed' ? 'online' : o === 'failed' ? 'fault' : o === 'not-supported' ? 'unknown' : 'offline';

const CHECKS = [
  ['amplifier', '功放', 'V'],
  ['speakerLine', '喇叭线路', 'Ω'],
  ['supply', '供电', 'V'],
  ['battery', '电池', 'V'],
];
const VERDICTS = {
  'not-tested': '未测',
  ok: '正常',
  'output-low': '输出偏低',
  'no-output': '无输出',
  open: '开路',
  short: '短路',
  low: '偏低',
  'mains-lost': '市电断开',
  'not-fitted': '未配备',
};

function checksText(checks) {
  if (!checks) return '—';
  return CHECKS.map(([k, name, unit]) => {
    const c = checks[k];
    const value =
      c.value === null ? '' : c.value >= 65534 && k === 'speakerLine' ? '（超量程）' : `（${c.value} ${unit}）`;
    const bad = !['ok', 'not-tested', 'not-fitted'].includes(c.verdict);
    return `<span class="${bad ? 'fault' : ''}" data-check="${k}">${name}：${esc(VERDICTS[c.verdict] ?? c.verdict)}${esc(value)}</span>`;
  }).join('　');
}

/**
 * The 终端自检 card of a terminal's page; `canRun` shows the button that runs one now. Follows /live kind `selfTests`:
 * a test of this terminal stored (by anyone, or the nightly plan) comes in at the top. Returns the function that stops
 * following.
 */
export function selfTestSection(box, terminalId, canRun) {
  box.innerHTML = `<section class="card" id="td-selftest"><h2>终端自检 <small class="muted">每晚静默自检：功放、喇叭线路、供电、电池</small>
      ${canRun ? '<button type="button" id="td-selftest-run">立即自检</button>' : ''}</h2>
    <table class="kv" id="td-selftest-last"></table>
    <table class="grid" id="td-selftest-history"><thead><tr><th>时间</th><th>类型</th><th>结果</th><th>各项</th></tr></thead><tbody></tbody></table>
    <p class="msg" id="td-selftest-msg" hidden></p></section>`;
  let rows = [];
  const pushed = [];
  let loaded = false;
  const render = () => {
    const last = rows.find((r) => r.kind === 'silent');
    $('#td-selftest-last', box).innerHTML = last
      ? `<tr><th>最近一次</th><td>${esc(formatTime(last.finishedAt))} <span class="state ${outcomeClass(last.outcome)}">${esc(outcomeName(last.outcome))}</span>${last.detail ? ` <small class="muted">${esc(last.detail)}</small>` : ''}</td></tr>
         <tr><th>各项检查</th><td>${checksText(last.checks)}</td></tr>`
      : '<tr><td class="muted">尚未自检</td></tr>';
    $('#td-selftest-history tbody', box).innerHTML =
      rows
        .map(
          (
            r,
          ) => `<tr><td>${esc(formatTime(r.startedAt))}</td><td>${r.kind === 'silent' ? '静默自检' : '月度鸣音测试'}${r.origin === 'manual' ? `（${esc(r.requestedBy ?? '')}）` : ''}</td>
            <td><span class="state ${outcomeClass(r.outcome)}">${esc(outcomeName(r.outcome))}</span></td><td>${checksText(r.checks)}</td></tr>`,
        )
        .join('') || '<tr><td colspan="4" class="muted">没有记录</td></tr>';
  };
  /** Newest first, by when it started, as the API lists them; each once. */
  const merge = (more) => {
    const byId = new Map([...rows, ...more].map((r) => [r.id, r]));
    rows = [...byId.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id - a.id).slice(0, 10);
  };
  const load = async () => {
    rows = await get(`/api/terminals/${terminalId}/self-tests`, { limit: 10 });
    merge(pushed);
    loaded = true;
    render();
  };
  const off = live.on('selfTests', (views) => {
    const mine = views.filter((r) => r.terminalId === terminalId);
    if (mine.length === 0) return;
    if (!loaded) {
      pushed.push(...mine);
      return;
    }
    merge(mine);
    render();
  });
  const releasing = live.subscribe('selfTests', null);
  $('#td-selftest-run', box)?.addEventListener('click', (e) => {
    const button = e.target;
    button.disabled = true;
    const msg = $('#td-selftest-msg', box);
    say(msg, '正在自检（静默，约 5–15 秒）…', 'info');
    post(`/api/terminals/${terminalId}/self-test`)
      .then((r) => {
        say(
          msg,
          `${r.outcome === 'passed' ? '✔' : '✘'} 自检${outcomeName(r.outcome)}`,
          r.outcome === 'passed' ? 'ok' : 'error',
        );
        merge([r]);
        render();
      })
      .catch((err) => say(msg, `✘ 自检失败：${err.message}`, 'error'))
      .finally(() => (button.disabled = false));
  });
  void releasing.then(() => load()).catch((err) => say($('#td-selftest-msg', box), err.message, 'error'));
  return () => {
    off();
    void releasing.then((release) => release());
  };
}
