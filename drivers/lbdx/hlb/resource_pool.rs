// SPDX-License-Identifier: GPL-2.0

//! Resource allocator of the HLB control plane.
//!
//! Resources move device-available -> domain-reserved -> domain-used and
//! back, as on Intel DLB: [`Pool::reserve_domain`] sets a reservation aside
//! for a scheduling domain (specific queue and port IDs, credits, atomic
//! in-flights and one contiguous history-list block), the `create_*`
//! methods turn reserved objects into used ones, the `release_*` methods
//! return them. [`Pool::reset_domain`] returns everything a domain holds.
//! Sequence numbers are not reserved per domain: ordered queues take slots
//! of the device-wide sequence-number groups. Virtual functions' slices
//! ([`vf_slice`]) are taken from the same pool.
//!
//! Kernel-free (`core` only, no allocation, no panic reachable from an
//! argument): compiled into the driver and into the host crate
//! `tools/lbdx-logic`, whose tests check every rule. Every method either
//! does all it says or changes nothing. The driver serializes calls and
//! programs the device from the grants; a [`Pool`] is about 12 KiB, so it
//! belongs in an allocation, not on the stack.

use crate::hw::hlb_regs;

pub mod vf_slice;
use vf_slice::{VfRequest, VFS};

/// Most history-list entries a device may have.
pub const HIST_LIST_MAX: u32 = 4096;
/// Most classes of service the load-balanced ports may form.
pub const COS_MAX: usize = 8;
/// Most link slots of one LDB port: the registers of its link block.
pub const LINKS_MAX: u32 = (hlb_regs::QUEUE_STRIDE / 4) as u32;
/// Most sequence-number slots of one group (a slot map is 64 bits).
const SN_SLOTS_MAX: u32 = 64;
/// Most sequence numbers in one group: [`SN_SLOTS_MAX`] slots of the
/// smallest mode.
pub const SN_PER_GROUP_MAX: u32 = SN_SLOTS_MAX * hlb_regs::SN_MODES[0];
/// Most link priority levels (a link holds its priority in 8 bits).
pub const PRIORITIES_MAX: u32 = 256;

const DOMAINS: usize = hlb_regs::DOMAINS_MAX as usize;
const OBJECTS: usize = hlb_regs::OBJECTS_MAX as usize;
const SN_GROUPS: usize = hlb_regs::SN_GROUPS_MAX as usize;
const LINKS: usize = LINKS_MAX as usize;
const HIST_WORDS: usize = (HIST_LIST_MAX / 64) as usize;

/// Why an operation failed. A failed operation changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// Not enough of a resource is free (`ENOSPC`).
    NoSpace(Resource),
    /// An argument is out of range or not allowed (`EINVAL`).
    Invalid,
    /// The domain is started, or the object is still linked or holds
    /// objects (`EBUSY`).
    Busy,
    /// No such domain, object or link (`ENOENT`).
    NotFound,
}

impl PoolError {
    /// The positive errno value the driver returns for this error.
    pub const fn errno(self) -> i32 {
        match self {
            Self::NoSpace(_) => 28,
            Self::Invalid => 22,
            Self::Busy => 16,
            Self::NotFound => 2,
        }
    }
}

/// The resource that ran out, in a [`PoolError::NoSpace`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// Scheduling domains.
    Domains,
    /// Load-balanced queues.
    LdbQueues,
    /// Load-balanced ports of class of service `cos`.
    LdbPorts {
        /// The class of service.
        cos: u32,
    },
    /// Directed ports.
    DirPorts,
    /// Load-balanced credits.
    LdbCredits,
    /// Directed credits.
    DirCredits,
    /// History-list entries (no free contiguous block large enough).
    HistList,
    /// Atomic in-flight slots.
    AtomicInflights,
    /// Sequence-number slots (for a VF: empty groups).
    SequenceNumbers,
    /// Load-balanced ports of any class (a VF's assignment).
    AnyLdbPorts,
    /// Link slots of an LDB port.
    LinkSlots,
}

/// The resource counts a device reports in its `NUM_*` registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Scheduling domains.
    pub domains: u32,
    /// Load-balanced queues.
    pub ldb_queues: u32,
    /// Directed ports.
    pub dir_ports: u32,
    /// Load-balanced ports.
    pub ldb_ports: u32,
    /// Classes of service the load-balanced ports form (0 counts as 1).
    pub ldb_port_cos: u32,
    /// Load-balanced credits.
    pub ldb_credits: u32,
    /// Directed credits.
    pub dir_credits: u32,
    /// History-list entries.
    pub hist_list: u32,
    /// Atomic in-flight slots.
    pub atomic_inflights: u32,
    /// Sequence-number groups.
    pub sn_groups: u32,
    /// Sequence numbers in one group.
    pub sn_per_group: u32,
    /// Queues one LDB port may be linked to.
    pub max_queues_per_port: u32,
    /// Priority levels of a link.
    pub priorities: u32,
}

