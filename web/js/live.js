// The live view: one Socket.IO connection to /live, reference-counted subscriptions, and the latest state of what
// they cover (terminals, gateways, online rates, active alarms). Pages listen to 'change' events, whose detail says
// what changed ({terminals: Set<id>, rates: Set<areaCode>, gateways: Set<id>, alarms: boolean}); a broadcast's
// progress comes as 'broadcast' events (snapshot first, then deltas), changed alerts as 'alerts' events, relay changes
// (programmes, schedules, as-run rows) as 'relay' events, self-test results stored as 'selfTests' events, tone
// provisioning as 'provisioning' events and an audio job's progress as 'audioJob' events (a refused subscription to
// a job arrives as that job failed, with the server's reason).
import { io } from '/socket.io/socket.io.esm.min.js';

class Live extends EventTarget {
  terminals = new Map();
  gateways = new Map();
  rates = new Map();
  /** Active alarms by id. */
  alarms = new Map();
  connected = false;
  socket = null;
  /** key → { kind, id, count, ready, settle }: `ready` settles once the first subscribe on a connection is answered */
  subs = new Map();

  start(token, onAuthFailed) {
    this.stop();
    const socket = io('/live', { auth: { token }, transports: ['websocket', 'polling'] });
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.emitState();
      for (const s of this.subs.values()) void this.send(s.kind, s.id).then(s.settle);
    });
    socket.on('disconnect', () => {
      this.connected = false;
      this.emitState();
    });
    socket.on('connect_error', (e) => {
      this.connected = false;
      this.emitState();
      // a page waiting for its first snapshot goes on without it; the next connection subscribes again
      for (const s of this.subs.values()) s.settle();
      if (/token|authentication|session/i.test(e.message)) onAuthFailed();
    });
    socket.on('delta', (d) => {
      this.apply(d, false);
      for (const b of d.broadcasts ?? []) this.dispatchEvent(new CustomEvent('broadcast', { detail: b }));
      if (d.alerts?.length) this.dispatchEvent(new CustomEvent('alerts', { detail: d.alerts }));
      if (d.relay?.length) this.dispatchEvent(new CustomEvent('relay', { detail: d.relay }));
      if (d.selfTests?.length) this.dispatchEvent(new CustomEvent('selfTests', { detail: d.selfTests }));
      for (const p of d.provisioning ?? []) this.dispatchEvent(new CustomEvent('provisioning', { detail: p }));
      for (const j of d.audioJobs ?? []) this.dispatchEvent(new CustomEvent('audioJob', { detail: j }));
      if (d.alarmsDropped > 0 && this.subs.has('alarms:*')) void this.send('alarms', null);
    });
  }

  stop() {
    this.socket?.close();
    this.socket = null;
    this.connected = false;
    for (const s of this.subs.values()) s.settle();
    this.subs.clear();
    this.terminals.clear();
    this.gateways.clear();
    this.rates.clear();
    this.alarms.clear();
  }

  emitState() {
    this.dispatchEvent(new CustomEvent('state', { detail: this.connected }));
  }

  /** Subscribes (once per key however many pages ask) and resolves when the snapshot is in; returns the release. */
  async subscribe(kind, id) {
    const key = `${kind}:${id ?? '*'}`;
    let s = this.subs.get(key);
    if (s) s.count++;
    else {
      let settle = () => {};
      const ready = new Promise((resolve) => (settle = resolve));
      s = { kind, id, count: 1, ready, settle };
      this.subs.set(key, s);
      // not yet connected: the connect handler subscribes, and the page waits for that answer, so a change stored
      // between the page's first read and its subscription is not lost
      if (this.socket?.connected) void this.send(kind, id).then(settle);
      else if (!this.socket) settle();
    }
    await s.ready;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const sub = this.subs.get(key);
      if (!sub || --sub.count > 0) return;
      this.subs.delete(key);
      this.socket?.emit('unsubscribe', { kind, id });
    };
  }

  async send(kind, id) {
    if (!this.socket) return;
    try {
      const reply = await this.socket.timeout(15000).emitWithAck('subscribe', { kind, id });
      if (reply.ok) {
        this.apply({ ...reply.snapshot, alarms: [] }, kind === 'alarms' ? reply.snapshot.alarms : null);
        for (const b of reply.snapshot.broadcasts ?? [])
          this.dispatchEvent(new CustomEvent('broadcast', { detail: { ...b, snapshot: true } }));
        for (const p of reply.snapshot.provisioning ?? [])
          this.dispatchEvent(new CustomEvent('provisioning', { detail: p }));
        for (const j of reply.snapshot.audioJobs ?? []) this.dispatchEvent(new CustomEvent('audioJob', { detail: j }));
      } else {
        this.dispatchEvent(new CustomEvent('problem', { detail: reply.message }));
        if (kind === 'audioJob')
          this.dispatchEvent(new CustomEvent('audioJob', { detail: { id, state: 'failed', error: reply.message } }));
      }
    } catch {
      // timed out: the next reconnection subscribes again
    }
  }

  /** Folds a snapshot or delta in. `alarmList`: the full active list (snapshot) replacing what was known. */
  apply(d, alarmList) {
    const changed = { terminals: new Set(), rates: new Set(), gateways: new Set(), alarms: false };
    for (const t of d.terminals ?? []) {
      this.terminals.set(t.id, t);
      changed.terminals.add(t.id);
    }
    for (const g of d.gateways ?? []) {
      this.gateways.set(g.id, g);
      changed.gateways.add(g.id);
    }
    for (const r of d.rates ?? []) {
      this.rates.set(r.areaCode, r);
      changed.rates.add(r.areaCode);
    }
    if (alarmList) {
      this.alarms.clear();
      for (const a of alarmList) this.alarms.set(a.id, a);
      changed.alarms = true;
    }
    for (const e of d.alarms ?? []) {
      if (e.alarm.state === 'active') this.alarms.set(e.alarm.id, e.alarm);
      else this.alarms.delete(e.alarm.id);
      changed.alarms = true;
    }
    this.dispatchEvent(new CustomEvent('change', { detail: changed }));
  }

  /** Listens to one kind of event ('broadcast', 'alerts') until the returned function is called. */
  on(type, fn) {
    const h = (e) => fn(e.detail);
    this.addEventListener(type, h);
    return () => this.removeEventListener(type, h);
  }

  /** Listens to changes until the returned function is called. */
  onChange(fn) {
    const h = (e) => fn(e.detail);
    this.addEventListener('change', h);
    return () => this.removeEventListener('change', h);
  }
}

export const live = new Live();
