// The dirty log of one memslot as a kselftest: KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2),
// KVM_SET_USER_MEMORY_REGION with KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
// guest stores from a vcpu (a tiny guest: an s390 `asi` + `diag 0x501`, or an x86 real-mode
// `inc byte [0]` + `hlt`), kernel writes on s390 through KVM_S390_MEM_OP, and a migration tool
// that keeps a bitmap of the pages reported dirty and a copy of each page. After each step the
// program asserts the ioctl's return value and errno and, per tracked page, what userspace can
// see: whether its migration bitmap has the page (`reported`) and whether the guest page differs
// from its copy (`stale`).
import type { EventObject } from 'xstate';
import type { Exploration } from '../check/explore.ts';
import { BEYOND, NPAGES, PAGES } from '../../machines/dirty-log/kvm_memory_slot.bounds.ts';
import type { DirtyLogEvent } from '../../machines/dirty-log/kvm_memory_slot.machine.ts';
import { VARIANTS } from '../../machines/dirty-log/kvm_memory_slot.variants.ts';
import type { Model } from '../spec.ts';
import { cComment, tapMain, type KselftestInput, type KselftestTarget } from './kselftest.ts';
import type { PathStep } from './json.ts';

const EVENTS = ['KVM_ENABLE_CAP', 'KVM_SET_USER_MEMORY_REGION', 'KVM_GET_DIRTY_LOG', 'KVM_CLEAR_DIRTY_LOG', 'GUEST_STORE', 'kvm_write_guest_page', 'kvm_s390_memset_dirty_bitmap', 'ram_save_target_page'] as const;
const enumName = (t: string) => `EV_${t.replace(/^kvm_/i, '').toUpperCase()}`;

const COPIED = 'get_dirty_log_copied';
const s390Variant = (model: Model) => VARIANTS.find((v) => v.id === model.variantId)?.s390 ?? false;

function row(s: PathStep): string {
  const e = s.event as DirtyLogEvent;
  // c: GET 1 a faulting bitmap, 2 a refused slot id; CLEAR 1 the bits past the slot set too, 2 a faulting bitmap, 3 a refused slot id
  const c = e.type === 'KVM_GET_DIRTY_LOG' ? (e.fault ? 1 : e.slot ? 2 : 0) : e.type === 'KVM_CLEAR_DIRTY_LOG' ? (e.pastEnd ? 1 : e.fault ? 2 : e.slot ? 3 : 0) : 0;
  const p = [e.args ?? e.flags ?? e.first_page ?? (e.gfn !== undefined ? PAGES.indexOf(e.gfn as never) : 0), e.num_pages ?? 0, c];
  const o = s.expect;
  const pages = ((o.fields as { pages?: { reported: boolean; stale: boolean }[] } | undefined)?.pages ?? []) as { reported: boolean; stale: boolean }[];
  const mask = (f: (p: { reported: boolean; stale: boolean }) => boolean) => pages.reduce((m, pg, i) => m | (f(pg) ? 1 << i : 0), 0);
  // what a GET that returned 0 copied out: bit i for tracked page i, bit 7 for the first bit past the slot
  const got = (o.returns as { dirty?: number[] } | undefined)?.dirty;
  const gotMask = got ? got.reduce((m, g) => m | (g === BEYOND ? 0x80 : 1 << PAGES.indexOf(g as never)), 0) : 0;
  const cols = [
    enumName(e.type),
    p.join(', '),
    o.rc === undefined ? '0, 0' : `1, ${o.rc}`,
    `0x${mask((pg) => pg.reported).toString(16)}`,
    `0x${mask((pg) => pg.stale).toString(16)}`,
    got ? `1, 0x${gotMask.toString(16)}` : '0, 0',
  ];
  return `\t{ ${cols.join(', ')} }, /* ${s.step} ${JSON.stringify(s.event)} -> ${String(s.state)} */`;
}

