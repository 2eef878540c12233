// Memory lifetime tracker for the core SUT: a tiny page allocator, a pin counter per IOVA
// (vfio_pin_pages / vfio_unpin_pages) and a KASAN-like fault log.
// Transcribes: nothing of the kernel; it stands in for the page allocator, vfio's pin
// accounting, KASAN and the WARNs the kernel prints. Ignores: object sizes, slab caches,
// RCU grace periods, the IOMMU. Faults are recorded by name against the VM or the AP queue
// they concern and never stop the transcription (KASAN reports and the code goes on).

export type FaultName =
  | 'GISA_WRITE_AFTER_FREE'
  | 'GISC_CALL_AFTER_FREE'
  | 'UNPIN_NOT_PINNED'
  | 'NIB_WRITE_UNPINNED'
  | 'UNPIN_BEFORE_UNREGISTER'
  | 'DESTROY_WITH_ALERT_MASK'
  | 'GISC_UNREGISTER_UNBALANCED'
  /** handle_pqap answered the guest 0 but the AP's interruptions are not as it asked */
  | 'GUEST_TOLD_SUCCESS'
  /** VFIO_DEVICE_RESET returned 0 while a queue of the mdev was not reset (AP interruptions, a saved ISC or NIB, a pin, a queued reset work) */
  | 'RESET_REPORTED_UNDONE';

/** The owner a fault is reported against. */
export type FaultOwner = { vm: number } | { q: number };

/** Shadow record of one pinned NIB page: which queue pinned it and the GISC registered alongside. */
interface PinShadow {
  q: number;
  count: number;
  /** the guest ISC registered together with this NIB (vfio_ap_irq_enable), while not unregistered */
  gisc: { vm: number; isc: number } | null;
}

export class Lifetime {
  private readonly freedPages = new Set<number>();
  private readonly pins = new Map<number, PinShadow>();
  readonly vmFaults: Set<FaultName>[];
  readonly queueFaults: Set<FaultName>[];

  constructor(vms: number, queues: number) {
    this.vmFaults = Array.from({ length: vms }, () => new Set<FaultName>());
    this.queueFaults = Array.from({ length: queues }, () => new Set<FaultName>());
  }

  report(owner: FaultOwner, name: FaultName): void {
    const set = 'vm' in owner ? this.vmFaults[owner.vm] : this.queueFaults[owner.q];
    set?.add(name);
  }

  /** free_page(): the page stays readable by the tracker, any later write is a use after free. */
  freePage(addr: number): void {
    this.freedPages.add(addr);
  }

  isFreed(addr: number): boolean {
    return this.freedPages.has(addr);
  }

  /** vfio_pin_pages() of one page for queue q. */
  pin(q: number, iova: number): void {
    const s = this.pins.get(iova);
    if (s) s.count++;
    else this.pins.set(iova, { q, count: 1, gisc: null });
  }

  /** The GISC registered for the NIB at iova (the tracker's pairing of pin and registration). */
  bindGisc(iova: number, vm: number, isc: number): void {
    const s = this.pins.get(iova);
    if (s) s.gisc = { vm, isc };
  }

  /** The GISC paired with the NIB at iova has been unregistered. */
  unbindGisc(iova: number): void {
    const s = this.pins.get(iova);
    if (s) s.gisc = null;
  }

  /** vfio_unpin_pages() of one page by queue q. */
  unpin(q: number, iova: number): void {
    const s = this.pins.get(iova);
    if (!s || s.count === 0) {
      this.report({ q }, 'UNPIN_NOT_PINNED');
      return;
    }
    if (s.gisc) this.report({ q }, 'UNPIN_BEFORE_UNREGISTER');
    s.count--;
    if (s.count === 0) this.pins.delete(iova);
  }

  isPinned(iova: number): boolean {
    return (this.pins.get(iova)?.count ?? 0) > 0;
  }

  /** NIB pages pinned by queue q and not yet unpinned (saved or leaked). */
  pinsOf(q: number): number {
    let n = 0;
    for (const s of this.pins.values()) if (s.q === q) n += s.count;
    return n;
  }
}
