/**
 * Text normalisation before Mandarin synthesis (pure): dates, times, percentages, temperatures, decimals, ranges and
 * plain numbers are rewritten as the Chinese words a duty officer would say, so the synthesiser never sees a digit.
 *   2024年10月23日 14:30 → 二〇二四年十月二十三日十四点三十分
 *   2024-10-23 → 二〇二四年十月二十三日 · 08:05 → 八点零五分 · 50% → 百分之五十 · -5℃ → 零下五摄氏度 · 12.5 → 十二点五
 */
import { cardinal, cardinalOrDigits, decimal, digitByDigit } from './chinese-numbers';

type Rule = [RegExp, (...groups: string[]) => string];

const num = (s: string): string => cardinal(Number(s));

function date(year: string | undefined, month: string, day: string | undefined): string {
  const y = year === undefined ? '' : `${digitByDigit(year, '〇')}年`;
  const d = day === undefined ? '' : `${num(day)}日`;
  return `${y}${num(month)}月${d}`;
}

function time(hours: string, minutes: string, seconds: string | undefined): string {
  const h = `${num(hours)}点`;
  if (Number(minutes) === 0 && seconds === undefined) return `${h}整`;
  const m = Number(minutes) < 10 ? `零${num(minutes)}分` : `${num(minutes)}分`;
  const s = seconds === undefined ? '' : `${num(seconds)}秒`;
  return `${h}${m}${s}`;
}

const UNITS: Record<string, string> = {
  '℃': '摄氏度',
  '°C': '摄氏度',
  'km/h': '公里每小时',
  'm/s': '米每秒',
  mm: '毫米',
  cm: '厘米',
  km: '公里',
  kg: '千克',
  m: '米',
};
const UNIT_PATTERN = Object.keys(UNITS)
  .sort((a, b) => b.length - a.length)
  .map((u) => u.replace(/[/.]/g, '\\$&'))
  .join('|');

const NUMBER = String.raw`\d+(?:\.\d+)?`;

/** Applied in order; each rule consumes what it rewrites so later rules never see it again. */
const RULES: Rule[] = [
  // full dates: 2024年10月23日, 2024-10-23, 2024/10/23, 2024.10.23
  [/(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]/g, (_, y, m, d) => date(y, m, d)],
  [/(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)/g, (_, y, m, d) => date(y, m, d)],
  [/(\d{4})\s*年\s*(\d{1,2})\s*月/g, (_, y, m) => date(y, m, undefined)],
  [/(\d{4})\s*年/g, (_, y) => `${digitByDigit(y, '〇')}年`],
  [/(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]/g, (_, m, d) => date(undefined, m, d)],
  // clock times: 14:30, 14:30:05, 14：30 (full-width colon)
  [/(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?:[:：]([0-5]\d))?(?!\d)/g, (_, h, m, s) => time(h, m, s)],
  // percentages and per-mille
  [new RegExp(`(${NUMBER})\\s*[%％]`, 'g'), (_, n) => `百分之${decimal(n)}`],
  // ranges: 20~30, 20-30毫米 (after dates so 2024-10-23 is already gone)
  [new RegExp(`(${NUMBER})\\s*[~～\\-－—]\\s*(?=${NUMBER})`, 'g'), (_, n) => `${decimal(n)}到`],
  // signed quantities with a unit: -5℃ → 零下五摄氏度
  [new RegExp(`[-－−](${NUMBER})\\s*(${UNIT_PATTERN})`, 'g'), (_, n, u) => `零下${decimal(n)}${UNITS[u]}`],
  [new RegExp(`(${NUMBER})\\s*(${UNIT_PATTERN})(?![A-Za-z])`, 'g'), (_, n, u) => `${decimal(n)}${UNITS[u]}`],
  // long digit strings (telephone numbers, codes) are read digit by digit
  [/\d{7,}/g, (d) => digitByDigit(d)],
  // any remaining number
  [new RegExp(NUMBER, 'g'), (n) => (n.includes('.') ? decimal(n) : cardinalOrDigits(n))],
];

/** Full-width digits and letters become ASCII first, so ２０２４年 reads like 2024年. */
function toHalfWidth(text: string): string {
  return text.replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) =>
    String.fromCharCode(c.charCodeAt(0) - 0xfee0),
  );
}

export function normaliseChineseText(text: string): string {
  let out = toHalfWidth(text);
  for (const [pattern, replace] of RULES) out = out.replace(pattern, replace);
  return out;
}