export const dirtyLogKselftest: KselftestTarget = {
  machine: 'kvm_memory_slot',
  arches: ['s390x', 'x86_64'],
  leftOut(model: Model, event: EventObject, from: number, x: Exploration): string | undefined {
    if (String(x.states[from]!.value) === COPIED && event.type !== 'kvm_s390_memset_dirty_bitmap')
      return 'between the copy_to_user and the memset of the s390 KVM_GET_DIRTY_LOG: a store at that instant needs a second thread timed inside the ioctl';
    if (event.type === 'kvm_write_guest_page' && !s390Variant(model))
      return 'outside s390 no ioctl makes the kernel write a chosen guest page through __kvm_write_guest_page (s390: KVM_S390_MEM_OP)';
    return undefined;
  },
  complete(edges: number[], x: Exploration, model: Model): number[] {
    // the s390 GET returns at its memset: a path that ends inside the ioctl gets its end
    const last = x.edges[3 * edges[edges.length - 1]! + 2]!;
    if (String(x.states[last]!.value) !== COPIED) return edges;
    for (let e = 0; e < x.edges.length / 3; e++) {
      if (x.edges[3 * e] === last && model.events[x.edges[3 * e + 1]!]!.type === 'kvm_s390_memset_dirty_bitmap') return [...edges, e];
    }
    return edges;
  },
  render(input: KselftestInput): string {
    const s390 = s390Variant(input.model);
    const tables = input.paths.map((p) => `static const struct step path_${p.id}[] = {\n${p.steps.map(row).join('\n')}\n};`);
    const list = input.paths.map((p) => `\t{ "path_${p.id}", path_${p.id}, ${p.steps.length} },`);
    const notes = cComment([
      'How to run, as root or with access to /dev/kvm:',
      `  ${s390 ? 'on an s390x host' : 'on an x86-64 host (the generic dirty log; arm64 and others have it too but no guest here)'}:`,
      `  ${s390 ? 's390x-linux-gnu-gcc' : 'gcc'} -Wall -Werror -O2 -o dirty_log_paths <this file>; ./dirty_log_paths`,
      '  TAP on stdout; exit 0 all passed, 1 a path failed, 4 (KSFT_SKIP) no /dev/kvm or the other architecture.',
      'Only the uapi headers are used (linux/kvm.h, asm/kvm.h). The program builds for s390x and x86-64; the',
      'architecture-specific parts are the guest (an s390 `asi` and `diag 0x501`, an x86 real-mode `inc byte',
      '[0]` and `hlt`), the slot layout and, on s390, KVM_S390_MEM_OP for the kernel writes.',
      `s390 memslots are whole segments (1 MiB, kvm_arch_prepare_memory_region): there the slot has 256 pages, not`,
      `the model's ${NPAGES}; the tracked pages ${PAGES.join(' and ')} behave the same, and s390 has no KVM_CLEAR_DIRTY_LOG at all.`,
      '',
      `Tracked pages (offsets in the slot): ${PAGES.join(', ')}; mask bit i is page i of that list. Asserted after each step:`,
      'the return value and errno of an ioctl, and per tracked page whether the migration bitmap has it',
      '(reported: every KVM_GET_DIRTY_LOG ORs into it, ram_save_target_page clears it) and whether the guest',
      'page differs from the copy (stale). Not asserted (not visible from userspace without changing it): the',
      'bit in memslot->dirty_bitmap, the write protection and the s390 PGSTE_UC_BIT.',
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

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

/* the variant these predictions are for runs on ${s390 ? 's390' : 'the generic dirty log (not s390)'} */
#define MODEL_S390 ${s390 ? 1 : 0}

#define PAGE 4096
#define NTRACKED ${PAGES.length}
static const int tracked[NTRACKED] = { ${PAGES.join(', ')} };
/* a slot id at or past KVM_USER_MEM_SLOTS on every architecture (as_id 0): -EINVAL before any memslot lookup (a free id below it is -ENOENT) */
#define BAD_SLOT 0xffff

#if defined(__s390x__)
#define SLOT_PAGES 256		/* a segment: s390 memslots are 1 MiB aligned and sized */
#define DATA_GPA 0x100000ul
#define CODE_GPA 0x0ul		/* lowcore and the guest code */
#define CODE_SIZE 0x100000ul
#define CODE_OFFSET 0x10000ul
#define SLOT_ALIGN 0x100000ul
/* asi 0(%r1),1; diag %r0,%r0,0x501 (an instruction intercept KVM leaves to userspace) */
static const unsigned char guest_code[] = { 0xeb, 0x01, 0x10, 0x00, 0x00, 0x6a, 0x83, 0x00, 0x05, 0x01 };
#elif defined(__x86_64__)
#define SLOT_PAGES ${NPAGES}
#define DATA_GPA 0x0ul
#define CODE_GPA 0x70000ul
#define CODE_SIZE 0x1000ul
#define CODE_OFFSET 0x0ul
#define SLOT_ALIGN 0x1000ul
/* real mode: inc byte [ds:0]; hlt */
static const unsigned char guest_code[] = { 0xfe, 0x06, 0x00, 0x00, 0xf4 };
#else
#error "the guest store is written for s390x and x86-64"
#endif

enum event {
${EVENTS.map((e) => `\t${enumName(e)},`).join('\n')}
};

static const char *const event_names[] = {
${EVENTS.map((e) => `\t[${enumName(e)}] = "${e}",`).join('\n')}
};

struct step {
	unsigned char ev;
	int a, b;		/* KVM_ENABLE_CAP args[0] | flags | first_page, num_pages | index into tracked[] */
	int c;			/* GET: 1 a faulting bitmap, 2 a refused slot id; CLEAR: 1 the bits past the slot set, 2 a faulting bitmap, 3 a refused slot id */
	unsigned char has_rc;	/* the step is (or ends) an ioctl: its return value must be rc */
	int rc;			/* 0 or -errno */
	unsigned char reported;	/* tracked pages the migration bitmap must have after the step */
	unsigned char stale;	/* tracked pages whose guest data must differ from the copy */
	unsigned char has_got;	/* a GET returned 0: the bitmap it copied out must have got */
	unsigned char got;	/* bit i: tracked page i; bit 7: the first bit past the slot */
};

struct path {
	const char *name;
	const struct step *steps;
	int n;
};

struct vm {
	int vm, vcpu;
	struct kvm_run *run;
	unsigned char *data, *code;
	void *maps[2];			/* what map_aligned mapped, to unmap after the path */
	size_t map_len[2];
	int pending_rc;			/* the s390 GET returns at its memset step */
	unsigned char migration[NTRACKED];	/* userspace's migration bitmap, tracked pages */
	unsigned char copy[NTRACKED][PAGE];	/* userspace's copy of each tracked page */
};

static int kvm_fd = -1;
static long run_size;
static void *fault_page;	/* PROT_NONE: copy_to_user / copy_from_user there fail with EFAULT */
static uint64_t last_got[8];	/* the bitmap the last KVM_GET_DIRTY_LOG copied out */

static int ret(int r)
{
	return r < 0 ? -errno : r;
}

static void *map_aligned(struct vm *v, int k, size_t size, size_t align)
{
	char *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	v->maps[k] = p;
	v->map_len[k] = size + align;
	return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

static void unmap_all(struct vm *v)
{
	int k;

	for (k = 0; k < 2; k++)
		if (v->maps[k])
			munmap(v->maps[k], v->map_len[k]);
}

static int set_slot(struct vm *v, int slot, unsigned long gpa, void *mem, size_t size, unsigned int flags)
{
	struct kvm_userspace_memory_region r = { .slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uintptr_t)mem };

	return ret(ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &r));
}

static int test_bit(const unsigned char *bm, int nr)
{
	return (bm[nr / 8] >> (nr % 8)) & 1;	/* the dirty log is a little-endian bitmap */
}

/* one guest store to the first bytes of slot page gfn, through the vcpu */
static int guest_store(struct vm *v, int gfn)
{
	unsigned long gpa = DATA_GPA + (unsigned long)gfn * PAGE;
#if defined(__s390x__)
	struct kvm_regs regs;

	if (ioctl(v->vcpu, KVM_GET_REGS, &regs))
		return -errno;
	regs.gprs[1] = gpa;
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs))
		return -errno;
	v->run->psw_mask = 0x0000000180000000ul;	/* 64-bit addressing, DAT off: the address is absolute */
	v->run->psw_addr = CODE_GPA + CODE_OFFSET;
	if (ioctl(v->vcpu, KVM_RUN, 0))
		return -errno;
	if (v->run->exit_reason != KVM_EXIT_S390_SIEIC || v->run->s390_sieic.icptcode != 4 || (v->run->s390_sieic.ipa & 0xff00) != 0x8300) {
		printf("#   the guest stopped with exit reason %u, not at its diag 0x501\\n", v->run->exit_reason);
		return -EIO;
	}
#else
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0, .rflags = 2 };

	if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs.cs.base = CODE_GPA;
	sregs.cs.selector = CODE_GPA >> 4;
	sregs.ds.base = gpa;
	sregs.ds.selector = gpa >> 4;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) || ioctl(v->vcpu, KVM_SET_REGS, &regs))
		return -errno;
	if (ioctl(v->vcpu, KVM_RUN, 0))
		return -errno;
	if (v->run->exit_reason != KVM_EXIT_HLT) {
		printf("#   the guest stopped with exit reason %u, not at its hlt\\n", v->run->exit_reason);
		return -EIO;
	}
