/**
 * espeak-ng compiled to WebAssembly (@echogarden/espeak-ng-emscripten, which carries the Mandarin voices) behind the
 * subset of the espeak-ng command line that tts/espeak-speech.ts uses, so the engine runs in a child node process,
 * off the server's event loop, with the same deadline, concurrency limit and checks as the native executable:
 *   --version · --voices=<lang> · -v <voice> -s <wpm> -a <amplitude> -b 1 --stdin (-w <file.wav> | -q -x)
 * The text comes on stdin; the WAV is 16-bit mono at the engine's rate (22,050 Hz). Run as
 * `node --input-type=module -e <source> -- <args>` (see media/tool-resolution.ts).
 */
import { pathToFileURL } from 'node:url';

/** The module source for the engine at `modulePath` (resolved by the caller, so the source has no lookup of its own). */
export function espeakWasmSource(modulePath: string): string {
  const moduleUrl = JSON.stringify(pathToFileURL(modulePath).href);
  const packageJson = JSON.stringify(pathToFileURL(modulePath.replace(/espeak-ng\.js$/, 'package.json')).href);
  return `
import { readFileSync, writeFileSync } from 'node:fs';
const args = process.argv.slice(1);
const fail = (message) => { process.stderr.write('espeak-ng (WebAssembly): ' + message + '\\n'); process.exit(1); };
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
if (args.includes('--version')) {
  const pkg = JSON.parse(readFileSync(new URL(${packageJson}), 'utf8'));
  process.stdout.write('eSpeak NG compiled to WebAssembly (' + pkg.name + ' ' + pkg.version + ')\\n');
  process.exit(0);
}
const engineModule = (await import(${moduleUrl})).default;
const engine = await engineModule();
const worker = new engine.eSpeakNGWorker();
const voicesArg = args.find((a) => a.startsWith('--voices'));
if (voicesArg !== undefined) {
  const lang = voicesArg.split('=')[1] ?? '';
  for (const v of worker.list_voices()) {
    const langs = v.languages.map((l) => l.name);
    if (lang === '' || langs.some((l) => l.startsWith(lang))) process.stdout.write(langs[0] + ' ' + v.name.replace(/ /g, '_') + ' ' + v.identifier + '\\n');
  }
  process.exit(0);
}
const voice = opt('-v') ?? 'cmn-latn-pinyin';
if (worker.set_voice(voice) !== 0) fail('no voice ' + voice);
const rate = Number(opt('-s') ?? 175);
const amplitude = Number(opt('-a') ?? 100);
if (!Number.isFinite(rate) || !Number.isFinite(amplitude)) fail('-s and -a take numbers');
worker.set_rate(rate);
worker.set_volume(amplitude);
const text = readFileSync(0, 'utf8');
if (args.includes('-x')) {
  const ptr = worker.text_to_phonemes(text, 0).ptr;
  const heap = engine.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) end++;
  // the library separates every phoneme with "_" and words with "__": written like the command line's "-x"
  const phonemes = Buffer.from(heap.subarray(ptr, end)).toString('utf8').replace(/__/g, '\\u0000').replace(/_/g, '').replace(/\\u0000/g, '_');
  process.stdout.write(phonemes + '\\n');
  process.exit(0);
}
const out = opt('-w');
if (out === undefined) fail('-w <file> is required');
const chunks = [];
worker.synthesize(text, (samples) => { chunks.push(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)); return 0; });
const pcm = Buffer.concat(chunks);
const sampleRate = worker.get_samplerate();
const header = Buffer.alloc(44);
header.write('RIFF', 0); header.writeUInt32LE(36 + pcm.length, 4); header.write('WAVE', 8);
header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
header.writeUInt32LE(sampleRate, 24); header.writeUInt32LE(sampleRate * 2, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34);
header.write('data', 36); header.writeUInt32LE(pcm.length, 40);
writeFileSync(out, Buffer.concat([header, pcm]));
`;
}
