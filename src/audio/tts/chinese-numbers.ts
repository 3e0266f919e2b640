/**
 * Reading numbers the Chinese way (pure). Cardinals use 万/亿 grouping with the usual zero rules
 * (1005 → 一千零五, 10 → 十, 110 → 一百一十); digit strings (years, phone numbers) are read digit by digit.
 */
const DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'] as const;
const SMALL_UNITS = ['', '十', '百', '千'] as const;
const GROUP_UNITS = ['', '万', '亿', '万亿'] as const;

/** Largest integer read as a cardinal; longer digit strings are read digit by digit. */
export const MAX_CARDINAL = 999_999_999_999_999;

function readGroup(group: number): string {
  // group is 1..9999; reads without leading zero
  let out = '';
  let pendingZero = false;
  for (let place = 3; place >= 0; place--) {
    const d = Math.floor(group / 10 ** place) % 10;
    if (d === 0) {
      if (out !== '') pendingZero = true;
      continue;
    }
    if (pendingZero) out += '零';
    pendingZero = false;
    out += DIGITS[d] + SMALL_UNITS[place];
  }
  return out;
}

/** 0 → 零, 10 → 十, 15 → 十五, 110 → 一百一十, 1005 → 一千零五, 100010 → 十万零一十. */
export function cardinal(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_CARDINAL) throw new RangeError(`cannot read ${n} as a cardinal`);
  if (n === 0) return '零';
  const groups: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 10_000)) groups.push(rest % 10_000);
  let out = '';
  let zeroPending = false;
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i];
    if (g === 0) {
      zeroPending = out !== '';
      continue;
    }
    // a group below 1000 that follows a higher group needs a 零 (一万零五百)
    if (out !== '' && (zeroPending || g < 1000)) out += '零';
    zeroPending = false;
    out += readGroup(g) + GROUP_UNITS[i];
  }
  // 一十 at the start is read 十 (十五, 十万)
  return out.startsWith('一十') ? out.slice(1) : out;
}

/** Each digit on its own: '2024' → 二〇二四 (years use 〇), '110' → 一一〇; `zero` chooses the zero glyph. */
export function digitByDigit(digits: string, zero: '〇' | '零' = '零'): string {
  return [...digits].map((c) => (c === '0' ? zero : DIGITS[Number(c)])).join('');
}

/** A decimal written with a point: '12.5' → 十二点五; '0.05' → 零点零五. */
export function decimal(text: string): string {
  const [whole, fraction] = text.split('.');
  const head = whole.length > 1 && whole.startsWith('0') ? digitByDigit(whole) : cardinalOrDigits(whole);
  return fraction === undefined || fraction === '' ? head : `${head}点${digitByDigit(fraction)}`;
}

/** A cardinal when it fits, else digit by digit (a 20-digit code is not read as a quantity). */
export function cardinalOrDigits(digits: string): string {
  if (digits.length > 1 && digits.startsWith('0')) return digitByDigit(digits);
  const n = Number(digits);
  return Number.isSafeInteger(n) && n <= MAX_CARDINAL ? cardinal(n) : digitByDigit(digits);
}