impl Totals {
    /// Checks that every count fits this allocator; on failure names the
    /// count that does not. The driver refuses such a device.
    ///
    /// Besides the maxima, the LDB ports must split evenly into their
    /// classes, so that [`hlb_regs::ldb_port_cos`] gives every port a
    /// class below `ldb_port_cos`.
    pub fn check(&self) -> Result<(), &'static str> {
        let limits = [
            ("domains", self.domains, hlb_regs::DOMAINS_MAX),
            ("ldb_queues", self.ldb_queues, hlb_regs::OBJECTS_MAX),
            ("dir_ports", self.dir_ports, hlb_regs::OBJECTS_MAX),
            ("ldb_ports", self.ldb_ports, hlb_regs::OBJECTS_MAX),
            ("ldb_port_cos", self.ldb_port_cos, COS_MAX as u32),
            ("hist_list_entries", self.hist_list, HIST_LIST_MAX),
            ("sn_groups", self.sn_groups, hlb_regs::SN_GROUPS_MAX),
            ("sn_per_group", self.sn_per_group, SN_PER_GROUP_MAX),
            ("max_queues_per_port", self.max_queues_per_port, LINKS_MAX),
            ("priorities", self.priorities, PRIORITIES_MAX),
        ];
        for (name, count, max) in limits {
            if count > max {
                return Err(name);
            }
        }
        let last_cos = self.ldb_ports.checked_sub(1).map(|p| self.port_cos(p));
        if last_cos.is_some_and(|c| c >= self.classes()) {
            return Err("ldb_port_cos");
        }
        Ok(())
    }

    /// The totals as [`Counts`] (one domain counted per domain).
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            domains: self.domains,
            ldb_queues: self.ldb_queues,
            ldb_ports: self.ldb_ports,
            dir_ports: self.dir_ports,
            ldb_credits: self.ldb_credits,
            dir_credits: self.dir_credits,
            hist_list: self.hist_list,
            atomic_inflights: self.atomic_inflights,
            ..Counts::default()
        };
        for p in 0..self.ldb_ports {
            if let Some(n) = c.ldb_ports_cos.get_mut(self.port_cos(p) as usize) {
                *n = n.saturating_add(1);
            }
        }
        c
    }

    fn classes(&self) -> u32 {
        self.ldb_port_cos.max(1)
    }

    fn port_cos(&self, port: u32) -> u32 {
        hlb_regs::ldb_port_cos(port, self.ldb_ports, self.ldb_port_cos)
    }

    /// Slots of a sequence-number group in `mode`.
    fn sn_slots(&self, mode: u32) -> u32 {
        self.sn_per_group
            .checked_div(mode)
            .unwrap_or(0)
            .min(SN_SLOTS_MAX)
    }
}

/// Amounts of each countable resource: available on the device, reserved
/// by a domain and not used yet, or used by a domain's objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Domains (a domain counts 1 in its own `reserved`).
    pub domains: u32,
    /// Load-balanced queues.
    pub ldb_queues: u32,
    /// Load-balanced ports, all classes.
    pub ldb_ports: u32,
    /// Load-balanced ports per class of service.
    pub ldb_ports_cos: [u32; COS_MAX],
    /// Directed ports.
    pub dir_ports: u32,
    /// Load-balanced credits (never used here: the data plane spends them).
    pub ldb_credits: u32,
    /// Directed credits (never used here).
    pub dir_credits: u32,
    /// History-list entries.
    pub hist_list: u32,
    /// Atomic in-flight slots.
    pub atomic_inflights: u32,
}

impl Counts {
    fn plus(&self, o: &Self) -> Option<Self> {
        let mut cos = self.ldb_ports_cos;
        for (a, b) in cos.iter_mut().zip(o.ldb_ports_cos) {
            *a = a.checked_add(b)?;
        }
        Some(Self {
            domains: self.domains.checked_add(o.domains)?,
            ldb_queues: self.ldb_queues.checked_add(o.ldb_queues)?,
            ldb_ports: self.ldb_ports.checked_add(o.ldb_ports)?,
            ldb_ports_cos: cos,
            dir_ports: self.dir_ports.checked_add(o.dir_ports)?,
            ldb_credits: self.ldb_credits.checked_add(o.ldb_credits)?,
            dir_credits: self.dir_credits.checked_add(o.dir_credits)?,
            hist_list: self.hist_list.checked_add(o.hist_list)?,
            atomic_inflights: self.atomic_inflights.checked_add(o.atomic_inflights)?,
        })
    }
}

/// What a new domain reserves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainRequest {
    /// Load-balanced queues.
    pub ldb_queues: u32,
    /// Load-balanced ports of each class of service (port `p` is of class
    /// [`hlb_regs::ldb_port_cos`]`(p, ldb_ports, ldb_port_cos)`).
    pub ldb_ports_cos: [u32; COS_MAX],
    /// Directed ports.
    pub dir_ports: u32,
    /// Load-balanced credits.
    pub ldb_credits: u32,
    /// Directed credits.
    pub dir_credits: u32,
    /// History-list entries, as one contiguous block.
    pub hist_list: u32,
    /// Atomic in-flight slots, shared by the domain's queues.
    pub atomic_inflights: u32,
}

/// A reserved domain: the driver programs `DOM_*` with these values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainGrant {
    /// Domain number.
    pub id: u32,
    /// First entry of the domain's history-list block (0 if it is empty).
    pub hist_list_base: u32,
}

/// A load-balanced queue to create.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueRequest {
    /// Sequence numbers: 0 (unordered) or one of [`hlb_regs::SN_MODES`].
    pub sequence_numbers: u32,
    /// Atomic in-flights, taken from the domain's reservation.
    pub atomic_inflights: u32,
}

/// A slot of a sequence-number group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnSlot {
    /// Group number.
    pub group: u32,
    /// Slot in the group.
    pub slot: u32,
}

/// A created load-balanced queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueGrant {
    /// Queue number.
    pub id: u32,
    /// Its sequence-number slot, if ordered.
    pub sn: Option<SnSlot>,
    /// `(group, mode)`: an empty group switched mode for this queue; the
    /// driver writes `SN_GROUP_MODE(group)` before the queue's `LQ_SN`.
    pub set_group_mode: Option<(u32, u32)>,
}

/// A created load-balanced port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortGrant {
    /// Port number.
    pub id: u32,
    /// First entry of its history list, inside its domain's block.
    pub hist_list_base: u32,
}

/// Kinds of queue and port, for [`Pool::owner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// Load-balanced queue.
    LdbQueue,
    /// Load-balanced port.
    LdbPort,
    /// Directed port (with its queue).
    DirPort,
}

/// Where a queue or port is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// Available on the device.
    Free,
    /// Reserved by domain `.0`, not created.
    Reserved(u32),
    /// Created in domain `.0`.
    Used(u32),
    /// In VF `.0`'s slice.
    Vf(u32),
}

