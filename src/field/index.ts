/** The field module's public face for the rest of the server. */
export * from './field-commands';
