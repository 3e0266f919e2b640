import fc from 'fast-check';
import { cardinal, decimal, digitByDigit } from './chinese-numbers';
import { normaliseChineseText } from './normalise-text';

describe('cardinal', () => {
  it.each([
    [0, '零'],
    [7, '七'],
    [10, '十'],
    [15, '十五'],
    [20, '二十'],
    [110, '一百一十'],
    [1005, '一千零五'],
    [2024, '二千零二十四'],
    [10_000, '一万'],
    [10_500, '一万零五百'],
    [100_010, '十万零一十'],
    [120_000_000, '一亿二千万'],
    [100_000_005, '一亿零五'],
  ])('%d → %s', (n, words) => {
    expect(cardinal(n)).toBe(words);
  });

  it('never leaves a digit, never doubles a 零, never ends in 零 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999_999 }), (n) => {
        const words = cardinal(n);
        expect(words).not.toMatch(/\d/);
        expect(words).not.toMatch(/零零/);
        expect(words.endsWith('零')).toBe(false);
      }),
    );
  });

  it('refuses what it cannot read', () => {
    expect(() => cardinal(-1)).toThrow(RangeError);
    expect(() => cardinal(1.5)).toThrow(RangeError);
  });
});

describe('digits and decimals', () => {
  it('reads digit strings one by one', () => {
    expect(digitByDigit('2024', '〇')).toBe('二〇二四');
    expect(digitByDigit('12345')).toBe('一二三四五');
  });
  it('reads decimals with 点', () => {
    expect(decimal('12.5')).toBe('十二点五');
    expect(decimal('0.05')).toBe('零点零五');
  });
});

describe('normaliseChineseText', () => {
  it.each([
    ['2024年10月23日 14:30', '二〇二四年十月二十三日 十四点三十分'],
    ['2024年10月23日14:30', '二〇二四年十月二十三日十四点三十分'],
    ['2024-10-23', '二〇二四年十月二十三日'],
    ['2024/1/5', '二〇二四年一月五日'],
    ['２０２４年１０月', '二〇二四年十月'],
    ['10月1号', '十月一日'],
    ['08:05', '八点零五分'],
    ['14:00', '十四点整'],
    ['23:59:30', '二十三点五十九分三十秒'],
    ['降雨概率80%', '降雨概率百分之八十'],
    ['最低气温-5℃', '最低气温零下五摄氏度'],
    ['风速12.5m/s', '风速十二点五米每秒'],
    ['累计雨量50-80mm', '累计雨量五十到八十毫米'],
    ['请拨打12345678', '请拨打一二三四五六七八'],
    ['转移365人', '转移三百六十五人'],
  ])('%s → %s', (text, spoken) => {
    expect(normaliseChineseText(text)).toBe(spoken);
  });

  it('leaves no ASCII digit in any text (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom('年', '月', '日', ':', '%', '.', '-', '℃', '雨', ' '),
            fc.integer({ min: 0, max: 99999 }).map(String),
          ),
        ),
        (parts) => {
          expect(normaliseChineseText(parts.join(''))).not.toMatch(/[0-9]/);
        },
      ),
    );
  });
});
