// The console's one clock: pages that show ages ("3 分钟前") or durations redraw from data they already hold when it
// ticks. It never fetches anything; live data arrives over /live (live.js).
const listeners = new Set();
let timer = null;

/** Calls fn every 5 s until the returned function is called. */
export function onTick(fn) {
  listeners.add(fn);
  timer ??= setInterval(() => listeners.forEach((f) => f()), 5000);
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = null;
    }
  };
}
