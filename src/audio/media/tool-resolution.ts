/**
 * Where each audio tool comes from, decided once at boot in this order: the path set in configuration
 * (AUDIO_FFMPEG, AUDIO_FFPROBE, AUDIO_ESPEAK), then the copy shipped in an npm package (ffmpeg and ffprobe binaries
 * inside @ffmpeg-installer/* and @ffprobe-installer/*, espeak-ng compiled to WebAssembly in
 * @echogarden/espeak-ng-emscripten, run in a child node process), then the executable of that name on PATH.
 * So `npm ci` alone gives every audio feature; a system install is an option, never a requirement.
 */
import { accessSync, constants } from 'node:fs';
import { espeakWasmSource } from '../tts/espeak-wasm-source';

export type ToolSource = 'configured' | 'npm' | 'PATH';

export interface ResolvedTool {
  /** Executable to spawn. */
  path: string;
  /** Arguments placed before the tool's own (the WebAssembly engine runs as `node -e <source> --`). */
  prefixArgs: readonly string[];
  source: ToolSource;
  /** Where it comes from, for logs and /health: "npm @ffmpeg-installer/ffmpeg", "PATH", "AUDIO_FFMPEG". */
  origin: string;
}

export interface AudioToolSet {
  ffmpeg: ResolvedTool;
  ffprobe: ResolvedTool;
  espeak: ResolvedTool;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The binary an installer package carries for this platform, or null when its platform package is absent. */
function packagedBinary(pkg: string): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- these packages compute the path at require time
    const path = (require(pkg) as { path?: unknown }).path;
    return typeof path === 'string' && executable(path) ? path : null;
  } catch {
    return null;
  }
}

function wasmEspeak(): string | null {
  try {
    return require.resolve('@echogarden/espeak-ng-emscripten/espeak-ng.js');
  } catch {
    return null;
  }
}

const onPath = (name: string, envName: string): ResolvedTool => ({
  path: name,
  prefixArgs: [],
  source: 'PATH',
  origin: `${name} on PATH (${envName} unset, npm package absent)`,
});
const configured = (path: string, envName: string): ResolvedTool => ({
  path,
  prefixArgs: [],
  source: 'configured',
  origin: envName,
});

export function resolveAudioTools(configuredPaths: {
  ffmpeg?: string;
  ffprobe?: string;
  espeak?: string;
}): AudioToolSet {
  const binary = (name: string, envName: string, pkg: string, given: string | undefined): ResolvedTool => {
    if (given !== undefined) return configured(given, envName);
    const shipped = packagedBinary(pkg);
    return shipped ? { path: shipped, prefixArgs: [], source: 'npm', origin: `npm ${pkg}` } : onPath(name, envName);
  };
  const wasm = configuredPaths.espeak === undefined ? wasmEspeak() : null;
  let espeak: ResolvedTool;
  if (configuredPaths.espeak !== undefined) espeak = configured(configuredPaths.espeak, 'AUDIO_ESPEAK');
  else if (wasm !== null) {
    espeak = {
      path: process.execPath,
      prefixArgs: ['--input-type=module', '-e', espeakWasmSource(wasm), '--'],
      source: 'npm',
      origin: 'npm @echogarden/espeak-ng-emscripten (WebAssembly)',
    };
  } else espeak = onPath('espeak-ng', 'AUDIO_ESPEAK');
  return {
    ffmpeg: binary('ffmpeg', 'AUDIO_FFMPEG', '@ffmpeg-installer/ffmpeg', configuredPaths.ffmpeg),
    ffprobe: binary('ffprobe', 'AUDIO_FFPROBE', '@ffprobe-installer/ffprobe', configuredPaths.ffprobe),
    espeak,
  };
}
