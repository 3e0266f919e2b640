// The REST API with the session's bearer token; errors as ApiError with a Chinese message for the user.

const KEY = 'dalaba.session';

export const session = {
  /** { token, user: { id, username, roles, scopes } } or null */
  get() {
    try {
      return JSON.parse(localStorage.getItem(KEY) ?? 'null');
    } catch {
      return null;
    }
  },
  set(s) {
    localStorage.setItem(KEY, JSON.stringify(s));
  },
  clear() {
    localStorage.removeItem(KEY);
  },
};

const CODES = {
  unauthorized: '登录已失效或用户名、密码错误',
  forbidden: '无权执行此操作',
  forbidden_area: '超出您的管辖区域',
  too_many_attempts: '登录失败次数过多，请稍后再试',
  validation_failed: '输入有误',
  not_found: '对象不存在',
  terminal_unreachable: '终端无应答',
  terminal_refused: '终端拒绝执行',
  terminal_bad_reply: '终端应答异常',
  field_off: '本实例未连接现场设备',
};

const BY_STATUS = { 401: CODES.unauthorized, 403: CODES.forbidden, 404: CODES.not_found, 429: CODES.too_many_attempts, 503: '服务暂不可用', 504: CODES.terminal_unreachable };

export class ApiError extends Error {
  constructor(status, body) {
    const code = body?.code ?? '';
    const zh = CODES[code] ?? BY_STATUS[status] ?? `请求失败`;
    const fields = Array.isArray(body?.details) ? body.details.map((d) => d.message).filter(Boolean).join('；') : '';
    super(`${zh}（${status}${code ? ` ${code}` : ''}）${fields ? `：${fields}` : body?.message ? `：${body.message}` : ''}`);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function query(params) {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Called when the server says the token is no longer good (set by app.js). */
export let onUnauthorized = () => undefined;
export function setOnUnauthorized(fn) {
  onUnauthorized = fn;
}

export async function request(method, path, body, params) {
  const headers = { accept: 'application/json' };
  const s = session.get();
  if (s?.token) headers.authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path + query(params), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text.slice(0, 200) };
  }
  if (res.status === 401 && path !== '/api/auth/login') onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path, params) => request('GET', path, undefined, params);
export const post = (path, body = {}) => request('POST', path, body);

/** Every page of a list (`{items, total}`), 500 at a time, fetched in parallel after the first. */
export async function getAll(path, params) {
  const pageSize = 500;
  const first = await get(path, { ...params, page: 1, pageSize });
  const pages = Math.ceil(first.total / pageSize);
  const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, i) => get(path, { ...params, page: i + 2, pageSize })));
  return [first, ...rest].flatMap((p) => p.items);
}