#endif
	return 0;
}

/* the kernel writes the page for userspace: s390 KVM_S390_MEM_OP, access_guest_page_with_key -> mark_page_dirty_in_slot */
static int kernel_write(struct vm *v, int gfn)
{
#if defined(__s390x__)
	uint32_t word = v->data[(size_t)gfn * PAGE + 8] + 1u;
	struct kvm_s390_mem_op op = {
		.gaddr = DATA_GPA + (unsigned long)gfn * PAGE + 8,
		.size = sizeof(word),
		.op = KVM_S390_MEMOP_LOGICAL_WRITE,
		.buf = (uintptr_t)&word,
	};

	return ret(ioctl(v->vcpu, KVM_S390_MEM_OP, &op));
#else
	(void)v;
	(void)gfn;
	return -ENOTTY;
#endif
}

static int do_step(struct vm *v, const struct step *s)
{
	uint64_t bitmap[8] = { 0 };

	switch (s->ev) {
	case EV_ENABLE_CAP: {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = { (unsigned int)s->a } };

		return ret(ioctl(v->vm, KVM_ENABLE_CAP, &cap));
	}
	case EV_SET_USER_MEMORY_REGION:
		return set_slot(v, 0, DATA_GPA, v->data, SLOT_PAGES * PAGE, s->a);
	case EV_GET_DIRTY_LOG: {
		struct kvm_dirty_log log = { .slot = s->c == 2 ? BAD_SLOT : 0, .dirty_bitmap = s->c == 1 ? fault_page : bitmap };
		int i, r = ret(ioctl(v->vm, KVM_GET_DIRTY_LOG, &log));

		memcpy(last_got, bitmap, sizeof(last_got));
		if (r == 0)
			for (i = 0; i < NTRACKED; i++)
				v->migration[i] |= test_bit((unsigned char *)bitmap, tracked[i]);
		v->pending_rc = r;
		return r;
	}
	case EV_S390_MEMSET_DIRTY_BITMAP:	/* the second half of the GET above: nothing to do */
		return v->pending_rc;
	case EV_CLEAR_DIRTY_LOG: {	/* userspace clears what its migration bitmap has, in the range */
		struct kvm_clear_dirty_log log = { .slot = s->c == 3 ? BAD_SLOT : 0, .first_page = s->a, .num_pages = s->b, .dirty_bitmap = bitmap };
		int i;

		for (i = 0; i < NTRACKED; i++)
			if (tracked[i] >= s->a && tracked[i] < s->a + s->b && v->migration[i])
				((unsigned char *)bitmap)[(tracked[i] - s->a) / 8] |= 1 << ((tracked[i] - s->a) % 8);
		if (s->c == 1)	/* the rest of the last word, past the end of the slot */
			for (i = s->b; i < 64 * ((s->b + 63) / 64); i++)
				((unsigned char *)bitmap)[i / 8] |= 1 << (i % 8);
		if (s->c == 2)
			log.dirty_bitmap = fault_page;
		return ret(ioctl(v->vm, KVM_CLEAR_DIRTY_LOG, &log));
	}
	case EV_GUEST_STORE:
		return guest_store(v, tracked[s->a]);
	case EV_WRITE_GUEST_PAGE:
		return kernel_write(v, tracked[s->a]);
	case EV_RAM_SAVE_TARGET_PAGE:	/* userspace sends the page: copy it, clear its bit */
		memcpy(v->copy[s->a], v->data + (size_t)tracked[s->a] * PAGE, PAGE);
		v->migration[s->a] = 0;
		return 0;
	}
	return -ENOSYS;
}

