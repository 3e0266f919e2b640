/** Injection tokens of the audio module. */
export const AUDIO_CONFIG = Symbol('AUDIO_CONFIG');
export const SPEECH_PROVIDER = Symbol('SPEECH_PROVIDER');
