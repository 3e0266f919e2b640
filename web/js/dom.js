// Small DOM helpers: escaping for template strings, and a frame-coalesced re-render.

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes a value for HTML text or a quoted attribute. */
export function esc(v) {
  return v === null || v === undefined ? '' : String(v).replace(/[&<>"']/g, (c) => ESC[c]);
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Calls fn at most once per animation frame, however often it is asked to (live deltas come up to 4 a second). */
export function coalesce(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

/** A message line (errors, results) inside `el`. */
export function say(el, text, kind = 'info') {
  el.className = `msg ${kind}`;
  el.textContent = text;
  el.hidden = !text;
}

/**
 * Puts rows into a tbody, touching only what changed: a row is kept (and its cells left alone) while its key and
 * content stay the same, so a live update neither costs a full redraw nor swallows a click on a link or button.
 * rows: [{ key, attrs: {name: value}, html }]; `empty`: the row shown when there is none.
 */
export function patchRows(tbody, rows, empty) {
  if (rows.length === 0) {
    if (tbody.dataset.empty !== '1' || tbody.emptyHtml !== empty) {
      tbody.innerHTML = empty;
      tbody.dataset.empty = '1';
      tbody.emptyHtml = empty;
    }
    return;
  }
  if (tbody.dataset.empty === '1') {
    tbody.innerHTML = '';
    delete tbody.dataset.empty;
  }
  const old = new Map();
  for (const tr of tbody.children) old.set(tr.dataset.key, tr);
  rows.forEach((r, i) => {
    let tr = old.get(r.key);
    if (tr) old.delete(r.key);
    else {
      tr = document.createElement('tr');
      tr.dataset.key = r.key;
    }
    for (const [name, value] of Object.entries(r.attrs ?? {}))
      if (tr.getAttribute(name) !== value) tr.setAttribute(name, value);
    if (tr.rowHtml !== r.html) {
      tr.innerHTML = r.html;
      tr.rowHtml = r.html;
    }
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null);
  });
  for (const tr of old.values()) tr.remove();
}

/** Sets an element's markup only when it differs from what was set last (a live redraw keeps links clickable). */
export function setHtml(el, html) {
  if (el.lastHtml === html) return;
  el.innerHTML = html;
  el.lastHtml = html;
}