impl Owner {
    fn domain(self) -> Option<u32> {
        match self {
            Self::Free | Self::Vf(_) => None,
            Self::Reserved(d) | Self::Used(d) => Some(d),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Domain {
    started: bool,
    ldb_credits: u32,
    dir_credits: u32,
    atomic_inflights: u32,
    hist_base: u32,
    hist_size: u32,
}

// INVARIANT: `sn` is `None`, `atomic_inflights` and `links` are 0 unless
// `owner` is `Used`; `links` counts the link slots naming this queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LdbQueue {
    owner: Owner,
    sn: Option<SnSlot>,
    atomic_inflights: u32,
    links: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    queue: u8,
    priority: u8,
}

/// When a link may change: only while its domain is stopped, or at any
/// time (a device that links at run time).
#[derive(Clone, Copy)]
enum When {
    Stopped,
    Any,
}

// INVARIANT: unless `owner` is `Used`, the port has no history list and no
// links; links name distinct used queues of the port's domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LdbPort {
    owner: Owner,
    hist_base: u32,
    hist_size: u32,
    links: [Option<Link>; LINKS],
}

// INVARIANT: bit `s` of `used` is set iff a queue holds slot `s`, and only
// bits below the group's slot count are set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SnGroup {
    mode: u32,
    used: u64,
}

/// A set of history-list entries.
#[derive(Clone, Debug, PartialEq, Eq)]
struct HistMap([u64; HIST_WORDS]);

impl HistMap {
    const EMPTY: Self = Self([0; HIST_WORDS]);

    fn get(&self, i: u32) -> bool {
        self.0
            .get((i / 64) as usize)
            .is_some_and(|w| (w >> (i % 64)) & 1 != 0)
    }

    fn fill(&mut self, base: u32, len: u32, on: bool) {
        for i in base..base.saturating_add(len) {
            if let Some(w) = self.0.get_mut((i / 64) as usize) {
                if on {
                    *w |= 1 << (i % 64);
                } else {
                    *w &= !(1 << (i % 64));
                }
            }
        }
    }

    /// Calls `f(start, len)` for each maximal run of free entries in
    /// `lo..hi`.
    fn free_runs(&self, lo: u32, hi: u32, mut f: impl FnMut(u32, u32)) {
        let mut start = lo;
        for i in lo..=hi {
            if i == hi || self.get(i) {
                if i > start {
                    f(start, i - start);
                }
                start = i.saturating_add(1);
            }
        }
    }

    /// Start of the smallest free run in `lo..hi` holding `len` entries
    /// (the lowest of equal ones).
    fn best_fit(&self, lo: u32, hi: u32, len: u32) -> Option<u32> {
        let mut best: Option<(u32, u32)> = None;
        self.free_runs(lo, hi, |s, n| {
            let better = match best {
                None => true,
                Some((_, b)) => n < b,
            };
            if n >= len && better {
                best = Some((s, n));
            }
        });
        best.map(|(s, _)| s)
    }
}

/// The resources of one HLB and who holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    // INVARIANT: `totals.check()` passes; objects, domains and groups
    // beyond the totals are free.
    totals: Totals,
    domains: [Option<Domain>; DOMAINS],
    ldb_queues: [LdbQueue; OBJECTS],
    ldb_ports: [LdbPort; OBJECTS],
    dir_ports: [Owner; OBJECTS],
    sn_groups: [SnGroup; SN_GROUPS],
    // INVARIANT: the union of the domains' and VFs' blocks, which do not
    // overlap.
    hist_domains: HistMap,
    // INVARIANT: the union of the used ports' ranges, which do not overlap
    // and lie inside their domain's block.
    hist_ports: HistMap,
    vfs: [Option<vf_slice::VfHold>; VFS],
}

/// Bit `i` of a 64-bit map (none if `i` is 64 or more).
fn bit(i: u32) -> u64 {
    1u64.checked_shl(i).unwrap_or(0)
}

/// Number of IDs below `total` that satisfy `f`.
fn count_ids(total: u32, f: impl Fn(u32) -> bool) -> u32 {
    (0..total)
        .filter(|&i| f(i))
        .fold(0, |n, _| n.saturating_add(1))
}

/// First ID below `total` whose item satisfies `f`.
fn first<T>(items: &[T], total: u32, f: impl Fn(u32, &T) -> bool) -> Option<u32> {
    (0..total).find(|&i| items.get(i as usize).is_some_and(|x| f(i, x)))
}

