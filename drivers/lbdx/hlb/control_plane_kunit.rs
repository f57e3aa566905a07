// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the HLB control plane (`control_plane.rs`) as the kernel
//! runs it: its mutex, records and resource pool, with a recording device
//! in place of BAR0 that can be told to refuse programming.

#[kernel::macros::kunit_tests(lbdx_hlb_control_plane)]
mod tests {
    use crate::hlb::{
        configfs::TreeLock,
        control_plane::{links::DomainLinks, HlbCtl, ObjectAttrs, State},
        program::Program,
        resource_pool::{
            vf_slice::VfObject, DomainGrant, DomainRequest, ObjectKind, PortGrant, QueueGrant,
            Totals,
        },
    };
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use kernel::{prelude::*, sync::Arc};

    /// A device that counts programming calls and refuses them on demand.
    struct Recorder(Arc<Device>);

    struct Device {
        refuse: AtomicBool,
        calls: AtomicU32,
        /// What `runtime_links` answers.
        runtime_links: AtomicBool,
        /// What `link_pending` answers for every slot.
        pending: AtomicBool,
    }

    impl Recorder {
        fn call(&self) -> Result {
            self.0.calls.fetch_add(1, Ordering::Relaxed);
            if self.0.refuse.load(Ordering::Relaxed) {
                Err(EIO)
            } else {
                Ok(())
            }
        }
    }

    impl Program for Recorder {
        fn commit_domain(&self, _: DomainGrant, _: &DomainRequest) -> Result {
            self.call()
        }
        fn release_domain(&self, _: u32) {
            let _ = self.call();
        }
        fn start_domain(&self, _: u32, _: bool) -> Result {
            self.call()
        }
        fn reset_domain(&self, _: u32) {
            let _ = self.call();
        }
        fn commit_ldb_queue(&self, _: u32, _: &QueueGrant, _: &ObjectAttrs) -> Result {
            self.call()
        }
        fn commit_ldb_port(&self, _: u32, _: &PortGrant, _: u32, _: &ObjectAttrs) -> Result {
            self.call()
        }
        fn commit_dir_port(&self, _: u32, _: u32, _: &ObjectAttrs) -> Result {
            self.call()
        }
        fn unassign(&self, _: ObjectKind, _: u32) {
            let _ = self.call();
        }
        fn write_link(&self, _: u32, _: u32, _: Option<(u32, u32)>) -> Result {
            self.call()
        }
        fn runtime_links(&self) -> bool {
            self.0.runtime_links.load(Ordering::Relaxed)
        }
        fn link_pending(&self, _: u32, _: u32) -> Result<bool> {
            Ok(self.0.pending.load(Ordering::Relaxed))
        }
        fn write_vf_maps(&self, _: u32, _: &[(VfObject, u32, Option<u32>)]) -> Result {
            self.call()
        }
        fn write_vf_enable(&self, _: u32) -> Result {
            self.call()
        }
    }

    const TOTALS: Totals = Totals {
        domains: 4,
        ldb_queues: 4,
        dir_ports: 4,
        ldb_ports: 8,
        ldb_port_cos: 4,
        ldb_credits: 1024,
        dir_credits: 512,
        hist_list: 256,
        atomic_inflights: 64,
        sn_groups: 2,
        sn_per_group: 1024,
        max_queues_per_port: 8,
        priorities: 8,
    };

    fn setup() -> Result<(Arc<HlbCtl>, Arc<Device>)> {
        setup_with(TOTALS)
    }

