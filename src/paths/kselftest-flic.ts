// The FLIC as a kselftest: every step is a VM ioctl (KVM_CREATE_DEVICE, KVM_CREATE_VCPU,
// KVM_ENABLE_CAP(KVM_CAP_S390_AIS), KVM_CHECK_EXTENSION) or a KVM_{SET,GET,HAS}_DEVICE_ATTR of
// one FLIC attribute group with the user buffer the payload describes (a fault is an address in
// a PROT_NONE page). After each step the program asserts the return value and errno, what
// KVM_DEV_FLIC_GET_ALL_IRQS and KVM_DEV_FLIC_AISM_ALL copied out, and, while facility 72 is on,
// the AIS mode of every ISC read back with KVM_DEV_FLIC_AISM_ALL (which changes nothing).
// Payloads are the machine's (kvm_s390_float_interrupt.bounds.ts); the arguments built from them
// follow the transcription's driver (src/sut/flic-driver.ts).
import type { EventObject } from 'xstate';
import { CONFIGURATIONS, SUBCHANNELS, type FlicEvent, type Irq } from '../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts';
import { iscBit, nimmOf, simmOf, type Mode } from '../../machines/flic-ais/kvm_s390_float_interrupt.machine.ts';
import type { Model } from '../spec.ts';
import { cComment, tapMain, type KselftestInput, type KselftestTarget } from './kselftest.ts';
import type { PathStep } from './json.ts';

const EVENTS = [
  'KVM_CREATE_DEVICE',
  'KVM_CREATE_VCPU',
  'KVM_ENABLE_CAP',
  'KVM_CHECK_EXTENSION',
  'KVM_HAS_DEVICE_ATTR',
  'KVM_SET_DEVICE_ATTR',
  'KVM_GET_DEVICE_ATTR',
  'KVM_DEV_FLIC_APF_ENABLE',
  'KVM_DEV_FLIC_APF_DISABLE_WAIT',
  'KVM_DEV_FLIC_CLEAR_IRQS',
  'KVM_DEV_FLIC_ENQUEUE',
  'KVM_DEV_FLIC_GET_ALL_IRQS',
  'KVM_DEV_FLIC_CLEAR_IO_IRQ',
  'KVM_DEV_FLIC_ADAPTER_REGISTER',
  'KVM_DEV_FLIC_ADAPTER_MODIFY',
  'KVM_DEV_FLIC_AISM',
  'KVM_DEV_FLIC_AIRQ_INJECT',
  'KVM_DEV_FLIC_AISM_ALL_SET',
  'KVM_DEV_FLIC_AISM_ALL_GET',
] as const;
const enumName = (t: string) => `EV_${t.replace(/^KVM_DEV_FLIC_|^KVM_/, '')}`;

