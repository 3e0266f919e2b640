// 在线率统计: a region's online rate by day (China time) over the last 7, 30 or 90 days, as a table with inline bars.
import { get } from '../api.js';
import { $, esc } from '../dom.js';
import { chinaDay, percent } from '../format.js';
import { LEVELS, breadcrumbs, region, regionOrDefault } from '../regions.js';
import { rateBar, rateClass } from './overview.js';

/** Inline SVG bars, oldest day left; the scale starts a little below the worst day so differences show. */
function chart(items) {
  const days = items.filter((i) => i.ratePercent !== null);
  if (days.length === 0) return '';
  const floor = Math.max(0, Math.floor(Math.min(...days.map((i) => i.ratePercent)) / 10) * 10 - 10);
  const w = 1000;
  const h = 140;
  const slot = w / items.length;
  const y = (p) => h - ((p - floor) / (100 - floor)) * (h - 4);
  const bars = items
    .map((i, n) => {
      if (i.ratePercent === null) return '';
      const top = y(i.ratePercent);
      return `<rect class="${rateClass(i.ratePercent)}" x="${(n * slot + slot * 0.15).toFixed(1)}" y="${top.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${(h - top).toFixed(1)}"><title>${esc(i.day)} ${percent(i.ratePercent)}</title></rect>`;
    })
    .join('');
  return `<figure class="chart-box"><svg class="chart" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img" aria-label="每日在线率">
    <line x1="0" x2="${w}" y1="${y(95).toFixed(1)}" y2="${y(95).toFixed(1)}" class="target" vector-effect="non-scaling-stroke"/>${bars}</svg>
    <figcaption><span>${esc(items[0].day)}</span><span class="muted">纵轴 ${floor}%–100%，虚线为 95%</span><span>${esc(items[items.length - 1].day)}</span></figcaption></figure>`;
}

export async function mount(view, ctx) {
  const area = regionOrDefault(ctx.arg);
  if (!area) {
    view.innerHTML = '<p class="msg error">您的账号没有可见的区域。</p>';
    return undefined;
  }
  const days = [7, 30, 90].includes(Number(ctx.query.get('d'))) ? Number(ctx.query.get('d')) : 30;
  const node = region(area);
  const href = (code, d = days) => `#/daily/${code}${d !== 30 ? `?d=${d}` : ''}`;
  const data = await get('/api/monitoring/online-rate/daily', {
    areaCode: area,
    from: chinaDay(days - 1),
    to: chinaDay(0),
  });
  if (ctx.stale()) return undefined;
  const items = [...data.items].sort((a, b) => b.day.localeCompare(a.day));
  const rated = items.filter((i) => i.ratePercent !== null);
  const mean = rated.length ? rated.reduce((s, i) => s + i.ratePercent, 0) / rated.length : null;
  view.innerHTML = `
    <div class="crumbs">${breadcrumbs(area, (c) => href(c), esc)}
      ${node?.children.length ? `<select id="dy-child"><option value="">选择${esc(LEVELS[node.children[0].level] ?? '下级区域')}…</option>${node.children.map((c) => `<option value="${c.code}">${esc(c.name)}</option>`).join('')}</select>` : ''}
    </div>
    <h1>每日在线率 <small class="muted">按北京时间统计</small></h1>
    <div class="toolbar"><span class="filters">${[7, 30, 90].map((d) => `<a class="chip ${d === days ? 'active' : ''}" href="${href(area, d)}">近 ${d} 天</a>`).join('')}</span>
      <span class="muted">${rated.length ? `平均 ${percent(mean)}，最低一天 ${percent(Math.min(...rated.map((i) => i.ratePercent)))}` : ''}</span></div>
    ${chart(Array.from({ length: days }, (_, i) => chinaDay(days - 1 - i)).map((day) => data.items.find((d) => d.day === day) ?? { day, ratePercent: null }))}
    <table class="grid" id="dy-table"><thead><tr><th>日期</th><th>日在线率</th><th class="num">最低</th><th class="num">最高</th><th class="num">采样</th></tr></thead><tbody>
      ${
        items
          .map(
            (
              i,
            ) => `<tr><td>${esc(i.day)}</td><td class="rate-cell">${rateBar(i.ratePercent)} <span class="${rateClass(i.ratePercent)}">${percent(i.ratePercent)}</span></td>
          <td class="num">${percent(i.minPercent)}</td><td class="num">${percent(i.maxPercent)}</td><td class="num">${i.samples}</td></tr>`,
          )
          .join('') ||
        `<tr><td colspan="5" class="muted">所选时间内没有统计数据（每日在线率随系统运行逐日积累）</td></tr>`
      }
    </tbody></table>`;
  $('#dy-child', view)?.addEventListener('change', (e) => {
    if (e.target.value) location.hash = href(e.target.value);
  });
  return undefined;
}
