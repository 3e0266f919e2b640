/** Injection tokens of the field module. */
export const FIELD_CLOCK = Symbol('FIELD_CLOCK');
export const BUS_FACTORY_DEPS = Symbol('BUS_FACTORY_DEPS');
