// Registering one gateway or one terminal from the registry page (technicians and administrators; the server checks
// role, scope and every rule again: POST /api/gateways, POST /api/terminals with the fields of
// src/terminals/registry.dto.ts). Each field's error is said in Chinese beside it, first by the checks here, then by
// the server's own field messages put into words.
import { ApiError, getAll, post } from './api.js';
import { esc, say } from './dom.js';
import { LEVELS, regionRoots } from './regions.js';

const NETWORK_KINDS = ['modbus-tcp', 'rtu-over-tcp', 'adapter-tcp'];
const KINDS = [
  ['modbus-tcp', 'Modbus TCP'],
  ['rtu-over-tcp', 'RTU over TCP（串口服务器）'],
  ['adapter-tcp', '协议适配器（TCP）'],
  ['modbus-rtu', 'Modbus RTU（本机串口）'],
  ['adapter-serial', '协议适配器（本机串口）'],
];
const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];

/** The regions the user sees at the given levels, as <option>s, indented by depth. */
function regionOptions(levels) {
  const out = [];
  const walk = (n, depth) => {
    if (levels.includes(n.level))
      out.push(
        `<option value="${esc(n.code)}">${'　'.repeat(depth)}${esc(n.name)}（${esc(LEVELS[n.level] ?? '')} ${esc(n.code)}）</option>`,
      );
    n.children.forEach((c) => walk(c, depth + 1));
  };
  regionRoots().forEach((r) => walk(r, 0));
  return out.join('');
}

/** The server's field message in words (the common ones), or the field's label and the server's text. */
function serverMessage(label, message) {
  if (/already taken|already registered/.test(message))
    return `${label}已被占用：${message.replace(/^.* by terminal /, '终端 ')}`;
  if (/no region with area code/.test(message)) return '该区域尚未登记';
  if (/does not exist/.test(message)) return `${label}不存在`;
  if (/does not contain/.test(message)) return '该网关不覆盖所选区域';
  if (/must be|must not|longer|empty/.test(message)) return `${label}不符合要求（${message}）`;
  return `${label}有误（${message}）`;
}

const field = (name, label, control, hint = '') =>
  `<label class="field" data-field="${name}"><span>${label}</span>${control}${hint ? `<small class="muted">${hint}</small>` : ''}<em class="field-error" data-for="${name}"></em></label>`;

/**
 * A form of `fields` ({name, label, control, hint, read(v, form) → value|undefined, check(v, form) → Chinese message|''})
 * that posts to `path` and calls onCreated(entity); afterReset(form) runs when the form is emptied after a success.
 */
function creator(container, { id, title, fields, path, done, onCreated, afterReset }) {
  container.innerHTML = `<details class="card create-form" id="${id}"><summary><h2>${title}</h2></summary>
    <form novalidate><div class="inline-fields wrap">${fields.map((f) => field(f.name, f.label, f.control, f.hint)).join('')}</div>
    <div class="form-actions"><button type="submit" class="primary">登记</button></div>
    <p class="msg" hidden role="status"></p></form></details>`;
  const form = container.querySelector('form');
  const msg = container.querySelector('.msg');
  const errorAt = (name, text) => {
    const el = form.querySelector(`.field-error[data-for="${name}"]`);
    if (el) el.textContent = text;
    return !!el;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    form.querySelectorAll('.field-error').forEach((el) => (el.textContent = ''));
    const body = {};
    let ok = true;
    for (const f of fields) {
      if (form.querySelector(`[data-field="${f.name}"]`)?.hidden) continue;
      const raw = form[f.name].value.trim();
      const bad = f.check?.(raw, form) ?? '';
      if (bad) {
        errorAt(f.name, bad);
        ok = false;
        continue;
      }
      const v = f.read ? f.read(raw, form) : raw || undefined;
      if (v !== undefined) body[f.name] = v;
    }
    if (!ok) {
      say(msg, '有几项需要补充或修改，见标红处。', 'error');
      return;
    }
    say(msg, '正在登记…');
    post(path, body).then(
      (created) => {
        form.reset();
        afterReset?.(form);
        say(msg, done(created), 'ok');
        onCreated?.(created);
      },
      (err) => {
        const details = err instanceof ApiError && Array.isArray(err.body?.details) ? err.body.details : [];
        let placed = 0;
        for (const d of details) {
          const f = fields.find((x) => x.name === d.field);
          if (f && errorAt(f.name, serverMessage(f.label, d.message ?? ''))) placed++;
        }
        say(msg, placed ? '服务器未接受，见标红处。' : err.message, 'error');
      },
    );
  });
  return form;
}

const required = (label) => (v) => (v ? '' : `请填写${label}`);
const intIn =
  (label, lo, hi, optional = false) =>
  (v) =>
    v === ''
      ? optional
        ? ''
        : `请填写${label}`
      : /^\d+$/.test(v) && +v >= lo && +v <= hi
        ? ''
        : `${label}须为 ${lo}–${hi} 的整数`;
