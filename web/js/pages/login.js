// 登录: username and password → POST /api/auth/login → the session.
import { post } from '../api.js';
import { $, say } from '../dom.js';

export function mount(view, ctx) {
  view.innerHTML = `
    <form id="login" class="login card" autocomplete="on">
      <h1>大喇叭 <small>应急广播调度控制台</small></h1>
      <label>用户名 <input name="username" autocomplete="username" required autofocus></label>
      <label>密码 <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit" class="primary">登录</button>
      <p id="login-msg" class="msg" hidden></p>
    </form>`;
  const form = $('#login', view);
  const msg = $('#login-msg', view);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const button = $('button', form);
    button.disabled = true;
    say(msg, '正在登录…');
    post('/api/auth/login', { username: String(data.get('username')).trim(), password: String(data.get('password')) })
      .then((result) => ctx.onLogin(result))
      .catch((err) => {
        say(msg, err.status === 401 ? '用户名或密码错误' : err.message, 'error');
        button.disabled = false;
      });
  });
}
