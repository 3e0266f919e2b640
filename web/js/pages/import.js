// 导入登记表: the installer's spreadsheet (CSV or Excel) of regions, gateways or terminals, sent to the import route
// with upload progress. The import is all or nothing: when rows are wrong nothing is written and each row's errors
// are shown beside the row as the spreadsheet numbers it (the row's cells too, for a CSV file read in the browser).
import { ApiError, upload } from '../api.js';
import { $, esc, say } from '../dom.js';

const KINDS = [
  ['terminals', '终端'],
  ['gateways', '网关'],
  ['regions', '区域'],
];
/** The spreadsheet's column headers (src/terminals/registry-columns.ts), for naming the column of an error. */
const COLUMNS = {
  address: '安装地址',
  areaCode: '区域编码',
  baudRate: '波特率',
  broadcastDelayMs: '广播延时毫秒',
  code: '区域编码',
  dataBits: '数据位',
  enabled: '启用',
  gatewayResourceCode: '网关资源编码',
  host: '主机',
  installedOn: '安装日期',
  kind: '类型',
  latitude: '纬度',
  level: '级别',
  longitude: '经度',
  model: '型号',
  name: '名称',
  notes: '备注',
  parentCode: '上级区域编码',
  parity: '校验',
  port: '端口',
  requestTimeoutMs: '超时毫秒',
  resourceCode: '资源编码',
  serialNumber: '序列号',
  serialPath: '串口',
  speakerPowerW: '功率',
  stopBits: '停止位',
  turnaroundMs: '转换间隔毫秒',
  unitId: '单元号',
};

/** A CSV file's rows as the spreadsheet numbers them (1 = the header), for showing a refused row beside its errors. */
function csvRows(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

export function mount(view, ctx) {
  if (!ctx.can('registry')) {
    view.innerHTML = '<p class="msg error">只有运维技术员和管理员可以导入登记表。</p>';
    return undefined;
  }
  view.innerHTML = `
    <h1>导入登记表 <small class="muted">安装队的 CSV 或 Excel 表；有错误的行时全部不导入</small></h1>
    <form id="im-form" class="card import-form">
      <fieldset class="field"><legend>内容</legend>${KINDS.map(([k, l], i) => `<label><input type="radio" name="kind" value="${k}"${i === 0 ? ' checked' : ''}> ${l}</label>`).join(' ')}</fieldset>
      <label class="field"><span>文件（.csv 或 .xlsx）</span><input type="file" name="file" accept=".csv,.xlsx" required></label>
      <div class="form-actions"><button type="submit" class="primary" id="im-go">导入</button> <span class="progress" id="im-progress" hidden><span></span></span> <span class="muted" id="im-note"></span></div>
      <p class="muted">表头可用导出文件的英文列名或中文列名（名称、资源编码、区域编码、网关资源编码、单元号、型号、序列号、经度、纬度……）。</p>
    </form>
    <p id="im-msg" class="msg" hidden role="status"></p>
    <table class="grid" id="im-errors" hidden><thead><tr><th class="num">行</th><th>本行内容</th><th>错误</th></tr></thead><tbody></tbody></table>`;
  const form = $('#im-form', view);
  const msg = $('#im-msg', view);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = form.file.files[0];
    if (!file) {
      say(msg, '请选择文件。', 'error');
      return;
    }
    const kind = form.kind.value;
    const button = $('#im-go', view);
    const bar = $('#im-progress', view);
    button.disabled = true;
    bar.hidden = false;
    $('#im-errors', view).hidden = true;
    say(msg, '正在上传…');
    upload(`/api/${kind}/import`, file, {}, (p) => {
      bar.firstElementChild.style.width = `${p}%`;
      $('#im-note', view).textContent = p < 100 ? `上传 ${p}%` : '服务器正在逐行检查…';
    })
      .then((r) => {
        say(msg, `导入成功：${r.imported} 行。`, 'ok');
      })
      .catch(async (err) => {
        const details =
          err instanceof ApiError && err.code === 'import_rejected' && Array.isArray(err.body?.details)
            ? err.body.details
            : null;
        if (!details) {
          say(msg, err.message, 'error');
          return;
        }
        const rows = file.name.toLowerCase().endsWith('.csv') ? csvRows(await file.text()) : [];
        const byRow = new Map();
        for (const d of details) byRow.set(d.row, [...(byRow.get(d.row) ?? []), d]);
        say(msg, `文件中有 ${byRow.size} 行错误，未导入任何数据。请改正后重新导入。`, 'error');
        const table = $('#im-errors', view);
        table.hidden = false;
        $('tbody', table).innerHTML = [...byRow.entries()]
          .sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0))
          .map(
            ([
              row,
              ds,
            ]) => `<tr data-row="${esc(row)}"><td class="num">${esc(row ?? '—')}</td><td class="code">${esc((rows[(row ?? 0) - 1] ?? []).join(', '))}</td>
            <td>${ds.map((d) => `<div><b>${esc(COLUMNS[d.column] ?? d.column ?? '')}</b>：${esc(d.message)}</div>`).join('')}</td></tr>`,
          )
          .join('');
      })
      .finally(() => {
        button.disabled = false;
        bar.hidden = true;
        $('#im-note', view).textContent = '';
      });
  });
  return undefined;
}
