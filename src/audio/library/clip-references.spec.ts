import { ConflictError } from '../../common/errors';
import { ClipReferences } from './clip-references';

describe('ClipReferences', () => {
  it('lets deletion through when no source refers to the clip', async () => {
    const refs = new ClipReferences();
    refs.register({ name: 'alert', find: () => Promise.resolve([]) });
    await expect(refs.assertUnreferenced('c1')).resolves.toBeUndefined();
  });

  it('refuses with 409 naming what refers to the clip, across sources', async () => {
    const refs = new ClipReferences();
    refs.register({
      name: 'alert',
      find: (id) => Promise.resolve(id === 'c1' ? [{ kind: 'alert', id: 7, label: '暴雨红色预警' }] : []),
    });
    refs.register({
      name: 'schedule',
      find: (id) => Promise.resolve(id === 'c1' ? [{ kind: 'schedule', id: 3 }] : []),
    });
    const err = await refs.assertUnreferenced('c1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({
      status: 409,
      code: 'clip_in_use',
      message: 'clip c1 is still used by alert 7 (暴雨红色预警), schedule 3',
    });
    await expect(refs.assertUnreferenced('c2')).resolves.toBeUndefined();
  });

  it('refuses a second source with the same name', () => {
    const refs = new ClipReferences();
    refs.register({ name: 'alert', find: () => Promise.resolve([]) });
    expect(() => refs.register({ name: 'alert', find: () => Promise.resolve([]) })).toThrow(/already registered/);
  });
});
