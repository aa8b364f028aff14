import { networkInterfaces } from 'node:os';

/**
 * Where the other labs reach this one: the operator's DOCKSIDE_LAB_ADDRESS, else the address it listens
 * on; listening on every address, the machine's first outward IPv4 (not a bridge of an engine's).
 */
export function labAddress(configured: string | undefined, host: string, port: number): string {
  if (configured) return configured;
  if (host !== '0.0.0.0' && host !== '::') return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const outward = Object.entries(networkInterfaces())
    .filter(([name]) => !/^(lo|docker|br-|veth|dockside)/.test(name))
    .flatMap(([, addresses]) => addresses ?? [])
    .find((a) => a.family === 'IPv4' && !a.internal);
  return `http://${outward?.address ?? '127.0.0.1'}:${port}`;
}
