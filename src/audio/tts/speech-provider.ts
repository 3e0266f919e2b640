/**
 * Mandarin text-to-speech behind one small interface, so a better engine can replace the built-in espeak-ng one.
 * The text given is already normalised (no digits); the provider writes a WAV file.
 */
export interface SpeechOptions {
  /** Words per minute (espeak-ng scale, 80–450; 160 is a calm announcement pace). */
  wordsPerMinute: number;
}

export interface SpeechProvider {
  readonly name: string;
  /** Null when the provider can run here, else why it cannot. */
  unavailableReason(): Promise<string | null>;
  /** Which engine and version speaks, in one line (for /health and the start summary). */
  version(): Promise<string>;
  synthesise(text: string, options: SpeechOptions, wavFile: string): Promise<void>;
  /** The phonemes the engine would speak (for checking the language), when the engine can tell. */
  phonemes(text: string, options: SpeechOptions): Promise<string>;
}
