// The county map without a tile server: an SVG schematic from the registry's coordinates. Each town is outlined by
// the convex hull of its terminals; at county zoom the terminals of a village are one cluster (count, and a ring in
// the colours of their states) — a town's at county zoom, a village's closer in, and closer still every terminal is a dot. Colours come from `stateOf(terminal)` and are
// redrawn in place when live data moves (`refresh()`), so nothing shifts. Wheel, drag, the +/− buttons and the
// keyboard (+, −, arrows, 0) zoom and pan; a cluster zooms in, a dot opens the terminal's page.
import { esc } from './dom.js';
import { regionName } from './regions.js';

const NS = 'http://www.w3.org/2000/svg';
/** Below TOWN_BELOW a town's terminals are one cluster, below VILLAGE_BELOW a village's; closer in, every terminal. */
const TOWN_BELOW = 2;
const VILLAGE_BELOW = 4;

function hull(points) {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper = [];
  for (const q of p.reverse()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** A hull grown outwards by `pad` (so a town's outline does not cut through its outermost terminals). */
function grow(points, pad) {
  const cx = points.reduce((s, p) => s + p[0], 0) / points.length;
  const cy = points.reduce((s, p) => s + p[1], 0) / points.length;
  return points.map(([x, y]) => {
    const d = Math.hypot(x - cx, y - cy) || 1;
    return [x + ((x - cx) / d) * pad, y + ((y - cy) / d) * pad];
  });
}

export class CountyMap {
  /**
   * terminals: [{id, name, areaCode, latitude, longitude}] (those without coordinates are counted, not drawn);
   * stateOf(t) → a state key (a CSS class: online, offline, fault, playing, unknown, played, failed, pending, …, or
   * 'none' for not involved); legend: [[key, label]]. With `pick({areaCode} | {terminalId})` the map picks instead of
   * navigating: a town outline or cluster, a village cluster or a terminal dot is handed to it, and `picked(code)`
   * marks the outlines and clusters that are chosen (the +/− buttons, wheel and keyboard still zoom).
   */
  constructor(container, { terminals, stateOf, legend, title, pick, picked }) {
    this.container = container;
    this.stateOf = stateOf;
    this.pick = pick;
    this.picked = picked;
    this.legend = legend;
    this.placed = terminals.filter((t) => Number.isFinite(t.latitude) && Number.isFinite(t.longitude));
    this.unplaced = terminals.length - this.placed.length;
    this.zoom = 1;
    this.dots = new Map();
    this.clusterEls = new Map();
    container.classList.add('county-map');
    container.innerHTML = `
      <div class="map-tools"><span class="map-title">${esc(title ?? '')}</span>
        <button type="button" data-zoom="in" aria-label="放大">＋</button><button type="button" data-zoom="out" aria-label="缩小">－</button><button type="button" data-zoom="reset">全县</button></div>
      <svg class="map-svg" tabindex="0" role="application" aria-label="终端分布图：加号减号缩放，方向键平移"></svg>
      <div class="map-legend"></div>`;
    this.svg = container.querySelector('svg');
    this.project();
    this.draw();
    this.bind();
    this.refresh();
  }

  /** Longitude/latitude to a plane (equirectangular at the county's latitude), in a 1000-wide box. */
  project() {
    if (!this.placed.length) {
      this.box = { w: 1000, h: 600 };
      return;
    }
    const lats = this.placed.map((t) => t.latitude);
    const lngs = this.placed.map((t) => t.longitude);
    const [s, n, w, e] = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
    const k = Math.cos((((s + n) / 2) * Math.PI) / 180);
    const spanX = Math.max((e - w) * k, 1e-4);
    const spanY = Math.max(n - s, 1e-4);
    const scale = 900 / Math.max(spanX, spanY * 1.4);
    this.box = { w: spanX * scale + 100, h: spanY * scale + 100 };
    for (const t of this.placed) {
      t.x = 50 + (t.longitude - w) * k * scale;
      t.y = 50 + (n - t.latitude) * scale;
    }
    this.view = { x: 0, y: 0, w: this.box.w, h: this.box.h };
  }

  draw() {
    const svg = this.svg;
    svg.setAttribute('viewBox', `0 0 ${this.box.w} ${this.box.h}`);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const towns = new Map();
    const villages = new Map();
    for (const t of this.placed) {
      const town = `${t.areaCode.slice(0, 9)}000`;
      if (!towns.has(town)) towns.set(town, []);
      towns.get(town).push(t);
      if (!villages.has(t.areaCode)) villages.set(t.areaCode, []);
      villages.get(t.areaCode).push(t);
    }
    this.villages = villages;
    // a map of one or two towns starts at their villages, of one or two villages at their terminals
    this.skip = villages.size < 3 ? 'dot' : towns.size < 3 ? 'village' : null;
    const outline = [];
    for (const [code, ts] of towns) {
      const h = grow(hull(ts.map((t) => [t.x, t.y])), 14);
      const cx = ts.reduce((s, t) => s + t.x, 0) / ts.length;
      const top = Math.min(...h.map((p) => p[1]));
      outline.push(
        `<g class="town" data-town="${esc(code)}"><polygon points="${h.map((p) => p.map((v) => v.toFixed(1)).join(',')).join(' ')}"/><text x="${cx.toFixed(1)}" y="${(top - 4).toFixed(1)}" class="town-name">${esc(regionName(code))}</text></g>`,
      );
    }
    svg.innerHTML = `<g class="towns">${outline.join('')}</g><g class="dots"></g><g class="clusters"></g>`;
    const dots = svg.querySelector('.dots');
    for (const t of this.placed) {
      const c = document.createElementNS(NS, 'circle');
      c.setAttribute('cx', t.x.toFixed(1));
      c.setAttribute('cy', t.y.toFixed(1));
      c.setAttribute('r', '2.6');
      c.setAttribute('data-terminal', String(t.id));
      c.setAttribute('tabindex', '-1');
      const title = document.createElementNS(NS, 'title');
      title.textContent = t.name;
      c.appendChild(title);
      dots.appendChild(c);
      this.dots.set(t.id, c);
    }
    const clusters = svg.querySelector('.clusters');
    const addCluster = (code, ts, level) => {
      const x = ts.reduce((s, t) => s + t.x, 0) / ts.length;
      const y = ts.reduce((s, t) => s + t.y, 0) / ts.length;
      const g = document.createElementNS(NS, 'g');
      g.setAttribute('class', `cluster ${level}-cluster`);
      g.setAttribute(`data-${level}`, code);
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute(
        'aria-label',
        `${regionName(code)}：${ts.length} 台终端，${this.pick ? '点击选择或取消' : '点击放大'}`,
      );
      const r = level === 'town' ? 26 : 9;
      g.innerHTML = `<circle r="${r}" class="cluster-bg"/><circle r="${r}" class="cluster-ring" pathLength="100"/><text y="${level === 'town' ? 5 : 3}">${ts.length}</text><title>${esc(regionName(code))}</title>`;
      g.cx = x;
      g.cy = y;
      g.level = level;
      clusters.appendChild(g);
      this.clusterEls.set(code, g);
    };
    for (const [code, ts] of towns) addCluster(code, ts, 'town');
    for (const [code, ts] of villages) addCluster(code, ts, 'village');
    this.applyZoom();
  }

  bind() {
    const svg = this.svg;
    this.container.querySelector('.map-tools').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-zoom]');
      if (!b) return;
      if (b.dataset.zoom === 'reset') this.setView(1, this.box.w / 2, this.box.h / 2);
      else this.zoomBy(b.dataset.zoom === 'in' ? 2 : 0.5);
    });
    svg.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const p = this.toSvg(e.clientX, e.clientY);
        this.zoomBy(e.deltaY < 0 ? 1.5 : 1 / 1.5, p);
      },
      { passive: false },
    );
    let drag = null;
    svg.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, view: { ...this.view }, moved: false };
    });
    svg.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const r = svg.getBoundingClientRect();
      const k = this.view.w / r.width;
      const dx = (e.clientX - drag.x) * k;
      const dy = (e.clientY - drag.y) * k;
      if (Math.abs(dx) + Math.abs(dy) > 3 * k) drag.moved = true;
      if (drag.moved) {
        this.view.x = drag.view.x - dx;
        this.view.y = drag.view.y - dy;
        svg.setAttribute('viewBox', `${this.view.x} ${this.view.y} ${this.view.w} ${this.view.h}`);
      }
    });
    svg.addEventListener('pointerleave', () => (drag = null));
    const activate = (target) => {
      if (this.pick) return this.pickAt(target);
      const cluster = target.closest('.cluster');
      if (cluster) {
        this.setView(cluster.level === 'town' ? VILLAGE_BELOW - 1 : VILLAGE_BELOW * 2, cluster.cx, cluster.cy);
        return;
      }
      const dot = target.closest('circle[data-terminal]');
      if (dot) location.hash = `#/terminal/${dot.dataset.terminal}`;
      return undefined;
    };
    svg.addEventListener('click', (e) => {
      const moved = drag?.moved;
      drag = null;
      if (!moved) activate(e.target);
    });
    svg.addEventListener('keydown', (e) => {
      const step = this.view.w / 8;
      const keys = {
        '+': () => this.zoomBy(2),
        '=': () => this.zoomBy(2),
        '-': () => this.zoomBy(0.5),
        0: () => this.setView(1, this.box.w / 2, this.box.h / 2),
        ArrowLeft: () => this.pan(-step, 0),
        ArrowRight: () => this.pan(step, 0),
        ArrowUp: () => this.pan(0, -step),
        ArrowDown: () => this.pan(0, step),
        Enter: () => activate(e.target),
        ' ': () => activate(e.target),
      };
      const fn = keys[e.key];
      if (fn) {
        e.preventDefault();
        fn();
      }
    });
  }

  /** Picking: the innermost thing under the pointer (a dot, a village or town cluster, a town outline). */
  pickAt(target) {
    const dot = target.closest('circle[data-terminal]');
    if (dot) return this.pick({ terminalId: Number(dot.dataset.terminal) });
    const area = target.closest('[data-village], [data-town]');
    if (area) this.pick({ areaCode: area.dataset.village ?? area.dataset.town });
    return undefined;
  }

  toSvg(clientX, clientY) {
    const r = this.svg.getBoundingClientRect();
    const k = Math.max(this.view.w / r.width, this.view.h / r.height);
    const ox = (r.width * k - this.view.w) / 2;
    const oy = (r.height * k - this.view.h) / 2;
    return { x: this.view.x + (clientX - r.left) * k - ox, y: this.view.y + (clientY - r.top) * k - oy };
  }

  pan(dx, dy) {
    this.view.x += dx;
    this.view.y += dy;
    this.svg.setAttribute('viewBox', `${this.view.x} ${this.view.y} ${this.view.w} ${this.view.h}`);
  }

  zoomBy(f, at) {
    const c = at ?? { x: this.view.x + this.view.w / 2, y: this.view.y + this.view.h / 2 };
    this.setView(this.zoom * f, c.x, c.y);
  }

  setView(zoom, cx, cy) {
    this.zoom = Math.max(1, Math.min(32, zoom));
    const w = this.box.w / this.zoom;
    const h = this.box.h / this.zoom;
    this.view = { x: cx - w / 2, y: cy - h / 2, w, h };
    if (this.zoom === 1) this.view = { x: 0, y: 0, w: this.box.w, h: this.box.h };
    this.svg.setAttribute('viewBox', `${this.view.x} ${this.view.y} ${this.view.w} ${this.view.h}`);
    this.applyZoom();
  }

  /** Clusters at county zoom, dots closer in; marks stay the same size on screen. */
  applyZoom() {
    const level = this.zoom < TOWN_BELOW ? 'town' : this.zoom < VILLAGE_BELOW ? 'village' : 'dot';
    const order = ['town', 'village', 'dot'];
    this.svg.dataset.level = this.skip && order.indexOf(this.skip) > order.indexOf(level) ? this.skip : level;
    this.svg.style.setProperty('--k', String(1 / this.zoom));
    for (const c of this.dots.values())
      c.setAttribute('r', (Math.max(2.6 / this.zoom, 0.5) * (this.zoom > 6 ? 2 : 1)).toFixed(2));
    for (const g of this.clusterEls.values())
      g.setAttribute(
        'transform',
        `translate(${g.cx.toFixed(1)},${g.cy.toFixed(1)}) scale(${(1 / this.zoom).toFixed(3)})`,
      );
  }

  /** Recolours every dot and cluster from stateOf (cheap: attributes only, nothing moves). */
  refresh() {
    const counts = new Map();
    for (const t of this.placed) {
      const key = this.stateOf(t);
      const dot = this.dots.get(t.id);
      if (dot.dataset.state !== key) {
        dot.dataset.state = key;
        dot.setAttribute('class', `st-${key}`);
      }
      for (const code of [t.areaCode, `${t.areaCode.slice(0, 9)}000`]) {
        const c = counts.get(code) ?? {};
        c[key] = (c[key] ?? 0) + 1;
        counts.set(code, c);
      }
    }
    if (this.picked)
      for (const g of this.svg.querySelectorAll('.town, .cluster'))
        g.toggleAttribute('data-picked', this.picked(g.dataset.village ?? g.dataset.town));
    for (const [code, g] of this.clusterEls) {
      const c = counts.get(code) ?? {};
      const total = Object.values(c).reduce((s, n) => s + n, 0) || 1;
      const bad = (c.offline ?? 0) + (c.failed ?? 0) + (c.unreachable ?? 0);
      const good = (c.online ?? 0) + (c.played ?? 0) + (c.playing ?? 0);
      const worst = bad ? 'bad' : c.fault ? 'warn' : c.none === total ? 'none' : good ? 'good' : 'wait';
      g.setAttribute('data-health', worst);
      const ring = g.querySelector('.cluster-ring');
      ring.setAttribute('stroke-dasharray', `${((100 * good) / total).toFixed(1)} 100`);
      g.querySelector('title').textContent = `${regionName(code)}：${this.legend
        .filter(([k]) => c[k])
        .map(([k, l]) => `${l} ${c[k]}`)
        .join('，')}`;
    }
    const total = {};
    for (const [code, c] of counts)
      if (this.villages.has(code)) for (const [k, n] of Object.entries(c)) total[k] = (total[k] ?? 0) + n;
    const legend = this.legend
      .map(
        ([k, l]) =>
          `<span class="legend-item"><i class="swatch st-${k}"></i>${esc(l)} <b data-legend="${k}">${total[k] ?? 0}</b></span>`,
      )
      .join('');
    const el = this.container.querySelector('.map-legend');
    const html = legend + (this.unplaced ? `<span class="muted">${this.unplaced} 台终端未登记坐标</span>` : '');
    if (el.lastHtml !== html) {
      el.innerHTML = html;
      el.lastHtml = html;
    }
  }
}
