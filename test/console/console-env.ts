/** The server the console's browser suites drive: the field on, quick polls and offline, one tone provisioned. */
export const CONSOLE_SERVER_ENV = {
  DALABA_FIELD: 'on',
  DALABA_POLL_PAUSE_MS: '100',
  DALABA_OFFLINE_AFTER_SILENCE: '3',
  DALABA_ALARM_CLEAR_AFTER: '0',
  DALABA_START_LEAD_MS: '800',
  DALABA_PROVISION_TONES: 'tone-chime',
  DALABA_PROVISION_RETRY: '5',
};
