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
