/**
 * containerlab's node kinds, by what netlab can do with them: `linux` nodes
 * run (their image decides netlab's kind, src/frontends/images.ts), `bridge`
 * and `ovs-bridge` are bridges on the host, `host` is the host itself,
 * `ext-container` is a container containerlab does not manage, and every
 * other kind is a vendor network OS or VM, which netlab cannot run.
 * containerlab's kind list: docs/manual/kinds/ of srl-labs/containerlab.
 */

/** Kinds netlab maps to something of its own. */
export const CLAB_OWN_KINDS = ['linux', 'bridge', 'ovs-bridge', 'host', 'ext-container'] as const;

/** What a vendor kind is and what running it would take, for the refusal. */
interface VendorInfo { what: string; needs: string }

const VENDORS: [RegExp, VendorInfo][] = [
  [/^(nokia_srlinux|srl)$/, { what: 'Nokia SR Linux', needs: 'the ghcr.io/nokia/srlinux image run by a container engine (containerlab with Docker)' }],
  [/^(nokia_sros|vr-sros|vr-nokia_sros|nokia_srsim)$/, { what: 'Nokia SR OS, a virtual machine', needs: 'Nokia\'s SR OS image and licence, and KVM' }],
  [/^(arista_ceos|ceos)$/, { what: 'Arista cEOS', needs: 'Arista\'s cEOS image (downloaded from arista.com with an account) run by a container engine' }],
  [/^(arista_veos|vr-veos)$/, { what: 'Arista vEOS, a virtual machine', needs: 'Arista\'s vEOS image and KVM' }],
  [/^(cumulus_cvx|cvx)$/, { what: 'NVIDIA Cumulus VX', needs: 'the Cumulus VX image and its own init system (containerlab runs it with ignite or Docker)' }],
  [/^(juniper_crpd|crpd)$/, { what: 'Juniper cRPD', needs: 'Juniper\'s cRPD image and licence' }],
  [/^(juniper_|vr-vmx|vr-vqfx|vr-vsrx)/, { what: 'a Juniper virtual router', needs: 'Juniper\'s image (and licence) and KVM' }],
  [/^(cisco_|xrd|vr-xrv|vr-csr|vr-n9kv)/, { what: 'a Cisco network OS', needs: 'Cisco\'s image (and licence), most of them in a VM under KVM' }],
  [/^(sonic-vs|sonic-vm|dell_sonic)$/, { what: 'SONiC', needs: 'a SONiC image and its own container set' }],
  [/^vr-|_vm$|^generic_vm$/, { what: 'a virtual machine', needs: 'a VM image and KVM (containerlab\'s vrnetlab)' }],
];

/** A vendor kind's description, or a generic one. Pure. */
export function vendorInfo(kind: string): VendorInfo {
  for (const [re, info] of VENDORS) if (re.test(kind)) return info;
  return { what: 'a network OS or virtual machine kind of containerlab', needs: 'that system\'s image run by containerlab (a container engine or KVM)' };
}

/** Whether `kind` is one netlab maps (linux, bridge, ovs-bridge, host, ext-container). */
export function isOwnKind(kind: string): boolean {
  return (CLAB_OWN_KINDS as readonly string[]).includes(kind);
}
