// The region tree the user may see (GET /api/regions/tree), as lookups: name, parent, children, path.

let byCode = new Map();
let roots = [];

export async function loadRegions(get) {
  const tree = await get('/api/regions/tree');
  byCode = new Map();
  const walk = (n) => {
    byCode.set(n.code, n);
    n.children.sort((a, b) => a.code.localeCompare(b.code));
    n.children.forEach(walk);
  };
  tree.forEach(walk);
  roots = tree;
}

export const regionRoots = () => roots;
export const region = (code) => byCode.get(code);
export const regionName = (code) => byCode.get(code)?.name ?? code;

/** A 12-digit area code or a 15-digit group code (anything else in a URL is ignored). */
export const isAreaCode = (code) => typeof code === 'string' && /^\d{12}(\d{3})?$/.test(code);

/** The region a page was asked for, or the user's default region. */
export const regionOrDefault = (code) => (isAreaCode(code) ? code : (roots[0]?.code ?? null));

/** The user's default region: the first root of their tree (the county for a county-wide account). */
export const defaultRegion = () => roots[0]?.code ?? null;

/** From a root down to `code`, the regions the user can see. */
export function regionPath(code) {
  const path = [];
  for (let n = byCode.get(code); n; n = n.parentCode ? byCode.get(n.parentCode) : undefined) path.unshift(n);
  return path;
}

/** Significant prefix of an area code (county 6 digits, town 9, village 12, group 15), as on the server. */
export function areaPrefix(code) {
  if (code.length === 15) return code;
  if (code.slice(9) !== '000') return code;
  if (code.slice(6, 9) !== '000') return code.slice(0, 9);
  if (code.slice(4, 6) !== '00') return code.slice(0, 6);
  if (code.slice(2, 4) !== '00') return code.slice(0, 4);
  return code.slice(0, 2);
}

export const LEVELS = {
  province: '省',
  prefecture: '市',
  county: '县',
  town: '乡镇',
  village: '行政村',
  group: '自然村',
};

/** Region breadcrumbs: links built by `href(code)`. */
export function breadcrumbs(code, href, esc) {
  return regionPath(code)
    .map((n, i, all) =>
      i === all.length - 1 ? `<strong>${esc(n.name)}</strong>` : `<a href="${href(n.code)}">${esc(n.name)}</a>`,
    )
    .join(' <span class="sep">›</span> ');
}
