/** Injection tokens of the field module. */
export const FIELD_CLOCK = Symbol('FIELD_CLOCK');
export const BUS_FACTORY_DEPS = Symbol('BUS_FACTORY_DEPS');
/** A TerminalStock: present only where terminals can be stocked with clips off the line (the demo's simulated county). */
export const TERMINAL_STOCK = Symbol('TERMINAL_STOCK');

/** A clip for a terminal to hold as installed, in the form dispatch stores it (codec by name, SM3 digest in hex). */
export interface StockClip {
  terminalId: number;
  clipId: number;
  codec: string;
  digest: string;
  size: number;
  durationMs: number;
}

/**
 * Terminals stocked with clips before they reach the line, as vendors ship terminals with the air-defence signals
 * stored. The demo's simulated county is one: it stands for a county whose terminals were provisioned at installation.
 */
export interface TerminalStock {
  /** How many of these terminals now hold their clip. */
  stock(clips: readonly StockClip[]): Promise<number>;
}