static int check_step(struct vm *v, const struct step *s, int k)
{
	int i, r = do_step(v, s);

	if (s->has_rc && r != s->rc) {
		printf("# step %d %s: returned %d (%s), the model says %d\\n", k, event_names[s->ev], r, r < 0 ? strerror(-r) : "ok", s->rc);
		return -1;
	}
	if (!s->has_rc && r < 0 && s->ev != EV_GET_DIRTY_LOG) {
		printf("# step %d %s: failed: %s\\n", k, event_names[s->ev], strerror(-r));
		return -1;
	}
	if (s->has_got) {
		unsigned char got = test_bit((unsigned char *)last_got, SLOT_PAGES) << 7;

		for (i = 0; i < NTRACKED; i++)
			got |= test_bit((unsigned char *)last_got, tracked[i]) << i;
		if (got != s->got) {
			printf("# step %d %s: copied out tracked bits 0x%02x, the model says 0x%02x\\n", k, event_names[s->ev], got, s->got);
			return -1;
		}
	}
	for (i = 0; i < NTRACKED; i++) {
		int reported = v->migration[i];
		int stale = memcmp(v->copy[i], v->data + (size_t)tracked[i] * PAGE, PAGE) != 0;

		if (reported != ((s->reported >> i) & 1) || stale != ((s->stale >> i) & 1)) {
			printf("# after step %d %s: page %d reported %d stale %d, the model says %d %d\\n", k, event_names[s->ev], tracked[i],
			       reported, stale, (s->reported >> i) & 1, (s->stale >> i) & 1);
			return -1;
		}
	}
	return 0;
}

