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
  terminal_start_in_doubt: '该终端的广播启动尚未核实，暂不发送（请稍后重试）',
  field_off: '本实例未连接现场设备',
  illegal_transition: '当前状态不允许此操作（可能已被他人处理，请查看最新状态）',
  audio_not_ready: '音频尚未就绪（语音合成或转码仍在进行，或已失败）',
  audio_unavailable: '服务器未安装音频工具，无法处理音频',
  no_terminals: '播发范围内没有可用的终端',
  already_confirmed: '已由他人确认',
  not_emergency: '此预警经过审核，无需事后确认',
  import_rejected: '导入被拒绝，文件中有错误的行（未导入任何数据）',
  clip_in_use: '音频仍被使用，不能删除',
  clip_builtin: '内置提示音不能删除',
  clip_processing: '音频仍在处理中',
  region_in_use: '区域下仍有网关或终端',
  conflict: '与现有数据冲突',
};

const BY_STATUS = {
  401: CODES.unauthorized,
  403: CODES.forbidden,
  404: CODES.not_found,
  429: CODES.too_many_attempts,
  503: '服务暂不可用',
  504: CODES.terminal_unreachable,
};

export class ApiError extends Error {
  constructor(status, body) {
    const code = body?.code ?? '';
    const zh = CODES[code] ?? BY_STATUS[status] ?? `请求失败`;
    const fields = Array.isArray(body?.details)
      ? body.details
          .map((d) => d.message)
          .filter(Boolean)
          .join('；')
      : '';
    super(
      `${zh}（${status}${code ? ` ${code}` : ''}）${fields ? `：${fields}` : body?.message ? `：${body.message}` : ''}`,
    );
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
  const res = await fetch(path + query(params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
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
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);

/**
 * Sends a file as multipart (`file` plus `fields`) with upload progress (`onProgress(percent)`), the session's token,
 * and the same errors as request().
 */
export function upload(path, file, fields = {}, onProgress = () => undefined) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const s = session.get();
    if (s?.token) xhr.setRequestHeader('authorization', `Bearer ${s.token}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener(
      'progress',
      (e) => e.lengthComputable && onProgress(Math.round((100 * e.loaded) / e.total)),
    );
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = { message: xhr.responseText.slice(0, 200) };
      }
      if (xhr.status === 401) onUnauthorized();
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    });
    xhr.addEventListener('error', () => reject(new Error('网络错误，上传未完成')));
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', file);
    xhr.send(form);
  });
}

/** A protected file (audio, a report) as an object URL; the caller revokes it. */
export async function blobUrl(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${session.get()?.token}` } });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return { url: URL.createObjectURL(await res.blob()), res };
}

/** Every page of a list (`{items, total}`), 500 at a time, fetched in parallel after the first. */
export async function getAll(path, params) {
  const pageSize = 500;
  const first = await get(path, { ...params, page: 1, pageSize });
  const pages = Math.ceil(first.total / pageSize);
  const rest = await Promise.all(
    Array.from({ length: Math.max(0, pages - 1) }, (_, i) => get(path, { ...params, page: i + 2, pageSize })),
  );
  return [first, ...rest].flatMap((p) => p.items);
}
