// Issue 12 (apassign): the step postconditions of the assign stores as steps (vfio_ap_hotplug.threads.ts, v6.17-rc4,
// Kingxukai/linux 9b44fff655e2), checked through vfio_ap_ops.stepghost.ts' checkedApSteps (FAULT.AP_THREAD_STEP_POST,
// ApThreadStepPostcondition). Written from drivers/s390/crypto/vfio_ap_ops.c assign_adapter_store / assign_domain_store,
// vfio_ap_mdev_validate_masks, vfio_ap_mdev_link_queue, vfio_ap_mdev_filter_matrix, _queue_passable and
// reset_queues_for_apids, not from the step bodies. Harness: not mutated (src/mutate/scope.ts).
import { ISC_INVALID, type QueueContext } from '../context.ts';
import { cloneDeep } from '../kthread.ts';
import type { ApStepPosts, ApStepSeen } from './vfio_ap_ops.stepghost.ts';

type Shared = ApStepSeen['b'];

/** The step of an assign store under its three locks (vfio_ap_hotplug.threads.ts). */
export const STORE_AT = 'set_bit_inv; vfio_ap_mdev_validate_masks; vfio_ap_mdev_filter_matrix';

const MDEVS_LOCK = 'matrix_dev->mdevs_lock';
const GUESTS_LOCK = 'matrix_dev->guests_lock';

function holds(s: ApStepSeen, key: string): boolean {
  return s.locks[key] === s.t.me;
}

/** Everything shared as before, but what `allow` overwrites on both sides. */
function sameBut(s: ApStepSeen, allow: (x: Shared) => void = () => {}): boolean {
  const [b, a] = [cloneDeep(s.b), cloneDeep(s.a)];
  allow(b);
  allow(a);
  return JSON.stringify(b) === JSON.stringify(a);
}

/** _queue_passable: in the qtable, q->reset_status.response_code NORMAL, DECONFIGURED or CHECKSTOPPED. */
const passable = (x: QueueContext, linked: boolean) =>
  x.apid && x.apqi && linked && x.freed !== true && (x.resetStatus === undefined || x.resetStatus === 'NORMAL' || x.resetStatus === 'DECONFIGURED');

/** What the step of an assign store under get_update_locks_for_mdev must do (queue ix.q; the domain store's APQI is the sibling's). */
export function hotplugPosts(what: 'adapter' | 'domain'): ApStepPosts {
  return {
    // "set_bit_inv(...); ret = vfio_ap_mdev_validate_masks(matrix_mdev); if (ret) { clear_bit_inv(...); goto done; }", then
    // link (adapter: q, bound to vfio_ap, joins the qtable), filter (the APID in shadow_apcb only if every APQN of it is
    // passable), update the guest's APCB, and reset the queues of an APID that was in the APCB and is filtered out
    [STORE_AT]: (s) => {
      const q = s.t.ix.q ?? 0;
      if (!holds(s, GUESTS_LOCK) || !holds(s, MDEVS_LOCK)) return false;
      if (s.t.answer?.startsWith('0') !== true) return sameBut(s);
      const sibling = s.b.queues[q]!.siblingUnbound === true || (what === 'domain' && s.t.answer === '0 unbound');
      const b = { ...s.b.queues[q]!, apid: s.b.queues[q]!.apid || what === 'adapter', siblingUnbound: sibling };
      const a = s.a.queues[q]!;
      if (a.apid !== b.apid || (a.siblingUnbound === true) !== sibling) return false;
      const linked = b.linked !== false || (what === 'adapter' && b.apid && b.apqi && b.freed !== true);
      const inApcb = passable(b, linked) && b.siblingUnbound !== true;
      if ((a.linked !== false) !== linked || (a.inApcb === true) !== inApcb) return false;
      const lost = b.inApcb === true && !inApcb;
      const fields = (x: Shared) => {
        x.queues[q]!.apid = b.apid;
        x.queues[q]!.siblingUnbound = b.siblingUnbound;
        x.queues[q]!.linked = linked;
        x.queues[q]!.inApcb = inApcb;
      };
      if (!lost) return sameBut(s, fields);
      // reset_queues_for_apids: ZAPQ and flush_work: the AP off, the AQIC resources freed (GISC unregistered, NIB unpinned)
      const reset = !a.irq && a.isc === ISC_INVALID && !a.nib && a.pins === b.pins - (b.nib ? 1 : 0);
      return reset && sameBut(s, (x) => {
        fields(x);
        Object.assign(x.queues[q]!, { irq: false, isc: ISC_INVALID, nib: false, pins: 0, hwIsc: ISC_INVALID, hwGisa: -1 });
        // kvm_s390_gisc_unregister through matrix_mdev->kvm: the GISA's ref_count and alert mask (the gisa area's postconditions)
        (x as { vms: unknown; gib: unknown }).vms = null;
        (x as { vms: unknown; gib: unknown }).gib = null;
      });
    },
  };
}
