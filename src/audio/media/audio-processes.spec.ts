import { loadAudioConfig } from '../audio-config';
import { AudioProcesses, ProcessError } from './audio-processes';

const processes = (maxProcesses: string) =>
  new AudioProcesses(loadAudioConfig({ AUDIO_MAX_PROCESSES: maxProcesses }, '/tmp/dalaba-unused'));

describe('AudioProcesses', () => {
  it('runs at most the configured number of processes at once; the others queue', async () => {
    const p = processes('2');
    let most = 0;
    const runs = Array.from({ length: 5 }, (_, i) =>
      p.run('sh', ['-c', `echo ${i}`], {
        onStdout: () => {
          most = Math.max(most, p.running);
        },
      }),
    );
    expect(p.running).toBe(2);
    expect(p.waiting).toBe(3);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
    expect(most).toBeLessThanOrEqual(2);
    expect(p.running).toBe(0);
  });

  it('feeds stdin with back-pressure and collects stdout and a capped stderr', async () => {
    const p = processes('1');
    const chunks = function* () {
      for (let i = 0; i < 64; i++) yield new Uint8Array(64 * 1024).fill(0x61);
    };
    const r = await p.run('sh', ['-c', 'wc -c; echo oops >&2; exit 3'], { stdin: chunks() });
    expect(r).toEqual({ code: 3, stdout: `${64 * 64 * 1024}\n`, stderr: 'oops\n' });
  });

  it('rejects a missing executable and a process past its deadline, naming the command', async () => {
    const p = processes('1');
    await expect(p.run('/nonexistent/ffmpeg', [])).rejects.toThrow(
      /\/nonexistent\/ffmpeg: spawn \/nonexistent\/ffmpeg ENOENT/,
    );
    await expect(p.run('sh', ['-c', 'exec sleep 30'], { timeoutSeconds: 0.2 })).rejects.toThrow(
      new ProcessError('sh', 'did not finish within 0.2 s', ''),
    );
  });

  it('kills running processes at shutdown and refuses new ones', async () => {
    const p = processes('1');
    let up!: () => void;
    const started = new Promise<void>((r) => (up = r));
    const running = p.run('sh', ['-c', 'echo up; exec sleep 30'], { onStdout: () => up() });
    await started;
    p.onApplicationShutdown();
    expect((await running).code).toBe(-1);
    await expect(p.run('sh', ['-c', 'true'])).rejects.toThrow(/shutting down/);
  });
});