    /// A control plane over a device of `totals`, and the device.
    fn setup_with(totals: Totals) -> Result<(Arc<HlbCtl>, Arc<Device>)> {
        let dev = Arc::new(
            Device {
                refuse: AtomicBool::new(false),
                calls: AtomicU32::new(0),
                runtime_links: AtomicBool::new(false),
                pending: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )?;
        let program: Arc<dyn Program> = Arc::new(Recorder(dev.clone()), GFP_KERNEL)?;
        Ok((HlbCtl::new(program, totals, 2)?, dev))
    }

    /// A committed domain with 2 queues, 2 class-0 ports and 128 entries.
    fn committed_domain(ctl: &HlbCtl) -> Result<u32> {
        let d = ctl.new_domain(c"d")?;
        ctl.set_domain_attrs(d, |a| {
            a.req.ldb_queues = 2;
            a.req.ldb_ports_cos[0] = 2;
            a.req.hist_list = 128;
            a.req.atomic_inflights = 16;
        })?;
        ctl.commit_domain(d, true)?;
        Ok(d)
    }

    /// In domain `d`: a committed queue "q" and LDB port "p".
    fn queue_and_port(ctl: &HlbCtl, d: u32) -> Result<(u32, u32)> {
        let q = ctl.new_object(d, ObjectKind::LdbQueue, c"q")?;
        let p = ctl.new_object(d, ObjectKind::LdbPort, c"p")?;
        ctl.commit_object(q, true)?;
        ctl.commit_object(p, true)?;
        Ok((q, p))
    }

    fn avail_is_total(ctl: &HlbCtl) -> bool {
        ctl.with_pool(|p| p.available()) == TOTALS.counts()
    }

    #[test]
    fn commit_reserves_and_uncommit_returns() -> Result {
        let (ctl, _) = setup()?;
        let d = committed_domain(&ctl)?;
        let a = ctl.with_pool(|p| p.available());
        assert_eq!(a.domains, 3);
        assert_eq!(a.ldb_queues, 2);
        assert_eq!(a.hist_list, 128);
        assert!(ctl.domain(d)?.1 == State::Committed);
        assert_eq!(
            ctl.set_domain_attrs(d, |a| a.req.ldb_queues = 1),
            Err(EBUSY)
        );
        ctl.commit_domain(d, false)?;
        assert!(avail_is_total(&ctl));
        assert!(ctl.domain(d)?.1 == State::Staged);
        Ok(())
    }

    #[test]
    fn a_vf_assignment_takes_exactly_its_counts_and_gives_them_back() -> Result {
        let (ctl, dev) = setup()?;
        assert_eq!(ctl.num_vfs(), 2);
        assert_eq!(ctl.vf(2).err(), Some(ENOENT));
        ctl.set_vf_request(0, |r| {
            r.domains = 2;
            r.ldb_queues = 2;
            r.ldb_ports = 3;
            r.ldb_credits = 100;
            r.hist_list = 64;
        })?;
        // Refused map writes: EIO, nothing assigned.
        dev.refuse.store(true, Ordering::Relaxed);
        assert_eq!(ctl.commit_vf(0, true), Err(EIO));
        assert!(avail_is_total(&ctl));
        assert!(!ctl.vf(0)?.assigned);
        dev.refuse.store(false, Ordering::Relaxed);
        let calls = dev.calls.load(Ordering::Relaxed);
        ctl.commit_vf(0, true)?;
        // One batch of map writes.
        assert_eq!(dev.calls.load(Ordering::Relaxed), calls + 1);
        let a = ctl.with_pool(|p| p.available());
        assert_eq!((a.domains, a.ldb_queues, a.ldb_ports), (2, 2, 5));
        assert_eq!((a.ldb_credits, a.hist_list), (924, 192));
        assert_eq!(ctl.set_vf_request(0, |r| r.domains = 1), Err(EBUSY));
        // The rest of the device is too little for VF 1's request.
        ctl.set_vf_request(1, |r| r.ldb_queues = 3)?;
        assert_eq!(ctl.commit_vf(1, true), Err(ENOSPC));
        assert!(!ctl.vf(1)?.assigned);
        let mut ids = KVec::new();
        ctl.vf_ids(0, VfObject::LdbPort, &mut |p| Ok(ids.push(p, GFP_KERNEL)?))?;
        assert_eq!(&ids[..], &[0, 1, 2]);
        ctl.commit_vf(0, false)?;
        assert!(avail_is_total(&ctl));
        ctl.enable_vf(1, true)?;
        assert!(ctl.vf(1)?.enabled && !ctl.vf(0)?.enabled);
        Ok(())
    }

    #[test]
    fn refused_programming_changes_nothing() -> Result {
        let (ctl, dev) = setup()?;
        dev.refuse.store(true, Ordering::Relaxed);
        let d = ctl.new_domain(c"d")?;
        ctl.set_domain_attrs(d, |a| a.req.ldb_queues = 1)?;
        assert_eq!(ctl.commit_domain(d, true), Err(EIO));
        assert!(avail_is_total(&ctl));
        assert!(ctl.domain(d)?.1 == State::Staged);
        dev.refuse.store(false, Ordering::Relaxed);
        ctl.commit_domain(d, true)?;
        let q = ctl.new_object(d, ObjectKind::LdbQueue, c"q")?;
        let before = ctl.with_pool(|p| p.used(0));
        dev.refuse.store(true, Ordering::Relaxed);
        assert_eq!(ctl.commit_object(q, true), Err(EIO));
        assert!(ctl.with_pool(|p| p.used(0)) == before);
        assert!(ctl.object(q)?.1 == State::Staged);
        Ok(())
    }

    #[test]
    fn refused_start_leaves_the_domain_stopped() -> Result {
        let (ctl, dev) = setup()?;
        let d = committed_domain(&ctl)?;
        let (q, _) = queue_and_port(&ctl, d)?;
        dev.refuse.store(true, Ordering::Relaxed);
        assert_eq!(
            HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, true),
            Err(EIO)
        );
        assert!(ctl.domain(d)?.1 == State::Committed);
        dev.refuse.store(false, Ordering::Relaxed);
        // Not frozen: its queue can still be uncommitted.
        ctl.commit_object(q, false)?;
        ctl.commit_object(q, true)?;
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, true)?;
        assert!(ctl.domain(d)?.1 == State::Started);
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, false)?;
        Ok(())
    }

    #[test]
    fn started_domain_is_frozen() -> Result {
        let (ctl, dev) = setup()?;
        let d = committed_domain(&ctl)?;
        let (q, p) = queue_and_port(&ctl, d)?;
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, true)?;
        assert!(ctl.domain(d)?.1 == State::Started);
        let calls = dev.calls.load(Ordering::Relaxed);
        assert_eq!(
            ctl.new_object(d, ObjectKind::DirPort, c"x").err(),
            Some(EBUSY)
        );
        assert_eq!(
            ctl.set_object_attrs(q, |a| a.depth_threshold = 1),
            Err(EBUSY)
        );
        assert_eq!(ctl.commit_object(q, false), Err(EBUSY));
        assert_eq!(ctl.link(&TreeLock::lock()?, p, b"q", Some(0)), Err(EBUSY));
        assert_eq!(ctl.commit_domain(d, false), Err(EBUSY));
        assert_eq!(dev.calls.load(Ordering::Relaxed), calls);
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, false)?;
        ctl.link(&TreeLock::lock()?, p, b"q", Some(0))?;
        Ok(())
    }

    /// Uncommits queue `q`, port `p` and domain `d`; true if the pool is
    /// whole then.
    fn uncommitted_whole(ctl: &HlbCtl, d: u32, q: u32, p: u32) -> Result<bool> {
        ctl.commit_object(q, false)?;
        ctl.commit_object(p, false)?;
        ctl.commit_domain(d, false)?;
        Ok(avail_is_total(ctl))
    }

    /// The priorities of port `p`'s links, or of its pending unlinks.
    fn links(ctl: &HlbCtl, p: u32, pending: bool) -> Result<KVec<u32>> {
        let mut v = KVec::new();
        ctl.show_links(p, pending, &mut |_, prio| Ok(v.push(prio, GFP_KERNEL)?))?;
        Ok(v)
    }

    #[test]
    fn started_links_change_on_a_device_that_links_at_run_time() -> Result {
        let (ctl, dev) = setup()?;
        dev.runtime_links.store(true, Ordering::Relaxed);
        let d = committed_domain(&ctl)?;
        let (q, p) = queue_and_port(&ctl, d)?;
        let link = |prio| ctl.link(&TreeLock::lock()?, p, b"q", prio);
        link(Some(3))?;
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, true)?;
        assert_eq!(link(Some(3)), Err(EEXIST));
        assert_eq!(link(Some(8)), Err(EINVAL));
        link(Some(5))?;
        assert_eq!(&links(&ctl, p, false)?[..], &[5]);
        // Refused by the device: still linked.
        dev.refuse.store(true, Ordering::Relaxed);
        assert_eq!(link(None), Err(EIO));
        dev.refuse.store(false, Ordering::Relaxed);
        assert_eq!(&links(&ctl, p, false)?[..], &[5]);
        // Not taken within the wait: pending, not linked, not unlinkable.
        dev.pending.store(true, Ordering::Relaxed);
        link(None)?;
        assert!(links(&ctl, p, false)?.is_empty());
        assert_eq!(&links(&ctl, p, true)?[..], &[5]);
        assert_eq!(link(None), Err(ENOENT));
        // Linked again: cancelled, at the new priority.
        link(Some(2))?;
        assert_eq!(&links(&ctl, p, false)?[..], &[2]);
        assert!(links(&ctl, p, true)?.is_empty());
        // Pending until the device takes it.
        link(None)?;
        assert_eq!(&links(&ctl, p, true)?[..], &[2]);
        dev.pending.store(false, Ordering::Relaxed);
        assert!(links(&ctl, p, true)?.is_empty());
        assert!(links(&ctl, p, false)?.is_empty());
        // Taken at once: gone.
        link(Some(1))?;
        link(None)?;
        assert!(links(&ctl, p, false)?.is_empty() && links(&ctl, p, true)?.is_empty());
        // A stop takes what is pending: nothing stays linked or pinned.
        link(Some(0))?;
        dev.pending.store(true, Ordering::Relaxed);
        link(None)?;
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, false)?;
        assert!(links(&ctl, p, true)?.is_empty());
        assert!(uncommitted_whole(&ctl, d, q, p)?);
        Ok(())
    }

    #[test]
    fn domain_file_changes_links_by_device_number_without_waiting() -> Result {
        let (ctl, dev) = setup()?;
        dev.runtime_links.store(true, Ordering::Relaxed);
        let d = committed_domain(&ctl)?;
        let (q, p) = queue_and_port(&ctl, d)?;
        let (qid, pid) = (
            ctl.object(q)?.2.ok_or(EINVAL)?,
            ctl.object(p)?.2.ok_or(EINVAL)?,
        );
        let file = DomainLinks::of(ctl.clone(), d)?;
        assert_eq!(file.link(pid, qid, Some(0)), Err(ENODEV));
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, true)?;
        // Numbers not of the domain, a bad priority, nothing to unlink.
        assert_eq!(file.link(pid + 1, qid, Some(0)), Err(EINVAL));
        assert_eq!(file.link(pid, qid + 1, Some(0)), Err(EINVAL));
        assert_eq!(file.link(pid, qid, Some(8)), Err(EINVAL));
        assert_eq!(file.link(pid, qid, None), Err(ENOENT));
        assert_eq!(file.unlinks_pending(pid + 1), Err(EINVAL));
        assert!(links(&ctl, p, false)?.is_empty());
        // In place at the same priority: not an error, as in eventdev.
        file.link(pid, qid, Some(4))?;
        file.link(pid, qid, Some(4))?;
        assert_eq!(&links(&ctl, p, false)?[..], &[4]);
        // No wait: pending at once while the device says so, and counted.
        dev.pending.store(true, Ordering::Relaxed);
        file.link(pid, qid, None)?;
        assert_eq!(file.unlinks_pending(pid), Ok(1));
        assert_eq!(&links(&ctl, p, true)?[..], &[4]);
        assert_eq!(file.link(pid, qid, None), Err(ENOENT));
        dev.pending.store(false, Ordering::Relaxed);
        assert_eq!(file.unlinks_pending(pid), Ok(0));
        assert!(links(&ctl, p, false)?.is_empty() && links(&ctl, p, true)?.is_empty());
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, false)?;
        // A file that outlived its run changes nothing.
        assert_eq!(file.link(pid, qid, Some(0)), Err(ENODEV));
        assert!(links(&ctl, p, false)?.is_empty());
        assert!(uncommitted_whole(&ctl, d, q, p)?);
        Ok(())
    }

    #[test]
    fn domain_file_link_beyond_the_port_slots_is_enospc_and_changes_nothing() -> Result {
        // One link slot per port: the second queue finds none.
        let (ctl, dev) = setup_with(Totals {
            max_queues_per_port: 1,
            ..TOTALS
        })?;
        dev.runtime_links.store(true, Ordering::Relaxed);
        let d = committed_domain(&ctl)?;
        let (q, p) = queue_and_port(&ctl, d)?;
        let q2 = ctl.new_object(d, ObjectKind::LdbQueue, c"q2")?;
        ctl.commit_object(q2, true)?;
        let number = |o: u32| ctl.object(o).and_then(|(_, _, n)| n.ok_or(EINVAL));
        let (qid, q2id, pid) = (number(q)?, number(q2)?, number(p)?);
        let file = DomainLinks::of(ctl.clone(), d)?;
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, true)?;
        file.link(pid, qid, Some(1))?;
        assert_eq!(file.link(pid, q2id, Some(2)), Err(ENOSPC));
        assert_eq!(&links(&ctl, p, false)?[..], &[1]);
        // Room again once the first link is gone.
        file.link(pid, qid, None)?;
        file.link(pid, q2id, Some(2))?;
        assert_eq!(&links(&ctl, p, false)?[..], &[2]);
        file.link(pid, q2id, None)?;
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, false)?;
        ctl.commit_object(q2, false)?;
        ctl.drop_object(q2);
        assert!(uncommitted_whole(&ctl, d, q, p)?);
        Ok(())
    }

    #[test]
    fn linked_queue_is_busy_until_its_port_goes() -> Result {
        let (ctl, _) = setup()?;
        let d = committed_domain(&ctl)?;
        let (q, p) = queue_and_port(&ctl, d)?;
        assert_eq!(
            ctl.link(&TreeLock::lock()?, p, b"nosuch", Some(0)),
            Err(ENOENT)
        );
        assert_eq!(ctl.link(&TreeLock::lock()?, p, b"q", Some(8)), Err(EINVAL));
        ctl.link(&TreeLock::lock()?, p, b"q", Some(3))?;
        assert_eq!(ctl.link(&TreeLock::lock()?, p, b"q", Some(3)), Err(EEXIST));
        // Another priority: changed, not linked twice.
        ctl.link(&TreeLock::lock()?, p, b"q", Some(4))?;
        assert_eq!(&links(&ctl, p, false)?[..], &[4]);
        assert_eq!(ctl.commit_object(q, false), Err(EBUSY));
        assert_eq!(ctl.commit_object(p, false), Err(EBUSY));
        ctl.drop_object(p);
        ctl.commit_object(q, false)?;
        ctl.drop_object(q);
        ctl.commit_domain(d, false)?;
        assert!(avail_is_total(&ctl));
        Ok(())
    }

    #[test]
    fn reset_returns_everything() -> Result {
        let (ctl, _) = setup()?;
        let d = committed_domain(&ctl)?;
        let (q, p) = queue_and_port(&ctl, d)?;
        ctl.link(&TreeLock::lock()?, p, b"q", Some(0))?;
        HlbCtl::start_domain(&ctl, &TreeLock::lock()?, d, true)?;
        ctl.reset_domain(d)?;
        assert!(avail_is_total(&ctl));
        assert!(ctl.domain(d)?.1 == State::Staged);
        assert!(ctl.object(q)?.1 == State::Staged && ctl.object(p)?.1 == State::Staged);
        ctl.commit_domain(d, true)?;
        ctl.commit_object(q, true)?;
        Ok(())
    }

    #[test]
    fn removed_device_refuses_everything() -> Result {
        let (ctl, _) = setup()?;
        let d = committed_domain(&ctl)?;
        ctl.remove();
        assert!(avail_is_total(&ctl));
        assert!(ctl.domain(d)?.1 == State::Removed);
        assert_eq!(ctl.new_domain(c"d").err(), Some(ENODEV));
        assert_eq!(ctl.commit_domain(d, true), Err(ENODEV));
        Ok(())
    }
}
