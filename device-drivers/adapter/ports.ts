/**
 * What the adapter driver and the virtual adapter are handed instead of reaching for globals (docs/architecture.md, "Rules of the house"): a clock
 * and a byte link. Kept minimal so device-drivers/transport's clock and transports fit them as they are.
 */
import { connect, type Socket } from 'node:net';
import { SerialPort } from 'serialport';

export { systemClock, type Clock, type TimerHandle } from '../transport/clock';

/** An open, raw, bidirectional byte stream (TCP socket or serial port). */
export interface ByteLink {
  write(data: Uint8Array): void;
  onData(fn: (chunk: Buffer) => void): void;
  /** Called once when the link closes, for whatever reason. */
  onClose(fn: (reason: string) => void): void;
  close(): void;
}

/** Opens a new link each time it is called (the driver reconnects through it). */
export type LinkOpener = () => Promise<ByteLink>;

/** A TCP link to host:port (serial-device servers and TCP-capable adapters), failing after timeoutMs. */
export function tcpLink(host: string, port: number, timeoutMs = 3000): LinkOpener {
  return () =>
    new Promise<ByteLink>((resolve, reject) => {
      const socket: Socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(socketLink(socket));
      });
    });
}

/** Wraps a connected socket (used on both ends: the driver and the virtual adapter). */
export function socketLink(socket: Socket): ByteLink {
  let closeReason = 'closed';
  const closers: ((reason: string) => void)[] = [];
  socket.on('error', (e) => {
    closeReason = e.message;
  });
  socket.once('close', () => closers.forEach((fn) => fn(closeReason)));
  return {
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    onData: (fn) => socket.on('data', fn),
    onClose: (fn) => closers.push(fn),
    close: () => socket.destroy(),
  };
}

export interface SerialOptions {
  baudRate: number;
  dataBits?: 8 | 7;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

/** A serial-port link (RS-232/RS-485 to the adapter), 8N1 unless told otherwise. */
export function serialLink(path: string, opts: SerialOptions): LinkOpener {
  return () =>
    new Promise<ByteLink>((resolve, reject) => {
      const port = new SerialPort({
        path,
        baudRate: opts.baudRate,
        dataBits: opts.dataBits ?? 8,
        parity: opts.parity ?? 'none',
        stopBits: opts.stopBits ?? 1,
        autoOpen: false,
      });
      port.open((err) => {
        if (err) return reject(new Error(`open ${path}: ${err.message}`));
        let closeReason = 'closed';
        const closers: ((reason: string) => void)[] = [];
        port.on('error', (e: Error) => {
          closeReason = e.message;
        });
        port.once('close', () => closers.forEach((fn) => fn(closeReason)));
        resolve({
          write: (data) => {
            if (port.isOpen) port.write(Buffer.from(data));
          },
          onData: (fn) => port.on('data', fn),
          onClose: (fn) => closers.push(fn),
          close: () => {
            if (port.isOpen) port.close();
          },
        });
      });
    });
}

/** Where an adapter is reached, as the registry describes it. */
export type AdapterEndpoint =
  | { kind: 'tcp'; host: string; port: number; connectTimeoutMs?: number }
  | ({ kind: 'serial'; path: string } & SerialOptions);

export function openerFor(endpoint: AdapterEndpoint): LinkOpener {
  switch (endpoint.kind) {
    case 'tcp':
      return tcpLink(endpoint.host, endpoint.port, endpoint.connectTimeoutMs);
    case 'serial':
      return serialLink(endpoint.path, endpoint);
  }
}
