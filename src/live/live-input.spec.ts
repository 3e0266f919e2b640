import type { AlertView } from '../alerts/alert-view';
import { type LiveInput, fromWire, toWire } from './live-input';

describe('a /live change between instances', () => {
  const input: LiveInput = {
    kind: 'alert',
    change: { alert: { id: 7, state: 'draft' } as AlertView, areaCodes: ['341523100000'] },
  };

  it('travels as JSON with the name of the instance that made it, and reads back the same', () => {
    const wire = toWire('ctl-a', input);
    expect(typeof wire.input).toBe('string');
    expect(fromWire(JSON.parse(JSON.stringify(wire)))).toEqual({ from: 'ctl-a', input });
  });

  it('is ignored when it is not one: another shape, an unknown kind, or not JSON', () => {
    expect(fromWire(null)).toBeNull();
    expect(fromWire({ from: 'ctl-a' })).toBeNull();
    expect(fromWire({ from: 'ctl-a', input: '{"kind":"tones"}' })).toBeNull();
    expect(fromWire({ from: 'ctl-a', input: '{' })).toBeNull();
  });
});
