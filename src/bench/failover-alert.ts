/**
 * `npm run bench -- failover`: a county-wide emergency alert (the built-in chime) sent through one instance's API
 * before the kill, and what became of it. Each instance runs the deliveries of the buses it holds, and the buses of
 * the killed one are continued by their new holders (docs/cluster.md, "Dispatch across instances"): the bench reports
 * the outcome and the deliveries by state as the API gives them.
 */
import type { CountyShape } from '../../device-drivers/simulator/county-shape';
import { login, sleep } from './cluster-launcher';
import { deliverySummary } from './failover-measure';

const OFFICER = { username: 'bench-officer', password: 'Failover-Drill-42' };

export interface AlertProbe {
  url: string;
  token: string;
  id: number;
  sentVia: string;
}

async function call(url: string, token: string, method: string, path: string, body?: object): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/** Creates an officer for the county through `url` (as the administrator) and sends the alert as that officer. */
export async function sendCountyAlert(
  url: string,
  adminPassword: string,
  shape: CountyShape,
  say: (l: string) => void,
): Promise<AlertProbe | null> {
  try {
    const admin = await login(url, 'admin', adminPassword);
    await call(url, admin, 'POST', '/api/users', { ...OFFICER, roles: ['officer'], scopes: [shape.areaCode] });
    const token = await login(url, OFFICER.username, OFFICER.password);
    const alert = (await call(url, token, 'POST', '/api/alerts/emergency', {
      eventType: '11B06',
      severity: 1,
      messageType: 'real',
      title: '故障转移测试',
      text: '故障转移测试',
      targets: { areaCodes: [shape.areaCode] },
      audio: { kind: 'tone', toneId: 'tone-chime' },
      endAt: new Date(Date.now() + 3_600_000).toISOString(),
      reason: 'failover bench',
    })) as { id: number; state: string };
    say(`alert ${alert.id} sent through ${url}: ${alert.state}`);
    return { url, token, id: alert.id, sentVia: url };
  } catch (e) {
    say(`alert not sent: ${(e as Error).message}`);
    return null;
  }
}

/** The alert's state and outcome, and its broadcast's counts, once it left `dispatching` (or after `waitMs`). */
export async function alertOutcome(p: AlertProbe, waitMs = 120_000): Promise<Record<string, unknown>> {
  const until = Date.now() + waitMs;
  let alert = (await call(p.url, p.token, 'GET', `/api/alerts/${p.id}`)) as Record<string, unknown>;
  while (alert.state === 'dispatching' && Date.now() < until) {
    await sleep(1000);
    alert = (await call(p.url, p.token, 'GET', `/api/alerts/${p.id}`)) as Record<string, unknown>;
  }
  const broadcast = alert.broadcastId as string | null;
  const deliveries: { state: string; reason: string | null }[] = [];
  for (let page = 1; broadcast; page++) {
    const path = `/api/broadcasts/${broadcast}/deliveries?pageSize=500&page=${page}`;
    const got = (await call(p.url, p.token, 'GET', path)) as { items: { state: string; reason: string | null }[] };
    deliveries.push(...got.items);
    if (got.items.length < 500) break;
  }
  return {
    sent_via: p.sentVia,
    state: alert.state,
    terminals: alert.terminalCount,
    outcome: alert.outcomeDetail,
    deliveries: deliverySummary(deliveries),
  };
}
