// Factory options: the design choices that differ between patch-series versions. A variant
// is the upstream baseline with some of these switched, or with named guards and actions
// replaced through machine.provide(); never a copied machine.

/**
 * Where and how the IAM (interruption alert mask) is restored and how the host reacts to a
 * GIB alert, per version of "KVM: s390: make use of the GIB" (Michael Mueller, 2018-2019).
 */
export type GibStrategy = 'upstream' | 'gib-v2' | 'gib-v3' | 'gib-v4' | 'gib-v5';

/** vfio_ap PQAP(AQIC) handling and KVM attach/detach, per era. */
export type AqicDesign = 'upstream' | 'v5.3' | 'aqic-v4';

/** kvm_s390_gisa_destroy before and after f87ef5723536 (v6.6). */
export type GisaDestroy = 'v6.6' | 'v5.2';

export interface Design {
  gib: GibStrategy;
  aqic: AqicDesign;
  gisaDestroy: GisaDestroy;
}

export const UPSTREAM: Design = { gib: 'upstream', aqic: 'upstream', gisaDestroy: 'v6.6' };

/** Every value of each design switch, for a variant file's `design` (checked when the model is built). */
export const DESIGN_CHOICES: { readonly [K in keyof Design]: readonly Design[K][] } = {
  gib: ['upstream', 'gib-v2', 'gib-v3', 'gib-v4', 'gib-v5'],
  aqic: ['upstream', 'v5.3', 'aqic-v4'],
  gisaDestroy: ['v6.6', 'v5.2'],
};

/** The kernel version the upstream baseline transcribes. */
export const PINNED = 'v6.17-rc4 (mainline fork Kingxukai/linux 9b44fff655e2)';