const numIn = (label, lo, hi) => (v) =>
  v === '' || (Number.isFinite(Number(v)) && +v >= lo && +v <= hi) ? '' : `${label}须在 ${lo} 到 ${hi} 之间`;
const asNumber = (v) => (v === '' ? undefined : Number(v));
const isNetwork = (form) => NETWORK_KINDS.includes(form.kind.value);

/** 新建网关: name, area, kind, then host and port or the serial path, baud rate and parity. */
export function gatewayCreator(container, onCreated) {
  const showKind = (form) => {
    for (const n of ['host', 'port']) form.querySelector(`[data-field="${n}"]`).hidden = !isNetwork(form);
    form.querySelector('[data-field="serialPath"]').hidden = isNetwork(form);
  };
  const form = creator(container, {
    id: 'rg-gateway-new',
    title: '新建网关',
    path: '/api/gateways',
    done: (g) => `已登记网关“${g.name}”（${g.resourceCode}）。`,
    onCreated,
    afterReset: showKind,
    fields: [
      { name: 'name', label: '名称', control: '<input name="name" maxlength="64">', check: required('名称') },
      {
        name: 'areaCode',
        label: '所在区域',
        control: `<select name="areaCode"><option value="">请选择</option>${regionOptions(['county', 'town', 'village'])}</select>`,
        check: required('所在区域'),
      },
      {
        name: 'kind',
        label: '类型',
        control: `<select name="kind">${KINDS.map(([k, l]) => `<option value="${k}">${esc(l)}</option>`).join('')}</select>`,
      },
      {
        name: 'host',
        label: '主机',
        control: '<input name="host" maxlength="255" placeholder="如 10.0.0.21">',
        check: required('主机'),
      },
      {
        name: 'port',
        label: '端口',
        control: '<input name="port" inputmode="numeric" placeholder="502">',
        check: intIn('端口', 1, 65535),
        read: asNumber,
      },
      {
        name: 'serialPath',
        label: '串口',
        control: '<input name="serialPath" maxlength="255" placeholder="如 /dev/ttyUSB0">',
        check: required('串口'),
      },
      {
        name: 'baudRate',
        label: '波特率',
        control: `<select name="baudRate">${BAUD_RATES.map((b) => `<option${b === 9600 ? ' selected' : ''}>${b}</option>`).join('')}</select>`,
        read: asNumber,
      },
      {
        name: 'parity',
        label: '校验',
        control:
          '<select name="parity"><option value="">默认</option><option value="none">无</option><option value="even">偶校验</option><option value="odd">奇校验</option></select>',
      },
    ],
  });
  form.kind.addEventListener('change', () => showKind(form));
  showKind(form);
  return form;
}

/** 新建终端: name, village, gateway, unit id, and optionally model, serial number, coordinates, address. */
export async function terminalCreator(container, root, onCreated) {
  const gateways = root ? await getAll('/api/gateways', { areaCode: root }) : [];
  return creator(container, {
    id: 'rg-terminal-new',
    title: '新建终端',
    path: '/api/terminals',
    done: (t) => `已登记终端“${t.name}”（${t.resourceCode}）。`,
    onCreated,
    fields: [
      { name: 'name', label: '名称', control: '<input name="name" maxlength="64">', check: required('名称') },
      {
        name: 'areaCode',
        label: '所在村（组）',
        control: `<select name="areaCode"><option value="">请选择</option>${regionOptions(['village', 'group'])}</select>`,
        check: required('所在村（组）'),
      },
      {
        name: 'gatewayId',
        label: '网关',
        control: `<select name="gatewayId"><option value="">请选择</option>${gateways.map((g) => `<option value="${g.id}">${esc(g.name)}（${esc(g.resourceCode)}）</option>`).join('')}</select>`,
        check: required('网关'),
        read: asNumber,
      },
      {
        name: 'unitId',
        label: '单元号',
        control: '<input name="unitId" inputmode="numeric" placeholder="1–247">',
        check: intIn('单元号', 1, 247),
        read: asNumber,
      },
      { name: 'model', label: '型号', control: '<input name="model" maxlength="64">' },
      { name: 'serialNumber', label: '序列号', control: '<input name="serialNumber" maxlength="64">' },
      {
        name: 'latitude',
        label: '纬度',
        control: '<input name="latitude" inputmode="decimal">',
        check: numIn('纬度', -90, 90),
        read: asNumber,
      },
      {
        name: 'longitude',
        label: '经度',
        control: '<input name="longitude" inputmode="decimal">',
        check: numIn('经度', -180, 180),
        read: asNumber,
      },
      { name: 'address', label: '安装地址', control: '<input name="address" maxlength="255">' },
    ],
  });
}
