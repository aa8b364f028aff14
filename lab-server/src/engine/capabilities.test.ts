import { describe, expect, it } from 'vitest';
import { capabilitiesHostCannotGrant, decodeCapabilityMask } from './capabilities.ts';

describe('capability masks', () => {
  it('decodes the bounding set of a host that lacks CAP_SYS_RESOURCE', () => {
    const caps = decodeCapabilityMask('000001fffeffffff');
    expect(caps).toContain('CAP_SYS_ADMIN');
    expect(caps).not.toContain('CAP_SYS_RESOURCE');
    expect(caps).toHaveLength(40);
  });

  it('names what a privileged container would ask for and the host cannot grant', () => {
    const status = 'Name:\tnode\nCapBnd:\t000001fffeffffff\n';
    expect(capabilitiesHostCannotGrant(status)).toEqual(['CAP_SYS_RESOURCE']);
  });

  it('finds nothing missing on a host with the full set', () => {
    expect(capabilitiesHostCannotGrant('CapBnd:\t000001ffffffffff\n')).toEqual([]);
  });
});
