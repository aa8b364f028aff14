import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { LabError } from '../errors/lab-error.ts';
import { type Cidr, formatCidr, type HostRoute, parseCidr } from '../util/ipv4.ts';
import { chooseSandboxRange, freeSubnet } from './sandbox-range.ts';

const cidr = (text: string) => parseCidr(text) as Cidr;
const route = (iface: string, network: string): HostRoute => ({ iface, network: cidr(network) });
/** A network as the engine lists it: its id names its bridge, unless an option names it. */
const network = (id: string, subnet: string, bridge?: string) =>
  ({
    Id: id.padEnd(64, '0'),
    Options: bridge ? { 'com.docker.network.bridge.name': bridge } : {},
    IPAM: { Config: [{ Subnet: subnet }] },
  }) as unknown as Docker.NetworkInspectInfo;

/** The range chosen when the operator set none, on a host with these routes and these ranges in use. */
const automatic = (foreign: ReturnType<typeof route>[], inUse: ReturnType<typeof cidr>[] = []) =>
  chooseSandboxRange({ configured: undefined, foreign, inUse });

describe('choosing the sandbox range', () => {
  it('takes 10.96.0.0/12 on a host that routes none of it', () => {
    const chosen = automatic([route('eth0', '192.0.2.0/24'), route('docker0', '172.17.0.0/16')]);
    expect(formatCidr(chosen.range)).toBe('10.96.0.0/12');
    expect(chosen.why).toBe('the default');
  });

  it('moves on when the host uses part of it, and says why', () => {
    const chosen = automatic([route('eth1', '10.96.0.0/24')]);
    expect(formatCidr(chosen.range)).toBe('10.112.0.0/12');
    expect(chosen.why).toBe('10.96.0.0/12 is used by this host (10.96.0.0/24 on eth1)');
  });

  it('leaves 10.0.0.0/8 altogether on a host whose LAN is all of it', () => {
    const chosen = automatic([route('eth0', '10.0.0.0/8')]);
    expect(formatCidr(chosen.range)).toBe('172.16.0.0/16');
  });

  it('keeps the range the sandboxes of the last start use, while the host leaves it alone', () => {
    const inUse = [cidr('10.113.4.0/24')];
    expect(formatCidr(automatic([], inUse).range)).toBe('10.112.0.0/12');
    const taken = automatic([route('vpn0', '10.112.0.0/16')], inUse);
    expect(formatCidr(taken.range)).toBe('10.96.0.0/12');
  });

  it('uses the operator’s range as given, noting the host routes it must skip', () => {
    const chosen = chooseSandboxRange({
      configured: cidr('10.96.0.0/12'),
      foreign: [route('eth1', '10.96.0.0/24'), route('eth0', '192.0.2.0/24')],
      inUse: [],
    });
    expect(formatCidr(chosen.range)).toBe('10.96.0.0/12');
    expect(chosen.avoided.map((r) => r.iface)).toEqual(['eth1']);
  });
});

describe('a free /24 for a new session', () => {
  it('skips the engine’s networks and every host route but the engine’s own bridges', () => {
    const range = cidr('10.96.0.0/12');
    const engine = [
      network('aaaaaaaaaaaa', '10.96.0.0/24'),
      network('bbbbbbbbbbbb', '172.17.0.0/16', 'docker0'),
    ];
    const routes = [
      route('br-aaaaaaaaaaaa', '10.96.0.0/24'), // The engine's own session network: taken, not foreign.
      route('eth1', '10.96.1.0/24'), // The host's: never shadowed.
      route('br-cccccccccccc', '10.96.2.0/25'), // Another engine's bridge, half of a /24.
    ];
    expect(formatCidr(freeSubnet(range, engine, routes))).toBe('10.96.3.0/24');
    // Spread over the first free ones, for labs racing on one engine: never a taken one.
    expect(formatCidr(freeSubnet(range, engine, routes, 3, () => 0.99))).toBe('10.96.5.0/24');
    expect(formatCidr(freeSubnet(range, engine, routes, 3, () => 0))).toBe('10.96.3.0/24');
  });

  it('says what to do when the range is used up', () => {
    const range = cidr('10.96.0.0/23');
    const engine = [network('aaaaaaaaaaaa', '10.96.0.0/24')];
    try {
      freeSubnet(range, engine, [route('eth1', '10.96.1.0/24')]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(LabError);
      const e = err as LabError;
      expect(e.status).toBe(503);
      expect(e.message).toBe(
        "Every /24 of 10.96.0.0/23 is taken: 1 by sandbox networks, the rest by this host's routes (10.96.1.0/24 on eth1).",
      );
      expect(e.hint).toMatch(/DOCKSIDE_SANDBOX_RANGE/);
    }
  });
});