${tables.join('\n\n')}

static const struct path paths[] = {
${list.join('\n')}
};

static struct vm vm_state;

static int run_path(const struct path *path)
{
	struct vm *v = &vm_state;
	int i, failed = 0;

	memset(v, 0, sizeof(*v));
	v->vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm < 0) {
		printf("# KVM_CREATE_VM: %s\\n", strerror(errno));
		return KSFT_FAIL;
	}
	v->data = map_aligned(v, 0, SLOT_PAGES * PAGE, SLOT_ALIGN);
	v->code = map_aligned(v, 1, CODE_SIZE, SLOT_ALIGN);
	if (!v->data || !v->code || set_slot(v, 0, DATA_GPA, v->data, SLOT_PAGES * PAGE, 0) || set_slot(v, 1, CODE_GPA, v->code, CODE_SIZE, 0)) {
		printf("# memslots: %s\\n", strerror(errno));
		close(v->vm);
		unmap_all(v);
		return KSFT_FAIL;
	}
	memcpy(v->code + CODE_OFFSET, guest_code, sizeof(guest_code));
	/* the guest ran before logging: every page written; userspace has copied none and reports all */
	memset(v->data, 1, SLOT_PAGES * PAGE);
	memset(v->migration, 1, sizeof(v->migration));
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	v->run = v->vcpu < 0 ? MAP_FAILED : mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED) {
		printf("# vcpu: %s\\n", strerror(errno));
		close(v->vm);
		unmap_all(v);
		return KSFT_FAIL;
	}
	for (i = 0; i < path->n && !failed; i++)
		failed = check_step(v, &path->steps[i], i + 1) != 0;
	munmap(v->run, run_size);
	close(v->vcpu);
	close(v->vm);
	unmap_all(v);
	return failed ? KSFT_FAIL : KSFT_PASS;
}
${tapMain(
  input.paths.length,
  `#if defined(__s390x__)
	if (!MODEL_S390) {
#else
	if (MODEL_S390) {
#endif
		printf("1..0 # SKIP these paths predict the %s dirty log\\n", MODEL_S390 ? "s390" : "generic (non-s390)");
		return KSFT_SKIP;
	}
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		printf("1..0 # SKIP /dev/kvm: %s\\n", strerror(errno));
		return KSFT_SKIP;
	}
	fault_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fault_page == MAP_FAILED) {
		printf("1..0 # SKIP mmap: %s\\n", strerror(errno));
		return KSFT_SKIP;
	}
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0) {
		printf("1..0 # SKIP KVM_GET_VCPU_MMAP_SIZE: %s\\n", strerror(errno));
		return KSFT_SKIP;
	}`,
)}`;
  },
};
