// 用户: accounts, their roles and area scopes (administrators; the server refuses everyone else). Create an account,
// change roles and scopes, disable or enable it; a change applies at once (the server reads roles on every request).
import { get, patch, post } from '../api.js';
import { $, esc, say } from '../dom.js';
import { formatShortTime, roleNames } from '../format.js';
import { regionName } from '../regions.js';

const ROLES = ['admin', 'officer', 'approver', 'technician', 'viewer'];

export async function mount(view, ctx) {
  if (!ctx.can('admin')) {
    view.innerHTML = '<p class="msg error">只有管理员可以管理用户。</p>';
    return undefined;
  }
  view.innerHTML = `
    <h1>用户与权限 <small class="muted" id="us-count"></small></h1>
    <form class="card inline-fields" id="us-new">
      <label class="field"><span>用户名</span><input name="username" required maxlength="64" autocomplete="off"></label>
      <label class="field"><span>初始密码（至少 8 位）</span><input name="password" type="password" required minlength="8" autocomplete="new-password"></label>
      <fieldset class="field"><legend>角色</legend>${ROLES.map((r) => `<label><input type="checkbox" name="roles" value="${r}"> ${esc(roleNames([r]))}</label>`).join(' ')}</fieldset>
      <label class="field"><span>管辖区域（区域编码，逗号分隔；管理员留空为全部）</span><input name="scopes" placeholder="341523100000"></label>
      <div class="form-actions"><button type="submit" class="primary">新建用户</button></div>
    </form>
    <p id="us-msg" class="msg" hidden role="status"></p>
    <table class="grid" id="us-table"><thead><tr><th>用户名</th><th>角色</th><th>管辖区域</th><th>状态</th><th>创建</th><th></th></tr></thead><tbody></tbody></table>`;
  const msg = $('#us-msg', view);
  const load = async () => {
    const list = await get('/api/users', { pageSize: 500 });
    if (ctx.stale()) return;
    const items = list.items ?? list;
    $('#us-count', view).textContent = `共 ${items.length} 个`;
    $('#us-table tbody', view).innerHTML = items
      .map(
        (u) => `<tr data-user="${u.id}"><td>${esc(u.username)}</td>
          <td>${ROLES.map((r) => `<label class="role"><input type="checkbox" data-role="${r}"${u.roles.includes(r) ? ' checked' : ''}> ${esc(roleNames([r]))}</label>`).join(' ')}</td>
          <td><input class="scopes" value="${esc(u.scopes.join(','))}" aria-label="管辖区域"> <span class="muted">${esc(u.scopes.map(regionName).join('、') || '全部')}</span></td>
          <td>${u.disabled ? '<span class="bad">已停用</span>' : '正常'}</td><td>${formatShortTime(u.createdAt)}</td>
          <td><button type="button" data-save="${u.id}">保存</button> <button type="button" class="danger" data-toggle="${u.id}" data-disabled="${u.disabled ? '1' : ''}">${u.disabled ? '启用' : '停用'}</button></td></tr>`,
      )
      .join('');
  };
  const scopesOf = (text) =>
    text
      .split(/[,，\s]+/)
      .map((s) => s.trim())
      .filter(Boolean);
  $('#us-new', view).addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.target;
    const roles = [...f.querySelectorAll('input[name=roles]:checked')].map((i) => i.value);
    if (!roles.length) return say(msg, '请至少选择一个角色。', 'error');
    say(msg, '正在创建…');
    post('/api/users', {
      username: f.username.value.trim(),
      password: f.password.value,
      roles,
      scopes: scopesOf(f.scopes.value),
    })
      .then(() => {
        say(msg, '已创建。', 'ok');
        f.reset();
        return load();
      })
      .catch((err) => say(msg, err.message, 'error'));
  });
  view.addEventListener('click', (e) => {
    const save = e.target.closest('button[data-save]');
    const toggle = e.target.closest('button[data-toggle]');
    const b = save ?? toggle;
    if (!b) return;
    const row = b.closest('tr');
    const id = row.dataset.user;
    const body = save
      ? {
          roles: [...row.querySelectorAll('input[data-role]:checked')].map((i) => i.dataset.role),
          scopes: scopesOf($('input.scopes', row).value),
        }
      : { disabled: !toggle.dataset.disabled };
    b.disabled = true;
    say(msg, '正在保存…');
    patch(`/api/users/${id}`, body)
      .then(() => {
        say(msg, '已保存，立即生效。', 'ok');
        return load();
      })
      .catch((err) => {
        b.disabled = false;
        say(msg, err.message, 'error');
      });
  });
  await load();
  return undefined;
}