/** The six payload integers of a step, in the order do_step reads them. */
function payload(e: FlicEvent): { ev: string; p: (number | string)[] } {
  const b = (x: boolean | undefined) => (x ? 1 : 0);
  switch (e.type) {
    case 'KVM_CREATE_DEVICE':
      return { ev: e.type, p: [b(e.test)] };
    case 'KVM_CREATE_VCPU':
      return { ev: e.type, p: [] };
    case 'KVM_ENABLE_CAP':
      return { ev: e.type, p: [] };
    case 'KVM_CHECK_EXTENSION':
      return { ev: e.type, p: [e.cap] };
    case 'KVM_HAS_DEVICE_ATTR':
    case 'KVM_SET_DEVICE_ATTR':
    case 'KVM_GET_DEVICE_ATTR':
      return { ev: e.type, p: [e.group] };
    case 'KVM_DEV_FLIC_APF_ENABLE':
    case 'KVM_DEV_FLIC_APF_DISABLE_WAIT':
    case 'KVM_DEV_FLIC_CLEAR_IRQS':
      return { ev: e.type, p: [] };
    case 'KVM_DEV_FLIC_ENQUEUE':
      return { ev: e.type, p: [e.len === 'unaligned' ? 1 : e.len === 'too_big' ? 2 : 0, e.count ?? 0, irqKind(e), e.isc ?? 3, e.failAt ?? -1, e.err === 'EINVAL' ? 2 : e.err === 'EFAULT' ? 1 : 0] };
    case 'KVM_DEV_FLIC_GET_ALL_IRQS':
      return { ev: e.type, p: [e.len === 'zero' ? 1 : e.len === 'too_big' ? 2 : 0, e.slots ?? 0, b(e.copy === 'fault')] };
    case 'KVM_DEV_FLIC_CLEAR_IO_IRQ':
      return { ev: e.type, p: [e.schid, e.flags ?? 0, e.size ?? 4, b(e.fault)] };
    case 'KVM_DEV_FLIC_ADAPTER_REGISTER':
      return { ev: e.type, p: [e.id, e.isc, b(e.maskable), b(e.suppressible), b(e.fault), b(e.unknownFlags)] };
    case 'KVM_DEV_FLIC_ADAPTER_MODIFY':
      return { ev: e.type, p: [e.id, { MASK: 1, MAP: 2, UNMAP: 3, OTHER: 9 }[e.req], b(e.mask), b(e.fault)] };
    case 'KVM_DEV_FLIC_AISM':
      return { ev: e.type, p: [e.isc, e.mode, b(e.fault)] };
    case 'KVM_DEV_FLIC_AIRQ_INJECT':
      return { ev: e.type, p: [e.id] };
    case 'KVM_DEV_FLIC_AISM_ALL':
      return e.dir === 'set' ? { ev: 'KVM_DEV_FLIC_AISM_ALL_SET', p: [e.simm, e.nimm, b(e.fault)] } : { ev: 'KVM_DEV_FLIC_AISM_ALL_GET', p: [e.size, b(e.fault)] };
    case 'set_adapter_int':
    case '__deliver_io':
    case '__deliver_service':
    case '__deliver_machine_check':
    case '__deliver_virtio':
    case '__deliver_pfault_done':
    case 'handle_tpi':
    case 'handle_tsch':
    case 'kvm_arch_async_page_not_present':
    case 'kvm_arch_async_page_present':
      throw new Error(`${e.type} is left out of the kselftest`);
  }
}

/** The element kind of an ENQUEUE payload, as do_step reads p[2]. */
const IRQ_KINDS = ['io', 'ai', 'service', 'mchk', 'virtio', 'pfault', 'ioB', 'ioZ'] as const;
function irqKind(e: Extract<FlicEvent, { type: 'KVM_DEV_FLIC_ENQUEUE' }>): number {
  const kind = e.irq ?? 'io';
  return IRQ_KINDS.indexOf(kind === 'io' && e.schid === 'B' ? 'ioB' : kind === 'io' && e.schid === 'Z' ? 'ioZ' : kind);
}

/** An interruption as check_irqs prints what GET_ALL_IRQS copied out: ai:<isc>, io:<schid hex>:<isc>, service, mchk, virtio, pfault. */
function irqToken(irq: Irq): string {
  const [kind, sch, isc] = irq.split(':');
  return kind === 'io' ? `io:${SUBCHANNELS[sch as keyof typeof SUBCHANNELS].toString(16).padStart(8, '0')}:${isc}` : irq;
}

