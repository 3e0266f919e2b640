/** The spreadsheet columns of the registry: English keys (what export writes) and the Chinese headers import accepts. */
import type { TableColumn } from './tabular';

export const REGION_COLUMNS: TableColumn[] = [
  { key: 'code', header: '区域编码', aliases: ['areaCode', '编码'] },
  { key: 'name', header: '名称', aliases: ['区域名称'] },
  { key: 'level', header: '级别' },
  { key: 'parentCode', header: '上级区域编码' },
];

export const GATEWAY_COLUMNS: TableColumn[] = [
  { key: 'name', header: '名称', aliases: ['网关名称'] },
  { key: 'resourceCode', header: '资源编码' },
  { key: 'areaCode', header: '区域编码' },
  { key: 'kind', header: '类型' },
  { key: 'host', header: '主机', aliases: ['IP', 'IP地址'] },
  { key: 'port', header: '端口' },
  { key: 'serialPath', header: '串口' },
  { key: 'baudRate', header: '波特率' },
  { key: 'parity', header: '校验' },
  { key: 'dataBits', header: '数据位' },
  { key: 'stopBits', header: '停止位' },
  { key: 'requestTimeoutMs', header: '超时毫秒', aliases: ['请求超时'] },
  { key: 'turnaroundMs', header: '转换间隔毫秒', aliases: ['转换间隔'] },
  { key: 'broadcastDelayMs', header: '广播延时毫秒', aliases: ['广播延时'] },
  { key: 'enabled', header: '启用' },
];

export const TERMINAL_COLUMNS: TableColumn[] = [
  { key: 'name', header: '名称', aliases: ['终端名称'] },
  { key: 'resourceCode', header: '资源编码' },
  { key: 'areaCode', header: '区域编码' },
  { key: 'gatewayResourceCode', header: '网关资源编码' },
  { key: 'unitId', header: '单元号', aliases: ['地址', '从站地址'] },
  { key: 'model', header: '型号' },
  { key: 'serialNumber', header: '序列号' },
  { key: 'latitude', header: '纬度' },
  { key: 'longitude', header: '经度' },
  { key: 'address', header: '安装地址', aliases: ['地点'] },
  { key: 'speakerPowerW', header: '功率', aliases: ['喇叭功率'] },
  { key: 'installedOn', header: '安装日期' },
  { key: 'enabled', header: '启用' },
  { key: 'notes', header: '备注' },
];

/** A cell as an integer, null when empty, NaN when not a whole number (the checks then name the column). */
export function intCell(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  return /^-?\d+$/.test(v) ? Number(v) : NaN;
}

export function numberCell(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

/** true/false, 1/0, 是/否; empty → the default; anything else → null (an error). */
export function boolCell(v: string | undefined, dflt: boolean): boolean | null {
  if (v === undefined || v === '') return dflt;
  const s = v.toLowerCase();
  if (['true', '1', 'yes', '是', 'y'].includes(s)) return true;
  if (['false', '0', 'no', '否', 'n'].includes(s)) return false;
  return null;
}

export function textCell(v: string | undefined): string | null {
  return v === undefined || v === '' ? null : v;
}