impl Pool {
    /// An allocator for a device with `totals`, everything available, or
    /// the name of the count [`Totals::check`] refuses.
    pub fn new(totals: Totals) -> Result<Self, &'static str> {
        let mut pool = core::mem::MaybeUninit::<Self>::uninit();
        // SAFETY: `pool` is valid for writes and aligned; `init_at`
        // initializes every field when it returns `Ok`.
        unsafe {
            Self::init_at(pool.as_mut_ptr(), totals)?;
            Ok(pool.assume_init())
        }
    }

    /// Initializes a pool in place at `slot`, field by field, so that no
    /// copy of the whole pool (about 13 KiB) is ever built on the stack: a
    /// kernel stack is too small for one. [`Pool::new`] is this for callers
    /// that can afford the copy.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes of a `Pool` and aligned. On `Ok` the
    /// pool at `slot` is initialized; on `Err` nothing was written.
    pub unsafe fn init_at(slot: *mut Self, totals: Totals) -> Result<(), &'static str> {
        totals.check()?;
        // SAFETY: By the function's safety requirements every field of
        // `*slot`, and every element of its arrays, is valid for writes.
        unsafe {
            core::ptr::addr_of_mut!((*slot).totals).write(totals);
            let domains = core::ptr::addr_of_mut!((*slot).domains).cast::<Option<Domain>>();
            for i in 0..DOMAINS {
                domains.add(i).write(None);
            }
            let queues = core::ptr::addr_of_mut!((*slot).ldb_queues).cast::<LdbQueue>();
            let ports = core::ptr::addr_of_mut!((*slot).ldb_ports).cast::<LdbPort>();
            let dir_ports = core::ptr::addr_of_mut!((*slot).dir_ports).cast::<Owner>();
            for i in 0..OBJECTS {
                queues.add(i).write(LdbQueue {
                    owner: Owner::Free,
                    sn: None,
                    atomic_inflights: 0,
                    links: 0,
                });
                ports.add(i).write(LdbPort {
                    owner: Owner::Free,
                    hist_base: 0,
                    hist_size: 0,
                    links: [None; LINKS],
                });
                dir_ports.add(i).write(Owner::Free);
            }
            let groups = core::ptr::addr_of_mut!((*slot).sn_groups).cast::<SnGroup>();
            for i in 0..SN_GROUPS {
                groups.add(i).write(SnGroup {
                    mode: hlb_regs::SN_MODES[0],
                    used: 0,
                });
            }
            core::ptr::addr_of_mut!((*slot).hist_domains).write(HistMap::EMPTY);
            core::ptr::addr_of_mut!((*slot).hist_ports).write(HistMap::EMPTY);
            core::ptr::addr_of_mut!((*slot).vfs).write([None; VFS]);
        }
        Ok(())
    }

    /// The device's totals.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    fn domain(&self, d: u32) -> Result<Domain, PoolError> {
        self.domains
            .get(d as usize)
            .copied()
            .flatten()
            .ok_or(PoolError::NotFound)
    }

    /// The domain `d`, if it exists and is not started.
    fn stopped(&self, d: u32) -> Result<Domain, PoolError> {
        let dom = self.domain(d)?;
        if dom.started {
            return Err(PoolError::Busy);
        }
        Ok(dom)
    }

    /// `Busy` if `when` needs domain `d` stopped and it is not.
    fn allowed(&self, d: u32, when: When) -> Result<(), PoolError> {
        match when {
            When::Stopped => self.stopped(d).map(|_| ()),
            When::Any => Ok(()),
        }
    }

    /// Objects whose owner satisfies `f`, counted (credits, history list,
    /// atomics and domains left 0).
    fn tally(&self, f: impl Fn(Owner) -> bool) -> Counts {
        let t = &self.totals;
        let mut c = Counts {
            ldb_queues: count_ids(t.ldb_queues, |q| {
                self.ldb_queues.get(q as usize).is_some_and(|x| f(x.owner))
            }),
            dir_ports: count_ids(t.dir_ports, |p| {
                self.dir_ports.get(p as usize).is_some_and(|&o| f(o))
            }),
            ..Counts::default()
        };
        for (p, x) in (0..t.ldb_ports).zip(&self.ldb_ports) {
            if f(x.owner) {
                c.ldb_ports = c.ldb_ports.saturating_add(1);
                if let Some(n) = c.ldb_ports_cos.get_mut(t.port_cos(p) as usize) {
                    *n = n.saturating_add(1);
                }
            }
        }
        c
    }

    /// What the device has available for new domains.
    pub fn available(&self) -> Counts {
        let t = &self.totals;
        let doms = self.domains.iter().flatten();
        let sum = |f: fn(&Domain) -> u32| doms.clone().fold(0u32, |s, d| s.saturating_add(f(d)));
        let held = self
            .hist_domains
            .0
            .iter()
            .map(|w| w.count_ones())
            .sum::<u32>();
        let vfs = |f: fn(&VfRequest) -> u32| self.vf_sum(f);
        Counts {
            domains: count_ids(t.domains, |d| {
                self.domain(d).is_err() && !self.domain_carved(d)
            }),
            ldb_credits: t
                .ldb_credits
                .saturating_sub(sum(|d| d.ldb_credits))
                .saturating_sub(vfs(|r| r.ldb_credits)),
            dir_credits: t
                .dir_credits
                .saturating_sub(sum(|d| d.dir_credits))
                .saturating_sub(vfs(|r| r.dir_credits)),
            hist_list: t.hist_list.saturating_sub(held),
            atomic_inflights: t
                .atomic_inflights
                .saturating_sub(sum(|d| d.atomic_inflights))
                .saturating_sub(vfs(|r| r.atomic_inflights)),
            ..self.tally(|o| o == Owner::Free)
        }
    }

    /// What domain `d` holds in its own objects. `NotFound` if no such
    /// domain.
    pub fn used(&self, d: u32) -> Result<Counts, PoolError> {
        self.domain(d)?;
        let mut hist_list = 0u32;
        for p in self.ldb_ports.iter().filter(|p| p.owner == Owner::Used(d)) {
            hist_list = hist_list.saturating_add(p.hist_size);
        }
        let mut atomic_inflights = 0u32;
        for q in self.ldb_queues.iter().filter(|q| q.owner == Owner::Used(d)) {
            atomic_inflights = atomic_inflights.saturating_add(q.atomic_inflights);
        }
        Ok(Counts {
            hist_list,
            atomic_inflights,
            ..self.tally(|o| o == Owner::Used(d))
        })
    }

    /// What domain `d` has reserved and not used yet. `NotFound` if no such
    /// domain.
    pub fn reserved(&self, d: u32) -> Result<Counts, PoolError> {
        let dom = self.domain(d)?;
        let used = self.used(d)?;
        Ok(Counts {
            domains: 1,
            ldb_credits: dom.ldb_credits,
            dir_credits: dom.dir_credits,
            hist_list: dom.hist_size.saturating_sub(used.hist_list),
            atomic_inflights: dom.atomic_inflights.saturating_sub(used.atomic_inflights),
            ..self.tally(|o| o == Owner::Reserved(d))
        })
    }

    /// Size of the largest free contiguous history-list block, the largest
    /// `hist_list` a new domain can get.
    pub fn largest_free_hist_list_block(&self) -> u32 {
        let mut largest = 0;
        self.hist_domains
            .free_runs(0, self.totals.hist_list, |_, n| largest = largest.max(n));
        largest
    }

    /// The domain holding queue or port `id` of `kind` (reserved or used),
    /// so the driver can program each object's `OBJ_DOMAIN`.
    pub fn owner(&self, kind: ObjectKind, id: u32) -> Option<u32> {
        let i = id as usize;
        match kind {
            ObjectKind::LdbQueue => self.ldb_queues.get(i).map(|q| q.owner),
            ObjectKind::LdbPort => self.ldb_ports.get(i).map(|p| p.owner),
            ObjectKind::DirPort => self.dir_ports.get(i).copied(),
        }?
        .domain()
    }

    /// Reserves a new domain: the lowest free domain number, the lowest
    /// free IDs of each object kind (and class of service), and the
    /// best-fitting free history-list block.
    ///
    /// `Invalid` if ports are asked of a class the device does not have;
    /// `NoSpace` naming the first resource short, checked in the order of
    /// [`Resource`].
    pub fn reserve_domain(&mut self, req: &DomainRequest) -> Result<DomainGrant, PoolError> {
        let t = self.totals;
        let classes = t.classes() as usize;
        if req.ldb_ports_cos.iter().skip(classes).any(|&n| n != 0) {
            return Err(PoolError::Invalid);
        }
        let id = (0..t.domains)
            .find(|&d| self.domain(d).is_err() && !self.domain_carved(d))
            .ok_or(PoolError::NoSpace(Resource::Domains))?;
        let avail = self.available();
        let short = |want: u32, have: u32, r: Resource| {
            if want > have {
                Err(PoolError::NoSpace(r))
            } else {
                Ok(())
            }
        };
        short(req.ldb_queues, avail.ldb_queues, Resource::LdbQueues)?;
        for (cos, (&want, &have)) in req
            .ldb_ports_cos
            .iter()
            .zip(&avail.ldb_ports_cos)
            .enumerate()
        {
            short(want, have, Resource::LdbPorts { cos: cos as u32 })?;
        }
        short(req.dir_ports, avail.dir_ports, Resource::DirPorts)?;
        short(req.ldb_credits, avail.ldb_credits, Resource::LdbCredits)?;
        short(req.dir_credits, avail.dir_credits, Resource::DirCredits)?;
        let hist_base = match req.hist_list {
            0 => 0,
            n => self
                .hist_domains
                .best_fit(0, t.hist_list, n)
                .ok_or(PoolError::NoSpace(Resource::HistList))?,
        };
        short(
            req.atomic_inflights,
            avail.atomic_inflights,
            Resource::AtomicInflights,
        )?;

        let reserved = Owner::Reserved(id);
        let take = |want: &mut u32, owner: &mut Owner| {
            if *want > 0 && *owner == Owner::Free {
                *want -= 1;
                *owner = reserved;
            }
        };
        let mut want = req.ldb_queues;
        for q in self.ldb_queues.iter_mut().take(t.ldb_queues as usize) {
            take(&mut want, &mut q.owner);
        }
        let mut want_cos = req.ldb_ports_cos;
        for (p, port) in (0..t.ldb_ports).zip(self.ldb_ports.iter_mut()) {
            if let Some(want) = want_cos.get_mut(t.port_cos(p) as usize) {
                take(want, &mut port.owner);
            }
        }
        let mut want = req.dir_ports;
        for p in self.dir_ports.iter_mut().take(t.dir_ports as usize) {
            take(&mut want, p);
        }
        self.hist_domains.fill(hist_base, req.hist_list, true);
        if let Some(slot) = self.domains.get_mut(id as usize) {
            *slot = Some(Domain {
                started: false,
                ldb_credits: req.ldb_credits,
                dir_credits: req.dir_credits,
                atomic_inflights: req.atomic_inflights,
                hist_base,
                hist_size: req.hist_list,
            });
        }
        Ok(DomainGrant {
            id,
            hist_list_base: hist_base,
        })
    }

    /// A free sequence-number slot of `mode`: in a group already in that
    /// mode, else in the lowest empty group switched to it.
    fn find_sn(&self, mode: u32) -> Option<(SnSlot, Option<(u32, u32)>)> {
        let t = &self.totals;
        let mut groups = (0..t.sn_groups).zip(self.sn_groups.iter());
        for (group, g) in groups.clone() {
            if g.mode == mode && !self.group_carved(group) {
                if let Some(slot) = (0..t.sn_slots(mode)).find(|&s| g.used & bit(s) == 0) {
                    return Some((SnSlot { group, slot }, None));
                }
            }
        }
        let (group, _) = groups
            .find(|&(group, g)| g.used == 0 && t.sn_slots(mode) > 0 && !self.group_carved(group))?;
        Some((SnSlot { group, slot: 0 }, Some((group, mode))))
    }

    /// Creates a load-balanced queue from domain `d`'s reservation (its
    /// lowest reserved queue).
    ///
    /// `NotFound` (no domain), `Busy` (started), `Invalid` (sequence
    /// numbers neither 0 nor one of [`hlb_regs::SN_MODES`]), `NoSpace` of
    /// `LdbQueues`, `AtomicInflights` or `SequenceNumbers`.
    pub fn create_ldb_queue(&mut self, d: u32, req: QueueRequest) -> Result<QueueGrant, PoolError> {
        self.stopped(d)?;
        let sn_mode = req.sequence_numbers;
        if sn_mode != 0 && !hlb_regs::SN_MODES.contains(&sn_mode) {
            return Err(PoolError::Invalid);
        }
        let id = first(&self.ldb_queues, self.totals.ldb_queues, |_, q| {
            q.owner == Owner::Reserved(d)
        })
        .ok_or(PoolError::NoSpace(Resource::LdbQueues))?;
        if req.atomic_inflights > self.reserved(d)?.atomic_inflights {
            return Err(PoolError::NoSpace(Resource::AtomicInflights));
        }
        let (sn, set_group_mode) = match sn_mode {
            0 => (None, None),
            m => {
                let (slot, set) = self
                    .find_sn(m)
                    .ok_or(PoolError::NoSpace(Resource::SequenceNumbers))?;
                (Some(slot), set)
            }
        };
        if let Some(s) = sn {
            if let Some(g) = self.sn_groups.get_mut(s.group as usize) {
                g.mode = sn_mode;
                g.used |= bit(s.slot);
            }
        }
        if let Some(q) = self.ldb_queues.get_mut(id as usize) {
            *q = LdbQueue {
                owner: Owner::Used(d),
                sn,
                atomic_inflights: req.atomic_inflights,
                links: 0,
            };
        }
        Ok(QueueGrant {
            id,
            sn,
            set_group_mode,
        })
    }

    /// Creates a load-balanced port of class `cos` from domain `d`'s
    /// reservation, with a history list of `hist_list_size` entries taken
    /// best-fit from the domain's block.
    ///
    /// `NotFound`, `Busy`, `Invalid` (`cos` not a class of the device, or
    /// `hist_list_size` below [`hlb_regs::CQ_DEPTH_MIN`], the smallest
    /// consumer queue it must hold), `NoSpace` of `LdbPorts` or `HistList`.
    pub fn create_ldb_port(
        &mut self,
        d: u32,
        cos: u32,
        hist_list_size: u32,
    ) -> Result<PortGrant, PoolError> {
        let dom = self.stopped(d)?;
        let t = self.totals;
        if cos >= t.classes() || hist_list_size < hlb_regs::CQ_DEPTH_MIN {
            return Err(PoolError::Invalid);
        }
        let id = first(&self.ldb_ports, t.ldb_ports, |p, x| {
            x.owner == Owner::Reserved(d) && t.port_cos(p) == cos
        })
        .ok_or(PoolError::NoSpace(Resource::LdbPorts { cos }))?;
        let end = dom.hist_base.saturating_add(dom.hist_size);
        let base = self
            .hist_ports
            .best_fit(dom.hist_base, end, hist_list_size)
            .ok_or(PoolError::NoSpace(Resource::HistList))?;
        self.hist_ports.fill(base, hist_list_size, true);
        if let Some(p) = self.ldb_ports.get_mut(id as usize) {
            p.owner = Owner::Used(d);
            p.hist_base = base;
            p.hist_size = hist_list_size;
        }
        Ok(PortGrant {
            id,
            hist_list_base: base,
        })
    }

    /// Creates a directed port from domain `d`'s reservation.
    ///
    /// `NotFound`, `Busy`, `NoSpace(DirPorts)`.
    pub fn create_dir_port(&mut self, d: u32) -> Result<u32, PoolError> {
        self.stopped(d)?;
        let id = first(&self.dir_ports, self.totals.dir_ports, |_, &o| {
            o == Owner::Reserved(d)
        })
        .ok_or(PoolError::NoSpace(Resource::DirPorts))?;
        if let Some(o) = self.dir_ports.get_mut(id as usize) {
            *o = Owner::Used(d);
        }
        Ok(id)
    }

    fn used_queue(&self, d: u32, q: u32) -> Result<LdbQueue, PoolError> {
        self.ldb_queues
            .get(q as usize)
            .filter(|x| x.owner == Owner::Used(d))
            .copied()
            .ok_or(PoolError::NotFound)
    }

    fn used_port(&self, d: u32, p: u32) -> Result<LdbPort, PoolError> {
        self.ldb_ports
            .get(p as usize)
            .filter(|x| x.owner == Owner::Used(d))
            .copied()
            .ok_or(PoolError::NotFound)
    }

    /// Links queue `queue` to port `port` (both created in domain `d`) at
    /// `priority`; returns the link slot, the lowest free one.
    ///
    /// `NotFound` (domain, port or queue), `Busy` (started), `Invalid`
    /// (`priority` not below the device's priorities, or the queue already
    /// linked to the port), `NoSpace(LinkSlots)` (the port has
    /// `max_queues_per_port` links).
    pub fn link(&mut self, d: u32, port: u32, queue: u32, priority: u32) -> Result<u32, PoolError> {
        self.link_in(d, port, queue, priority, When::Stopped)
    }

    /// [`Self::link`] on a domain started or not (a device that links at
    /// run time).
    pub fn link_started(
        &mut self,
        d: u32,
        port: u32,
        queue: u32,
        priority: u32,
    ) -> Result<u32, PoolError> {
        self.link_in(d, port, queue, priority, When::Any)
    }

    fn link_in(
        &mut self,
        d: u32,
        port: u32,
        queue: u32,
        priority: u32,
        when: When,
    ) -> Result<u32, PoolError> {
        self.domain(d)?;
        let p = self.used_port(d, port)?;
        let q = self.used_queue(d, queue)?;
        self.allowed(d, when)?;
        let (Ok(queue8), Ok(priority)) = (u8::try_from(queue), u8::try_from(priority)) else {
            return Err(PoolError::Invalid);
        };
        if u32::from(priority) >= self.totals.priorities
            || p.links.iter().flatten().any(|l| l.queue == queue8)
        {
            return Err(PoolError::Invalid);
        }
        let slot = p
            .links
            .iter()
            .take(self.totals.max_queues_per_port as usize)
            .position(Option::is_none)
            .ok_or(PoolError::NoSpace(Resource::LinkSlots))?;
        let links = q.links.checked_add(1).ok_or(PoolError::Invalid)?;
        if let Some(l) = self
            .ldb_ports
            .get_mut(port as usize)
            .and_then(|p| p.links.get_mut(slot))
        {
            *l = Some(Link {
                queue: queue8,
                priority,
            });
        }
        if let Some(q) = self.ldb_queues.get_mut(queue as usize) {
            q.links = links;
        }
        Ok(slot as u32)
    }

    /// Removes the link of queue `queue` from port `port` in domain `d`;
    /// returns the slot it held.
    ///
    /// `NotFound` (domain, port, queue or link), `Busy` (started).
    pub fn unlink(&mut self, d: u32, port: u32, queue: u32) -> Result<u32, PoolError> {
        self.unlink_in(d, port, queue, When::Stopped)
    }

    /// [`Self::unlink`] on a domain started or not.
    pub fn unlink_started(&mut self, d: u32, port: u32, queue: u32) -> Result<u32, PoolError> {
        self.unlink_in(d, port, queue, When::Any)
    }

    /// The slot of the link of queue `queue` to port `port` in domain `d`.
    ///
    /// `NotFound` (domain, port, queue or link).
    pub fn link_slot(&self, d: u32, port: u32, queue: u32) -> Result<u32, PoolError> {
        self.domain(d)?;
        self.used_queue(d, queue)?;
        self.used_port(d, port)?
            .links
            .iter()
            .position(|l| l.is_some_and(|l| u32::from(l.queue) == queue))
            .map(|s| s as u32)
            .ok_or(PoolError::NotFound)
    }

    /// Changes the priority of the link of queue `queue` to port `port` in
    /// domain `d` (started or not); returns its slot.
    ///
    /// `NotFound` (domain, port, queue or link), `Invalid` (`priority` not
    /// below the device's priorities).
    pub fn set_link_priority(
        &mut self,
        d: u32,
        port: u32,
        queue: u32,
        priority: u32,
    ) -> Result<u32, PoolError> {
        let slot = self.link_slot(d, port, queue)?;
        let priority = u8::try_from(priority)
            .ok()
            .filter(|p| u32::from(*p) < self.totals.priorities)
            .ok_or(PoolError::Invalid)?;
        if let Some(Some(l)) = self
            .ldb_ports
            .get_mut(port as usize)
            .and_then(|p| p.links.get_mut(slot as usize))
        {
            l.priority = priority;
        }
        Ok(slot)
    }

    fn unlink_in(&mut self, d: u32, port: u32, queue: u32, when: When) -> Result<u32, PoolError> {
        let slot = self.link_slot(d, port, queue)?;
        let q = self.used_queue(d, queue)?;
        self.allowed(d, when)?;
        if let Some(l) = self
            .ldb_ports
            .get_mut(port as usize)
            .and_then(|p| p.links.get_mut(slot as usize))
        {
            *l = None;
        }
        if let Some(x) = self.ldb_queues.get_mut(queue as usize) {
            x.links = q.links.saturating_sub(1);
        }
        Ok(slot)
    }

    /// Returns queue `queue` of domain `d` to the domain's reservation,
    /// with its atomic in-flights and sequence-number slot.
    ///
    /// `NotFound`, `Busy` (started, or the queue is linked).
    pub fn release_ldb_queue(&mut self, d: u32, queue: u32) -> Result<(), PoolError> {
        self.domain(d)?;
        let q = self.used_queue(d, queue)?;
        self.stopped(d)?;
        if q.links != 0 {
            return Err(PoolError::Busy);
        }
        self.free_queue(queue, Owner::Reserved(d));
        Ok(())
    }

    /// Returns port `port` of domain `d` to the domain's reservation, with
    /// its history list.
    ///
    /// `NotFound`, `Busy` (started, or the port has links).
    pub fn release_ldb_port(&mut self, d: u32, port: u32) -> Result<(), PoolError> {
        self.domain(d)?;
        let p = self.used_port(d, port)?;
        self.stopped(d)?;
        if p.links.iter().any(Option::is_some) {
            return Err(PoolError::Busy);
        }
        self.free_port(port, Owner::Reserved(d));
        Ok(())
    }

    /// Returns directed port `port` of domain `d` to the domain's
    /// reservation.
    ///
    /// `NotFound`, `Busy` (started).
    pub fn release_dir_port(&mut self, d: u32, port: u32) -> Result<(), PoolError> {
        self.domain(d)?;
        if self.dir_ports.get(port as usize) != Some(&Owner::Used(d)) {
            return Err(PoolError::NotFound);
        }
        self.stopped(d)?;
        if let Some(o) = self.dir_ports.get_mut(port as usize) {
            *o = Owner::Reserved(d);
        }
        Ok(())
    }

    /// Sets queue `q` to `owner`, freeing its sequence-number slot and
    /// links count (the caller has removed its links).
    fn free_queue(&mut self, q: u32, owner: Owner) {
        let Some(x) = self.ldb_queues.get_mut(q as usize) else {
            return;
        };
        if let Some(s) = x.sn {
            if let Some(g) = self.sn_groups.get_mut(s.group as usize) {
                g.used &= !bit(s.slot);
            }
        }
        *x = LdbQueue {
            owner,
            sn: None,
            atomic_inflights: 0,
            links: 0,
        };
    }

    /// Sets port `p` to `owner`, freeing its history list and dropping its
    /// links (the caller fixes the queues' links counts).
    fn free_port(&mut self, p: u32, owner: Owner) {
        if let Some(x) = self.ldb_ports.get_mut(p as usize) {
            self.hist_ports.fill(x.hist_base, x.hist_size, false);
            *x = LdbPort {
                owner,
                hist_base: 0,
                hist_size: 0,
                links: [None; LINKS],
            };
        }
    }

    /// Starts domain `d`: its configuration is frozen until [`Pool::stop`].
    ///
    /// `NotFound`, `Busy` (already started).
    pub fn start(&mut self, d: u32) -> Result<(), PoolError> {
        self.set_started(d, true)
    }

    /// Stops domain `d`.
    ///
    /// `NotFound`, `Invalid` (not started).
    pub fn stop(&mut self, d: u32) -> Result<(), PoolError> {
        self.set_started(d, false)
    }

    fn set_started(&mut self, d: u32, on: bool) -> Result<(), PoolError> {
        let dom = self
            .domains
            .get_mut(d as usize)
            .and_then(Option::as_mut)
            .ok_or(PoolError::NotFound)?;
        match (dom.started, on) {
            (true, true) => Err(PoolError::Busy),
            (false, false) => Err(PoolError::Invalid),
            _ => {
                dom.started = on;
                Ok(())
            }
        }
    }

    /// Releases domain `d`: its whole reservation returns to the device.
    ///
    /// `NotFound`, `Busy` (started, or it still has queues or ports).
    pub fn release_domain(&mut self, d: u32) -> Result<(), PoolError> {
        self.stopped(d)?;
        let used = self.used(d)?;
        if used.ldb_queues != 0 || used.ldb_ports != 0 || used.dir_ports != 0 {
            return Err(PoolError::Busy);
        }
        self.reset_domain(d);
        Ok(())
    }

    /// Drops every link and object of domain `d` and releases it, whatever
    /// its state; nothing if there is no such domain.
    pub fn reset_domain(&mut self, d: u32) {
        let Some(dom) = self.domains.get_mut(d as usize).and_then(Option::take) else {
            return;
        };
        for q in 0..hlb_regs::OBJECTS_MAX {
            if self.owner(ObjectKind::LdbQueue, q) == Some(d) {
                self.free_queue(q, Owner::Free);
            }
            if self.owner(ObjectKind::LdbPort, q) == Some(d) {
                self.free_port(q, Owner::Free);
            }
        }
        for o in self.dir_ports.iter_mut().filter(|o| o.domain() == Some(d)) {
            *o = Owner::Free;
        }
        self.hist_domains.fill(dom.hist_base, dom.hist_size, false);
    }

    /// Checks every invariant of the pool; on failure says which broke.
    /// For tests and debugging: it costs a scan of everything.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        let t = &self.totals;
        t.check()?;
        let mut hist = HistMap::EMPTY;
        let claim = |map: &mut HistMap, base: u32, size: u32, lo: u32, hi: u32| {
            let end = base
                .checked_add(size)
                .ok_or("history-list range overflows")?;
            if size != 0 && (base < lo || end > hi) {
                return Err("history-list range outside its owner");
            }
            if (base..end).any(|i| map.get(i)) {
                return Err("history-list ranges overlap");
            }
            map.fill(base, size, true);
            Ok(())
        };
        for (d, dom) in (0u32..).zip(&self.domains) {
            let Some(dom) = dom else { continue };
            if d >= t.domains {
                return Err("domain beyond the device's count");
            }
            claim(&mut hist, dom.hist_base, dom.hist_size, 0, t.hist_list)?;
        }
        for g in self.vfs.iter().flatten().map(|h| h.grant) {
            claim(&mut hist, g.hist_list_base, g.req.hist_list, 0, t.hist_list)?;
        }
        self.check_vf_holds()?;
        if hist != self.hist_domains {
            return Err("domain history-list map differs from the blocks");
        }
        let mut sn_used = [0u64; SN_GROUPS];
        let mut queue_links = [0u32; OBJECTS];
        let mut hist = HistMap::EMPTY;
        let valid = |o: Owner, id: u32, total: u32| match o.domain() {
            Some(d) if id >= total || self.domain(d).is_err() => {
                Err("object owned beyond the totals or by no domain")
            }
            _ => Ok(()),
        };
        for (id, q) in (0u32..).zip(&self.ldb_queues) {
            valid(q.owner, id, t.ldb_queues)?;
            let Owner::Used(_) = q.owner else {
                if q.sn.is_some() || q.atomic_inflights != 0 || q.links != 0 {
                    return Err("uncreated queue holds resources");
                }
                continue;
            };
            if let Some(s) = q.sn {
                let g = self.sn_groups.get(s.group as usize).ok_or("bad SN group")?;
                let used = sn_used.get_mut(s.group as usize).ok_or("bad SN group")?;
                if s.group >= t.sn_groups
                    || s.slot >= t.sn_slots(g.mode)
                    || *used & bit(s.slot) != 0
                {
                    return Err("SN slot out of range or shared");
                }
                *used |= bit(s.slot);
            }
        }
        for ((g, group), used) in (0u32..).zip(&self.sn_groups).zip(sn_used) {
            if group.used != used
                || !hlb_regs::SN_MODES.contains(&group.mode)
                || (g >= t.sn_groups && used != 0)
            {
                return Err("SN group map differs from its queues");
            }
        }
        for (id, p) in (0u32..).zip(&self.ldb_ports) {
            valid(p.owner, id, t.ldb_ports)?;
            let Owner::Used(d) = p.owner else {
                if p.hist_size != 0 || p.hist_base != 0 || p.links.iter().any(Option::is_some) {
                    return Err("uncreated port holds resources");
                }
                continue;
            };
            let dom = self.domain(d).map_err(|_| "port of no domain")?;
            if p.hist_size < hlb_regs::CQ_DEPTH_MIN {
                return Err("port history list too small");
            }
            let end = dom.hist_base.saturating_add(dom.hist_size);
            claim(&mut hist, p.hist_base, p.hist_size, dom.hist_base, end)?;
            for (s, l) in (0u32..).zip(&p.links) {
                let Some(l) = l else { continue };
                let q = u32::from(l.queue);
                if s >= t.max_queues_per_port
                    || u32::from(l.priority) >= t.priorities
                    || self.used_queue(d, q).is_err()
                    || p.links
                        .iter()
                        .flatten()
                        .filter(|x| x.queue == l.queue)
                        .count()
                        != 1
                {
                    return Err("bad link");
                }
                let n = queue_links.get_mut(q as usize).ok_or("bad link")?;
                *n = n.saturating_add(1);
            }
        }
        if hist != self.hist_ports {
            return Err("port history-list map differs from the ports");
        }
        if self
            .ldb_queues
            .iter()
            .zip(queue_links)
            .any(|(q, n)| q.links != n)
        {
            return Err("queue link count differs from the links");
        }
        for (id, &o) in (0u32..).zip(&self.dir_ports) {
            valid(o, id, t.dir_ports)?;
        }
        let mut sum = Counts::default();
        let mut doms = Counts::default();
        for (d, dom) in (0u32..).zip(&self.domains) {
            let Some(dom) = dom else { continue };
            let used = self.used(d).map_err(|_| "domain vanished")?;
            if used.atomic_inflights > dom.atomic_inflights || used.hist_list > dom.hist_size {
                return Err("domain uses more than it reserved");
            }
            let reserved = self.reserved(d).map_err(|_| "domain vanished")?;
            sum = sum
                .plus(&used)
                .and_then(|s| s.plus(&reserved))
                .ok_or("count overflow")?;
            doms.ldb_credits = doms
                .ldb_credits
                .checked_add(dom.ldb_credits)
                .ok_or("credit overflow")?;
            doms.dir_credits = doms
                .dir_credits
                .checked_add(dom.dir_credits)
                .ok_or("credit overflow")?;
            doms.atomic_inflights = doms
                .atomic_inflights
                .checked_add(dom.atomic_inflights)
                .ok_or("overflow")?;
        }
        let vfs = |f: fn(&VfRequest) -> u32| self.vf_sum(f);
        let vf_counts = Counts {
            domains: vfs(|r| r.domains),
            ldb_queues: vfs(|r| r.ldb_queues),
            dir_ports: vfs(|r| r.dir_ports),
            ldb_credits: vfs(|r| r.ldb_credits),
            dir_credits: vfs(|r| r.dir_credits),
            hist_list: vfs(|r| r.hist_list),
            atomic_inflights: vfs(|r| r.atomic_inflights),
            ..self.tally(|o| matches!(o, Owner::Vf(_)))
        };
        let over = |a: u32, b: u32, max: u32| a.checked_add(b).is_none_or(|s| s > max);
        if over(doms.ldb_credits, vf_counts.ldb_credits, t.ldb_credits)
            || over(doms.dir_credits, vf_counts.dir_credits, t.dir_credits)
            || over(
                doms.atomic_inflights,
                vf_counts.atomic_inflights,
                t.atomic_inflights,
            )
        {
            return Err("domains and VFs reserve more than the device has");
        }
        let sum = sum.plus(&vf_counts).ok_or("count overflow")?;
        if sum.plus(&self.available()) != Some(t.counts()) {
            return Err("available + reserved + used differs from the totals");
        }
        Ok(())
    }
}