/** fi->simm / fi->nimm as KVM_DEV_FLIC_AISM_ALL returns them, from the modes of the bounded ISCs (the others stay ALL). */
function masks(modes: readonly Mode[], iscs: readonly number[]): { simm: number; nimm: number } {
  let simm = 0;
  let nimm = 0;
  modes.forEach((m, k) => {
    if (simmOf(m)) simm |= iscBit(iscs[k]!);
    if (nimmOf(m)) nimm |= iscBit(iscs[k]!);
  });
  return { simm, nimm };
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

function row(s: PathStep, iscs: readonly number[]): string {
  const { ev, p } = payload(s.event as FlicEvent);
  const o = s.expect;
  const f = (o.fields ?? {}) as { fac72?: boolean; ais?: Mode[] };
  // the AIS modes are readable (KVM_DEV_FLIC_AISM_ALL) once the FLIC exists and facility 72 is on
  const ais = o.state === 'flic' && f.fac72 && f.ais ? masks(f.ais, iscs) : undefined;
  const r = o.returns as { ais?: Mode[]; irqs?: Irq[] } | undefined;
  const got = r?.ais ? masks(r.ais, iscs) : undefined;
  const cols = [
    enumName(ev),
    `{ ${[...p, 0, 0, 0, 0, 0, 0].slice(0, 6).join(', ')} }`,
    String(o.rc ?? 0),
    ais ? `1, ${hex(ais.simm)}, ${hex(ais.nimm)}` : '0, 0, 0',
    got ? `1, ${hex(got.simm)}, ${hex(got.nimm)}, NULL` : r?.irqs ? `2, 0, 0, "${r.irqs.map(irqToken).join(' ')}"` : '0, 0, 0, NULL',
  ];
  return `\t{ ${cols.join(', ')} }, /* ${s.step} ${JSON.stringify(s.event).replaceAll('*/', '* /')} */`;
}

const reasonAlloc = 'a failing kzalloc/vzalloc in the kernel: userspace cannot make an allocation fail at a chosen call';

export const flicKselftest: KselftestTarget = {
  machine: 'kvm_s390_float_interrupt',
  arches: ['s390x'],
  leftOut(_model: Model, event: EventObject): string | undefined {
    const e = event as FlicEvent;
    if (e.type === 'set_adapter_int')
      return 'kernel: set_adapter_int runs when an irqfd on a KVM_IRQ_ROUTING_S390_ADAPTER route fires, in a work item; its return value and the guest summary indicator it tests are not visible to the program at a chosen step';
    if (e.type.startsWith('__deliver_') || e.type === 'handle_tpi' || e.type === 'handle_tsch')
      return 'guest: a delivery, TPI or TSCH needs a vcpu running a guest with the interruption enabled; the program runs no guest';
    if (e.type === 'kvm_arch_async_page_not_present' || e.type === 'kvm_arch_async_page_present')
      return 'kernel: an async page fault needs a guest fault on a host page that is not present, after the guest\'s PFAULT handshake; its completion runs in a work item';
    if ('alloc' in e && e.alloc === 'fail') return reasonAlloc;
    if (e.type === 'KVM_DEV_FLIC_ENQUEUE' && e.err === 'ENOMEM') return reasonAlloc;
    return undefined;
  },
  render(input: KselftestInput): string {
    const cfg = CONFIGURATIONS.find((c) => c.id === input.model.configurationId);
    if (!cfg) throw new Error(`no FLIC configuration ${input.model.configurationId}`);
    const iscs = cfg.params.iscs;
    const tables = input.paths.map((p) => `static const struct step path_${p.id}[] = {\n${p.steps.map((s) => row(s, iscs)).join('\n')}\n};`);
    const list = input.paths.map((p) => `\t{ "path_${p.id}", path_${p.id}, ${p.steps.length} },`);
    const notes = cComment([
      'How to run (on an s390x host with KVM, as root or with access to /dev/kvm):',
      '  s390x-linux-gnu-gcc -Wall -Werror -O2 -o flic_paths <this file>   (or gcc on the host itself)',
      '  ./flic_paths        TAP on stdout; exit 0 all passed, 1 a path failed, 4 (KSFT_SKIP) no /dev/kvm',
      'Only the uapi headers are used (linux/kvm.h, asm/kvm.h); the program builds for s390x only: the FLIC',
      'is an s390 device and its attribute groups and structures are in the s390 asm/kvm.h.',
      '',
      'Asserted after each step: the return value and errno; what KVM_DEV_FLIC_GET_ALL_IRQS copied out (every',
      'element, in order: the adapter interruptions the GISA IPM held, lowest ISC first, then the lists: I/O of',
      `subchannels 0x${SUBCHANNELS.A.toString(16).padStart(8, '0')}, 0x${SUBCHANNELS.B.toString(16).padStart(8, '0')} and 0x${SUBCHANNELS.Z.toString(16).padStart(8, '0')} by ISC, PFAULT_DONE, virtio, then the service signal and the machine check);`,
      'what KVM_DEV_FLIC_AISM_ALL copied out; and, while the FLIC exists and facility 72 is',
      'on, fi->simm and fi->nimm read back with KVM_DEV_FLIC_AISM_ALL (a GET that changes nothing).',
      'Not asserted, for want of a read that changes nothing: the registered adapters and their mask, the',
      'GISA IPM and the interrupt list between GETs (KVM_DEV_FLIC_GET_ALL_IRQS clears the IPM bits it',
      'reports), pfault_enabled, and whether kvm_s390_airq_suppressed fired (a tracepoint).',
      'The model assumes what it says in machines/flic-ais/README.md: the host has the GISA',
      '(css_general_characteristics.aiv) and facility 72, and no vcpu runs; the configuration `nogisa`',
      'predicts a host without the GISA (no AIV facility), where adapter interruptions queue in the lists.',
    ]);
    return `// SPDX-License-Identifier: GPL-2.0-only
${input.header}
${notes}
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#ifndef __s390x__
#error "the FLIC is an s390 device: build this test for s390x"
#endif

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

/* the subchannels whose classic I/O interruptions the model enqueues */
#define SCHID_A 0x${SUBCHANNELS.A.toString(16).padStart(8, '0')}u
#define SCHID_B 0x${SUBCHANNELS.B.toString(16).padStart(8, '0')}u
#define SCHID_Z 0x${SUBCHANNELS.Z.toString(16).padStart(8, '0')}u
#define MAX_VCPUS 8

enum event {
${EVENTS.map((e) => `\t${enumName(e)},`).join('\n')}
};

static const char *const event_names[] = {
${EVENTS.map((e) => `\t[${enumName(e)}] = "${e}",`).join('\n')}
};

struct step {
	unsigned char ev;
	int p[6];		/* the payload: see do_step */
	int rc;			/* the return value the model predicts: >= 0, or -errno */
	unsigned char ais;	/* 1: read back fi->simm/fi->nimm, they must be simm/nimm */
	unsigned char simm, nimm;
	unsigned char got;	/* 1: AISM_ALL copied out (g1, g2) = (simm, nimm); 2: GET_ALL_IRQS copied out irqs */
	unsigned char g1, g2;
	const char *irqs;	/* the elements GET_ALL_IRQS copied out, as check_irqs names them, space-separated */
};

struct path {
	const char *name;
	const struct step *steps;
	int n;
};

struct vm {
	int vm, flic, vcpus;
	int vcpu[MAX_VCPUS];
};

static int kvm_fd = -1;
static char *buf;	/* one read-write page, followed by ... */
static char *fault;	/* ... a PROT_NONE page: copy_from_user/copy_to_user there fail with EFAULT */
static long page_size;

static int ret(int r)
{
	return r < 0 ? -errno : r;
}

static int dev(struct vm *v, unsigned long req, struct kvm_device_attr *attr)
{
	if (v->flic < 0)
		return -EBADF;
	return ret(ioctl(v->flic, req, attr));
}

static uint32_t isc_to_int_word(int isc)
{
	return ((uint32_t)isc << 27) | 0x80000000u;
}

static int do_step(struct vm *v, const struct step *s)
{
	struct kvm_device_attr attr = { 0 };
	const int *p = s->p;

	memset(buf, 0, page_size);
	attr.addr = (uintptr_t)buf;
	switch (s->ev) {
	case EV_CREATE_DEVICE: {	/* p[0]: KVM_CREATE_DEVICE_TEST */
		struct kvm_create_device cd = { .type = KVM_DEV_TYPE_FLIC, .flags = p[0] ? KVM_CREATE_DEVICE_TEST : 0 };
		int r = ioctl(v->vm, KVM_CREATE_DEVICE, &cd);

		if (r == 0 && !p[0])
			v->flic = cd.fd;
		return ret(r);
	}
	case EV_CREATE_VCPU: {		/* the fd is kept; the model counts kvm->created_vcpus */
		int fd = v->vcpus < MAX_VCPUS ? ioctl(v->vm, KVM_CREATE_VCPU, v->vcpus) : -1;

		if (fd < 0)
			return v->vcpus < MAX_VCPUS ? -errno : -EMFILE;
		v->vcpu[v->vcpus++] = fd;
		return 0;
	}
	case EV_ENABLE_CAP: {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_S390_AIS };

		return ret(ioctl(v->vm, KVM_ENABLE_CAP, &cap));
	}
	case EV_CHECK_EXTENSION:	/* p[0]: the capability */
		return ret(ioctl(v->vm, KVM_CHECK_EXTENSION, p[0]));
	case EV_HAS_DEVICE_ATTR:	/* p[0]: the group */
		attr.group = p[0];
		return dev(v, KVM_HAS_DEVICE_ATTR, &attr);
	case EV_SET_DEVICE_ATTR:
		attr.group = p[0];
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	case EV_GET_DEVICE_ATTR:
		attr.group = p[0];
		return dev(v, KVM_GET_DEVICE_ATTR, &attr);
	case EV_APF_ENABLE:
		attr.group = KVM_DEV_FLIC_APF_ENABLE;
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	case EV_APF_DISABLE_WAIT:
		attr.group = KVM_DEV_FLIC_APF_DISABLE_WAIT;
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	case EV_CLEAR_IRQS:
		attr.group = KVM_DEV_FLIC_CLEAR_IRQS;
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	case EV_ENQUEUE: {	/* p: length kind (0 count, 1 unaligned, 2 too big), count, element kind (0 I/O of SCHID_A, 1 adapter, 2 service, 3 machine check, 4 virtio, 5 PFAULT_DONE, 6 I/O of SCHID_B, 7 I/O of SCHID_Z), isc, failing element, its error (1 EFAULT, 2 EINVAL) */
		const size_t sz = sizeof(struct kvm_s390_irq);
		char *base = (p[4] >= 0 && p[5] == 1) ? fault - p[4] * sz : buf;
		size_t len = p[1] * sz;
		int i;

		for (i = 0; i < p[1]; i++) {
			struct kvm_s390_irq *irq = (struct kvm_s390_irq *)(base + i * sz);
			uint32_t schid = p[2] == 6 ? SCHID_B : p[2] == 7 ? SCHID_Z : SCHID_A;

			if (i == p[4] && p[5] == 1)
				break;	/* this element and the rest lie in the PROT_NONE page */
			memset(irq, 0, sz);
			if (i == p[4] && p[5] == 2) {
				irq->type = KVM_S390_PROGRAM_INT;	/* not a floating interruption */
				continue;
			}
			switch (p[2]) {
			case 1:
				irq->type = KVM_S390_INT_IO(1, 0, 0, 0);
				irq->u.io.io_int_word = isc_to_int_word(p[3]);
				break;
			case 2:
				irq->type = KVM_S390_INT_SERVICE;
				irq->u.ext.ext_params = 0x7000;	/* an SCCB address: IRQ_PEND_EXT_SERVICE */
				break;
			case 3:
				irq->type = KVM_S390_MCHK;
				irq->u.mchk.cr14 = 1u << 28;
				irq->u.mchk.mcic = 0x40000000ull;
				break;
			case 4:
				irq->type = KVM_S390_INT_VIRTIO;
				irq->u.ext.ext_params2 = 0x1234;
				break;
			case 5:
				irq->type = KVM_S390_INT_PFAULT_DONE;
				irq->u.ext.ext_params2 = 0x1000;
				break;
			default:
				irq->type = KVM_S390_INT_IO(0, 0, 0, schid & 0xffff);
				irq->u.io.subchannel_id = schid >> 16;
				irq->u.io.subchannel_nr = schid & 0xffff;
				irq->u.io.io_int_word = isc_to_int_word(p[3]);
			}
		}
		if (p[0] == 1)
			len = sz + 1;
		if (p[0] == 2)
			len = (KVM_S390_FLIC_MAX_BUFFER / sz + 1) * sz;
		attr.group = KVM_DEV_FLIC_ENQUEUE;
		attr.attr = len;
		attr.addr = (uintptr_t)base;
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	}
	case EV_GET_ALL_IRQS: {	/* p: length kind (0 slots, 1 zero, 2 too big), slots, copy to a PROT_NONE page? */
		const size_t sz = sizeof(struct kvm_s390_irq);
		size_t len = p[1] ? p[1] * sz : sz / 2;

		if (p[0] == 1)
			len = 0;
		if (p[0] == 2)
			len = KVM_S390_FLIC_MAX_BUFFER + 1;
		attr.group = KVM_DEV_FLIC_GET_ALL_IRQS;
		attr.attr = len;
		attr.addr = (uintptr_t)(p[2] ? fault : buf);
		return dev(v, KVM_GET_DEVICE_ATTR, &attr);
	}
	case EV_CLEAR_IO_IRQ:	/* p: schid, flags, attr (size), fault? */
		memcpy(buf, &(uint32_t){ (uint32_t)p[0] }, sizeof(uint32_t));
		attr.group = KVM_DEV_FLIC_CLEAR_IO_IRQ;
		attr.flags = p[1];
		attr.attr = p[2];
		attr.addr = (uintptr_t)(p[3] ? fault : buf);
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	case EV_ADAPTER_REGISTER: {	/* p: id, isc, maskable, suppressible, fault?, a flag bit besides SUPPRESSIBLE? */
		struct kvm_s390_io_adapter a = { .id = p[0], .isc = p[1], .maskable = p[2], .flags = (p[3] ? KVM_S390_ADAPTER_SUPPRESSIBLE : 0) | (p[5] ? 0x80 : 0) };

		memcpy(buf, &a, sizeof(a));
		attr.group = KVM_DEV_FLIC_ADAPTER_REGISTER;
		attr.addr = (uintptr_t)(p[4] ? fault : buf);
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	}
	case EV_ADAPTER_MODIFY: {	/* p: id, type, mask, fault? */
		struct kvm_s390_io_adapter_req r = { .id = p[0], .type = p[1], .mask = p[2] };

		memcpy(buf, &r, sizeof(r));
		attr.group = KVM_DEV_FLIC_ADAPTER_MODIFY;
		attr.addr = (uintptr_t)(p[3] ? fault : buf);
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	}
	case EV_AISM: {		/* p: isc, mode, fault? */
		struct kvm_s390_ais_req r = { .isc = p[0], .mode = p[1] };

		memcpy(buf, &r, sizeof(r));
		attr.group = KVM_DEV_FLIC_AISM;
		attr.addr = (uintptr_t)(p[2] ? fault : buf);
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	}
	case EV_AIRQ_INJECT:	/* p[0]: the adapter id */
		attr.group = KVM_DEV_FLIC_AIRQ_INJECT;
		attr.attr = p[0];
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	case EV_AISM_ALL_SET: {	/* p: simm, nimm, fault? */
		struct kvm_s390_ais_all a = { .simm = p[0], .nimm = p[1] };

		memcpy(buf, &a, sizeof(a));
		attr.group = KVM_DEV_FLIC_AISM_ALL;
		attr.attr = sizeof(a);
		attr.addr = (uintptr_t)(p[2] ? fault : buf);
		return dev(v, KVM_SET_DEVICE_ATTR, &attr);
	}
	case EV_AISM_ALL_GET:	/* p: attr (size), fault? */
		attr.group = KVM_DEV_FLIC_AISM_ALL;
		attr.attr = p[0];
		attr.addr = (uintptr_t)(p[1] ? fault : buf);
		return dev(v, KVM_GET_DEVICE_ATTR, &attr);
	}
	return -ENOSYS;
}

/* an element GET_ALL_IRQS copied out, named as the model names it: ai:<isc>, io:<schid>:<isc>, service, mchk, virtio, pfault */
static void irq_name(const struct kvm_s390_irq *irq, char *out, size_t n)
{
	switch (irq->type) {
	case KVM_S390_INT_SERVICE:
		snprintf(out, n, "service");
		return;
	case KVM_S390_MCHK:
		snprintf(out, n, "mchk");
		return;
	case KVM_S390_INT_VIRTIO:
		snprintf(out, n, "virtio");
		return;
	case KVM_S390_INT_PFAULT_DONE:
		snprintf(out, n, "pfault");
		return;
	}
	if (irq->type <= KVM_S390_INT_IO_MAX) {
		unsigned int isc = (irq->u.io.io_int_word & 0x38000000u) >> 27;

		if (irq->type & KVM_S390_INT_IO_AI_MASK)
			snprintf(out, n, "ai:%u", isc);
		else
			snprintf(out, n, "io:%08x:%u", ((unsigned int)irq->u.io.subchannel_id << 16) | irq->u.io.subchannel_nr, isc);
		return;
	}
	snprintf(out, n, "type:%llx", (unsigned long long)irq->type);
}

/* what GET_ALL_IRQS copied out, element by element, must be the model's list */
static int check_irqs(const struct kvm_s390_irq *irq, int n, const char *want)
{
	char got[1024] = "", one[32];
	int k;

	for (k = 0; k < n; k++) {
		irq_name(&irq[k], one, sizeof(one));
		if (k)
			strncat(got, " ", sizeof(got) - strlen(got) - 1);
		strncat(got, one, sizeof(got) - strlen(got) - 1);
	}
	if (strcmp(got, want)) {
		printf("#   copied out \\"%s\\", the model says \\"%s\\"\\n", got, want);
		return -1;
	}
	return 0;
}

static int read_ais(struct vm *v, struct kvm_s390_ais_all *a)
{
	struct kvm_device_attr attr = { .group = KVM_DEV_FLIC_AISM_ALL, .attr = sizeof(*a), .addr = (uintptr_t)a };

	return dev(v, KVM_GET_DEVICE_ATTR, &attr);
}

static int check_step(struct vm *v, const struct step *s, int k)
{
	int r = do_step(v, s);
	struct kvm_s390_ais_all a;

	if (r != s->rc) {
		printf("# step %d %s: returned %d (%s), the model says %d\\n", k, event_names[s->ev], r, r < 0 ? strerror(-r) : "ok", s->rc);
		return -1;
	}
	if (s->got == 1) {
		memcpy(&a, buf, sizeof(a));
		if (a.simm != s->g1 || a.nimm != s->g2) {
			printf("# step %d %s: copied out simm 0x%02x nimm 0x%02x, the model says 0x%02x 0x%02x\\n", k, event_names[s->ev], a.simm, a.nimm, s->g1, s->g2);
			return -1;
		}
	}
	if (s->got == 2 && check_irqs((const struct kvm_s390_irq *)buf, r, s->irqs)) {
		printf("# step %d %s: the interruptions copied out are not the model's\\n", k, event_names[s->ev]);
		return -1;
	}
	if (s->ais) {
		r = read_ais(v, &a);
		if (r || a.simm != s->simm || a.nimm != s->nimm) {
			printf("# after step %d %s: AISM_ALL read %d, simm 0x%02x nimm 0x%02x; the model says simm 0x%02x nimm 0x%02x\\n",
			       k, event_names[s->ev], r, a.simm, a.nimm, s->simm, s->nimm);
			return -1;
		}
	}
	return 0;
}

${tables.join('\n\n')}

static const struct path paths[] = {
${list.join('\n')}
};

static int run_path(const struct path *path)
{
	struct vm v = { .flic = -1 };
	int i, failed = 0;

	v.vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (v.vm < 0) {
		printf("# KVM_CREATE_VM: %s\\n", strerror(errno));
		return KSFT_FAIL;
	}
	for (i = 0; i < path->n && !failed; i++)
		failed = check_step(&v, &path->steps[i], i + 1) != 0;
	for (i = 0; i < v.vcpus; i++)
		close(v.vcpu[i]);
	if (v.flic >= 0)
		close(v.flic);
	close(v.vm);
	return failed ? KSFT_FAIL : KSFT_PASS;
}
${tapMain(input.paths.length, `page_size = sysconf(_SC_PAGESIZE);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		printf("1..0 # SKIP /dev/kvm: %s\\n", strerror(errno));
		return KSFT_SKIP;
	}
	buf = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || mprotect(buf + page_size, page_size, PROT_NONE)) {
		printf("1..0 # SKIP mmap: %s\\n", strerror(errno));
		return KSFT_SKIP;
	}
	fault = buf + page_size;`)}`;
  },
};
