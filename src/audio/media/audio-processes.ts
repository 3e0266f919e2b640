/**
 * Every child process of the audio library (ffmpeg, ffprobe, espeak-ng) starts here: at most `maxProcesses` at once
 * (the others queue), each with a deadline, stderr kept to a capped tail, stdout streamed to the caller, and stdin
 * fed from an iterable with back-pressure. Nothing here blocks the event loop.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { AUDIO_CONFIG } from '../audio.tokens';
import type { AudioConfig } from '../audio-config';
import { Semaphore } from './semaphore';

const STDERR_CAP = 64 * 1024;
const STDOUT_CAP = 4 * 1024 * 1024;

export interface RunOptions {
  /** Called with each stdout chunk (as text); when absent stdout is collected (capped) and returned. */
  onStdout?: (chunk: string) => void;
  /** Raw bytes written to stdin, with back-pressure. */
  stdin?: Iterable<Uint8Array>;
  timeoutSeconds?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class ProcessError extends Error {
  constructor(
    readonly command: string,
    message: string,
    readonly stderr: string,
  ) {
    super(`${command}: ${message}`);
    this.name = 'ProcessError';
  }
}

/** The last meaningful line of a tool's stderr, for error messages. */
export function lastLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

@Injectable()
export class AudioProcesses implements OnApplicationShutdown {
  private readonly slots: Semaphore;
  private readonly children = new Set<ChildProcess>();
  private closed = false;

  constructor(@Inject(AUDIO_CONFIG) private readonly config: AudioConfig) {
    this.slots = new Semaphore(config.maxProcesses);
  }

  get running(): number {
    return this.slots.running;
  }

  get waiting(): number {
    return this.slots.waiting;
  }

  /** Stops every running process (their jobs fail) and refuses new ones. */
  onApplicationShutdown(): void {
    this.closed = true;
    for (const child of this.children) child.kill('SIGKILL');
  }

  /** Runs to completion; resolves with the exit code (non-zero is not an error here), rejects on spawn failure or deadline. */
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.slots.use(() => this.spawnOnce(command, args, options));
  }

  private spawnOnce(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const timeoutMs = (options.timeoutSeconds ?? this.config.processTimeoutSeconds) * 1000;
    if (this.closed) return Promise.reject(new ProcessError(command, 'the server is shutting down', ''));
    return new Promise<RunResult>((resolve, reject) => {
      const child = spawn(command, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      this.children.add(child);
      let stdout = '';
      let stderr = '';
      let settled = false;
      const finish = (err: Error | null, code = -1): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.children.delete(child);
        if (err) reject(err);
        else resolve({ code, stdout, stderr });
      };
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new ProcessError(command, `did not finish within ${timeoutMs / 1000} s`, stderr));
      }, timeoutMs);
      const out = child.stdout;
      const err = child.stderr;
      if (!out || !err) throw new ProcessError(command, 'spawned without output pipes', '');
      out.setEncoding('utf8');
      out.on('data', (chunk: string) => {
        if (options.onStdout) options.onStdout(chunk);
        else if (stdout.length < STDOUT_CAP) stdout += chunk;
      });
      err.setEncoding('utf8');
      err.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_CAP);
      });
      child.on('error', (e) => finish(new ProcessError(command, e.message, stderr)));
      child.on('close', (code) => finish(null, code ?? -1));
      if (options.stdin && child.stdin) void this.feed(child.stdin, options.stdin);
    });
  }

  private async feed(sink: NodeJS.WritableStream, source: Iterable<Uint8Array>): Promise<void> {
    let closed = false;
    sink.on('error', () => (closed = true)); // the process exited early: its exit code tells why
    for (const chunk of source) {
      if (closed) return;
      if (!sink.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            sink.off('drain', done);
            sink.off('close', done);
            resolve();
          };
          sink.on('drain', done);
          sink.on('close', done);
        });
      }
      // yield to the event loop between chunks so generating samples never starves requests
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (!closed) sink.end();
  }
}
