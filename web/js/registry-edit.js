// A terminal's registry entry edited in place (technicians and administrators; the server checks role and scope):
// name, model, serial number, coordinates, address, enabled — or retired (removed from the registry).
import { del, patch } from './api.js';
import { esc, say } from './dom.js';

const FIELDS = [
  ['name', '名称', 'text'],
  ['model', '型号', 'text'],
  ['serialNumber', '序列号', 'text'],
  ['latitude', '纬度', 'number'],
  ['longitude', '经度', 'number'],
  ['address', '安装地址', 'text'],
];

export function registryEditor(container, t) {
  container.innerHTML = `<details class="card" id="td-registry"><summary><h2>登记信息维护</h2></summary>
    <form id="td-registry-form" class="inline-fields">
      ${FIELDS.map(([k, label, type]) => `<label class="field"><span>${label}</span><input name="${k}" type="${type}"${type === 'number' ? ' step="0.000001"' : ''} value="${esc(t[k] ?? '')}"></label>`).join('')}
      <label class="field"><span>启用</span><input type="checkbox" name="enabled"${t.enabled === false ? '' : ' checked'}></label>
      <div class="form-actions"><button type="submit" class="primary">保存</button> <button type="button" class="danger" id="td-retire">退役（从登记表删除）</button></div>
    </form><p class="msg" id="td-registry-msg" hidden role="status"></p></details>`;
  const form = container.querySelector('form');
  const msg = container.querySelector('#td-registry-msg');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { enabled: form.enabled.checked };
    for (const [k, , type] of FIELDS) {
      const v = form[k].value.trim();
      if (type === 'number') {
        if (v !== '') body[k] = Number(v);
      } else if (v !== '') body[k] = v;
    }
    say(msg, '正在保存…');
    patch(`/api/terminals/${t.id}`, body).then(
      () => say(msg, '已保存。', 'ok'),
      (err) => say(msg, err.message, 'error'),
    );
  });
  container.querySelector('#td-retire').addEventListener('click', () => {
    if (!window.confirm(`确定让“${t.name}”退役吗？它将从登记表中删除，不再轮询。`)) return;
    say(msg, '正在删除…');
    del(`/api/terminals/${t.id}`).then(
      () => {
        location.hash = `#/terminals/${t.areaCode}`;
      },
      (err) => say(msg, err.message, 'error'),
    );
  });
}
