// The console's shell: session, header, hash routes (#/overview/<area>, #/terminals/<area>, #/terminal/<id>,
// #/alarms, #/daily/<area>, #/selftests/<area>[?date=], #/broadcasts, #/broadcast/<EBMID>, #/compose[/<id>][?emergency=1], #/alert/<id>,
// #/relay/<area>[?week=<Monday>], #/relay-today/<area>, #/asrun/<area>[?date=], #/programmes, #/programme/<id|new>,
// #/schedule/<id|new>[?programme=<id>], #/map/<area>[?alert=<id>], #/import, #/registry, #/audio, #/upstream[/<id>], #/users, #/audit, #/login), the live connection and the active-alarm badge.
import { get, session, setOnUnauthorized } from './api.js';
import { $, esc } from './dom.js';
import { roleNames } from './format.js';
import { live } from './live.js';
import { loadRegions } from './regions.js';
import * as alertPage from './pages/alert.js';
import * as audio from './pages/audio.js';
import * as audit from './pages/audit.js';
import * as registry from './pages/registry.js';
import * as relay from './pages/relay.js';
import * as relayToday from './pages/relay-today.js';
import * as asrun from './pages/asrun.js';
import * as programmes from './pages/programmes.js';
import * as programme from './pages/programme.js';
import * as schedule from './pages/schedule.js';
import * as selftests from './pages/selftests.js';
import * as upstream from './pages/upstream.js';
import * as users from './pages/users.js';
import * as alarms from './pages/alarms.js';
import * as compose from './pages/compose.js';
import * as importPage from './pages/import.js';
import * as map from './pages/map.js';
import * as broadcast from './pages/broadcast.js';
import * as broadcasts from './pages/broadcasts.js';
import * as daily from './pages/daily.js';
import * as login from './pages/login.js';
import * as overview from './pages/overview.js';
import * as terminal from './pages/terminal.js';
import * as terminals from './pages/terminals.js';

const PAGES = {
  login,
  overview,
  terminals,
  terminal,
  alarms,
  daily,
  broadcasts,
  broadcast,
  relay,
  'relay-today': relayToday,
  asrun,
  programmes,
  programme,
  schedule,
  selftests,
  compose,
  alert: alertPage,
  map,
  import: importPage,
  registry,
  audio,
  upstream,
  users,
  audit,
};
const TITLES = {
  login: '登录',
  overview: '总览',
  terminals: '终端',
  terminal: '终端详情',
  alarms: '告警',
  daily: '在线率统计',
  broadcasts: '应急广播',
  broadcast: '播发详情',
  relay: '排期周表',
  'relay-today': '今日播出',
  asrun: '播出记录',
  programmes: '节目',
  programme: '节目',
  schedule: '排期',
  selftests: '终端自检',
  compose: '编写预警',
  alert: '预警详情',
  map: '地图',
  import: '导入登记表',
  registry: '登记表',
  audio: '音频库',
  upstream: '上级消息',
  users: '用户与权限',
  audit: '审计日志',
};
/** Pages shown under another page's tab. */
const TAB_OF = {
  terminal: 'terminals',
  broadcast: 'broadcasts',
  compose: 'broadcasts',
  alert: 'broadcasts',
  'relay-today': 'relay',
  asrun: 'relay',
  programmes: 'relay',
  programme: 'relay',
  schedule: 'relay',
};
/** The page's container; replaced by an empty copy on every route, so listeners a page put on it die with the page. */
let view = $('#view');
let unmount = null;
let releaseAlarms = null;
let ready = null;
let routed = 0;

/** What the signed-in user may do, for pages to show or hide controls (the server checks again). */
export function can(action) {
  const roles = session.get()?.user.roles ?? [];
  const has = (...r) => roles.includes('admin') || r.some((x) => roles.includes(x));
  switch (action) {
    case 'diagnose':
      return has('technician');
    case 'acknowledge':
    case 'provisioning':
      return has('technician', 'officer');
    case 'compose':
      return has('officer');
    case 'approve':
      return has('approver');
    case 'registry':
      return has('technician');
    case 'audio':
      return has('officer', 'approver');
    case 'upstream':
      return has('officer', 'approver', 'technician');
    case 'admin':
      return roles.includes('admin');
    default:
      return false;
  }
}

function parseHash() {
  const [path, qs] = location.hash.replace(/^#\/?/, '').split('?');
  const [page, arg] = path.split('/');
  let decoded = null;
  try {
    decoded = arg ? decodeURIComponent(arg) : null;
  } catch {
    // a malformed link: the page falls back to its default
  }
  return { page: page || 'overview', arg: decoded, query: new URLSearchParams(qs ?? '') };
}

function signOut() {
  releaseAlarms?.();
  releaseAlarms = null;
  live.stop();
  session.clear();
  ready = null;
  $('#top').hidden = true;
  if (parseHash().page !== 'login') location.hash = '#/login';
  else void route();
}

/** After login (or on load with a stored session): the region tree, the live connection, the alarm feed. */
function start() {
  ready ??= (async () => {
    const s = session.get();
    live.start(s.token, signOut);
    releaseAlarms = await live.subscribe('alarms', null);
    await loadRegions(get);
    $('#top').hidden = false;
    $('#who').innerHTML = `${esc(s.user.username)} <small>${esc(roleNames(s.user.roles))}</small>`;
  })().catch((e) => {
    ready = null;
    throw e;
  });
  return ready;
}

async function route() {
  unmount?.();
  unmount = null;
  const { page, arg, query } = parseHash();
  if (!session.get()) {
    if (page !== 'login') {
      location.hash = '#/login';
      return;
    }
  } else if (page === 'login') {
    location.hash = '#/overview';
    return;
  }
  const mod = PAGES[page];
  if (!mod) {
    location.hash = '#/overview';
    return;
  }
  for (const a of document.querySelectorAll('#nav [data-nav]'))
    a.classList.toggle('active', a.dataset.nav === (TAB_OF[page] ?? page));
  for (const a of document.querySelectorAll('#nav [data-needs]')) a.hidden = !can(a.dataset.needs);
  const fresh = view.cloneNode(false);
  view.replaceWith(fresh);
  view = fresh;
  view.innerHTML = '<p class="muted">正在加载…</p>';
  document.title = `${TITLES[page]} · 大喇叭应急广播调度控制台`;
  const mine = ++routed;
  const stale = () => mine !== routed;
  try {
    if (page !== 'login') await start();
    if (stale()) return;
    const off = await mod.mount(view, { arg, query, can, onLogin, stale });
    if (stale()) off?.();
    else unmount = off ?? null;
  } catch (e) {
    if (!stale()) view.innerHTML = `<p class="msg error">${esc(e.message)}</p>`;
  }
}

function onLogin(result) {
  session.set({ token: result.accessToken, user: result.user });
  location.hash = '#/overview';
}

function showLiveState(connected) {
  const el = $('#live-state');
  el.className = `live ${connected ? 'on' : 'off'}`;
  el.textContent = connected ? '实时' : '实时连接中断';
}

function showAlarmCount() {
  const n = live.alarms.size;
  const badge = $('#alarm-count');
  badge.textContent = String(n);
  badge.hidden = n === 0;
}

setOnUnauthorized(signOut);
live.addEventListener('state', (e) => showLiveState(e.detail));
live.onChange((c) => c.alarms && showAlarmCount());
$('#logout').addEventListener('click', signOut);
window.addEventListener('hashchange', () => void route());
void route();
