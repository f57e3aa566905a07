// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the async-offload layer as the kernel runs it: every
//! operation on the CPU backend through the C API (P+Q and its validation
//! against a bit-by-bit GF(2^8) reference), failover from a backend that
//! fails every job, requests waiting for a full backend (not failing), the
//! layer's deadline for an attempt never reported, unregistration of a
//! backend holding jobs (each request completes exactly once, late
//! reports ignored), dependencies, selection by the state backends report
//! as events, the drive cost learnt from a backend's submissions and
//! handling (and fixed by the operator), what a P+Q backend is given,
//! refusal of bad arguments, and
//! the fast path's constant handles (no reference count, no dependency).
//! They run while the module's other backends (engines) are registered and
//! restore the policy they change.

#[kernel::macros::kunit_tests(lbdx_offload)]
mod tests {
    use crate::offload::{
        backend::{Backend, Desc, Event, Job, Outcome, Refusal, Ticket},
        backend_select::{Caps, Op, OpSet, Policy},
        capi::{self, LbdxSubmit},
        fast_path, registry,
        request::{Req, SUBMIT_WILL_WAIT},
        Registration,
    };
    use core::{
        ffi::c_void,
        ptr,
        sync::atomic::{AtomicU32, Ordering},
    };
    use kernel::{new_spinlock_irq, prelude::*, sync::Arc, sync::SpinLockIrq};

    /// Callbacks seen, and the last status.
    struct Seen {
        calls: AtomicU32,
        status: AtomicU32,
    }

    /// # Safety
    ///
    /// `param` is a live [`Seen`].
    unsafe extern "C" fn count(param: *mut c_void, status: i32, _result: u32) {
        // SAFETY: The tests pass a live `Seen`.
        let seen = unsafe { &*param.cast::<Seen>() };
        seen.status.store(status as u32, Ordering::Relaxed);
        seen.calls.fetch_add(1, Ordering::AcqRel);
    }

    fn seen() -> Result<KBox<Seen>> {
        Ok(KBox::new(
            Seen {
                calls: AtomicU32::new(0),
                status: AtomicU32::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    fn with_callback(s: &Seen) -> LbdxSubmit {
        LbdxSubmit {
            depend: ptr::null(),
            callback: Some(count),
            callback_param: ptr::from_ref(s).cast_mut().cast(),
            flags: 0,
        }
    }

    /// `len` bytes of a pattern; empty without memory (the test then fails
    /// on its checks: helpers must not panic).
    fn buf(len: usize, seed: u8) -> KVec<u8> {
        let Ok(mut v) = KVec::with_capacity(len, GFP_KERNEL) else {
            return KVec::new();
        };
        for i in 0..len {
            let _ = v.push((i as u8).wrapping_mul(31) ^ seed, GFP_KERNEL);
        }
        v
    }

    fn zeros(len: usize) -> KVec<u8> {
        KVec::from_elem(0, len, GFP_KERNEL).unwrap_or_default()
    }

    /// Whether `p` is NULL or an `ERR_PTR()`.
    fn is_err(p: *mut Req) -> bool {
        p.is_null() || (-4095..0).contains(&(p as isize))
    }

    /// Waits for `tx`, drops it, returns status and result; `EFAULT` for an
    /// error pointer (helpers must not panic: only the test bodies' asserts
    /// are KUnit's).
    fn wait(tx: *mut Req) -> (i32, u32) {
        if is_err(tx) {
            return (EFAULT.to_errno(), 0);
        }
        let mut result = 0u32;
        // SAFETY: A live handle from the API; dropped right after.
        let status = unsafe { capi::__lbdx_tx_wait(tx, &mut result) };
        // SAFETY: As above.
        unsafe { capi::__lbdx_tx_put(tx) };
        (status, result)
    }

    const SYNC: LbdxSubmit = LbdxSubmit {
        depend: ptr::null(),
        callback: None,
        callback_param: ptr::null_mut(),
        flags: SUBMIT_WILL_WAIT,
    };

    #[test]
    fn cpu_backend_does_every_operation() {
        let saved = registry::policy();
        registry::set_policy(Policy::CpuOnly);
        // Copy, misaligned, longer than the inline limit.
        let src = buf(9001, 1);
        let mut dst = buf(9003, 0);
        // SAFETY: kmalloc buffers of the right length, kept until the wait.
        let tx = unsafe {
            capi::lbdx_async_memcpy(
                dst.as_mut_ptr().add(1).cast(),
                src.as_ptr().add(1).cast(),
                9000,
                ptr::null(),
            )
        };
        assert_eq!(wait(tx).0, 0);
        assert_eq!(&dst[1..9001], &src[1..9001]);
        assert_eq!(dst[0], 0u8.wrapping_mul(31));
        assert_eq!(dst[9001], (9001usize as u8).wrapping_mul(31));

        // Fill with a pattern, odd length.
        let mut f = buf(1003, 0);
        // SAFETY: As above.
        let tx = unsafe {
            capi::lbdx_async_fill(f.as_mut_ptr().cast(), 0x0807_0605_0403_0201, 1003, &SYNC)
        };
        assert_eq!(wait(tx).0, 0);
        assert!(f.iter().enumerate().all(|(i, b)| *b == (i % 8) as u8 + 1));

        // Xor of 3 aligned sources (the kernel's xor_gen) plus a tail, and
        // of 5 misaligned ones.
        for (len, n, off) in [(8192 + 100, 3usize, 0usize), (777, 5, 3)] {
            let srcs: KVec<KVec<u8>> =
                (0..n)
                    .map(|k| buf(len + 64, k as u8 + 7))
                    .fold(KVec::new(), |mut v, b| {
                        let _ = v.push(b, GFP_KERNEL);
                        v
                    });
            let mut ptrs = [ptr::null_mut::<c_void>(); 8];
            for (p, s) in ptrs.iter_mut().zip(srcs.iter()) {
                // SAFETY: Within the buffer.
                *p = unsafe { s.as_ptr().add(off) }.cast_mut().cast();
            }
            let mut d = buf(len + 64, 0);
            // SAFETY: As above.
            let tx = unsafe {
                capi::lbdx_async_xor(
                    d.as_mut_ptr().add(off).cast(),
                    ptrs.as_ptr(),
                    n as u32,
                    len,
                    &SYNC,
                )
            };
            assert_eq!(wait(tx).0, 0);
            for i in 0..len {
                let want = srcs.iter().fold(0u8, |a, s| a ^ s[off + i]);
                assert_eq!(d[off + i], want);
            }
            // Validate: the sources and their xor give zero; the sources
            // alone do not.
            ptrs[n] = d.as_mut_ptr().wrapping_add(off).cast();
            // SAFETY: As above.
            let tx = unsafe { capi::lbdx_async_xor_val(ptrs.as_ptr(), n as u32 + 1, len, &SYNC) };
            assert_eq!(wait(tx), (0, 0));
            // SAFETY: As above.
            let tx = unsafe { capi::lbdx_async_xor_val(ptrs.as_ptr(), n as u32, len, &SYNC) };
            assert_eq!(wait(tx), (0, 1));
        }
        registry::set_policy(saved);
    }

    #[test]
    fn fast_path_handles_are_shared_and_hold_no_reference() {
        let saved = registry::policy();
        registry::set_policy(Policy::CpuOnly);
        let src = buf(64, 3);
        let mut a = zeros(64);
        let mut b = zeros(64);
        let (requests, bytes) = fast_path::counters();
        // SAFETY: kmalloc buffers of 64 bytes, kept until the end.
        let t1 = unsafe {
            capi::lbdx_async_memcpy(a.as_mut_ptr().cast(), src.as_ptr().cast(), 64, &SYNC)
        };
        // A dependency on a fast-path handle is none: this one runs at once too.
        let dep = LbdxSubmit { depend: t1, ..SYNC };
        // SAFETY: As above; `t1` is live.
        let t2 =
            unsafe { capi::lbdx_async_memcpy(b.as_mut_ptr().cast(), a.as_ptr().cast(), 64, &dep) };
        let (after_requests, after_bytes) = fast_path::counters();
        // Both ran in this thread, counted in this CPU's counters.
        assert!(after_requests >= requests + 2);
        assert!(after_bytes >= bytes + 128);
        assert!(!is_err(t1));
        assert!(ptr::eq(t1, t2));
        assert_eq!(&a[..], &src[..]);
        assert_eq!(&b[..], &src[..]);
        // SAFETY: `t1` is live.
        assert_eq!(unsafe { capi::__lbdx_tx_status(t1) }, 0);
        // Puts give up no reference: the constant handle stays complete.
        for _ in 0..3 {
            // SAFETY: `t1` is live until it is put.
            unsafe { capi::__lbdx_tx_put(t1) };
        }
        assert_eq!(wait(t2), (0, 0));
        registry::set_policy(saved);
    }

    /// Fails every job at once.
    struct Failing;

    impl Backend for Failing {
        fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
            crate::offload::complete(job.ticket, Outcome::Failed);
            Ok(())
        }
    }

    /// Keeps every job and never runs it.
    struct Holding {
        tickets: Pin<KBox<SpinLockIrq<KVec<Ticket>>>>,
    }

    impl Backend for Holding {
        fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
            self.tickets
                .lock()
                .push(job.ticket, GFP_ATOMIC)
                .map_err(|_| Refusal::Busy)
        }
    }

    /// A backend faster than anything, so that it is picked first.
    fn fake_desc(name: &[u8]) -> Desc {
        let mut n = KVec::new();
        let _ = n.extend_from_slice(name, GFP_KERNEL);
        Desc {
            name: n,
            dev: None,
            caps: Caps {
                ops: OpSet::ALL,
                max_xor_sources: 64,
                max_len: 1 << 30,
                align: 1,
            },
            bandwidth: 1 << 50,
            request_cost_ns: 0,
            is_cpu: false,
        }
    }

    #[test]
    fn failures_fail_over_and_degrade_the_backend() -> Result {
        let saved = registry::policy();
        registry::set_policy(Policy::EarliestCompletion);
        let ops: Arc<dyn Backend> = Arc::new(Failing, GFP_KERNEL)?;
        let reg = Registration::new(fake_desc(b"kunit-failing"), ops)?;
        let src = buf(65536, 3);
        for _ in 0..4 {
            let mut dst = buf(65536, 0);
            // SAFETY: As above.
            let tx = unsafe {
                capi::lbdx_async_memcpy(dst.as_mut_ptr().cast(), src.as_ptr().cast(), 65536, &SYNC)
            };
            assert_eq!(wait(tx).0, 0);
            assert!(dst == src);
        }
        let r = registry::report(reg.id()).ok_or(ENODEV)?;
        assert!(r.stats.errors >= 3);
        assert_eq!(r.stats.errors, r.stats.failovers);
        assert_eq!(r.stats.in_flight, 0);
        assert_eq!(r.health, "degraded");
        drop(reg);
        registry::set_policy(saved);
        Ok(())
    }

    #[test]
    fn unregistering_fails_held_jobs_over_exactly_once() -> Result {
        let saved = registry::policy();
        registry::set_policy(Policy::RoundRobin);
        let tickets = KBox::pin_init(new_spinlock_irq!(KVec::new()), GFP_KERNEL)?;
        let holding = Arc::new(Holding { tickets }, GFP_KERNEL)?;
        let ops: Arc<dyn Backend> = holding.clone();
        let reg = Registration::new(fake_desc(b"kunit-holding"), ops)?;
        let s = seen()?;
        let sub = with_callback(&s);
        let src = buf(8192, 5);
        let mut dsts = KVec::new();
        let mut txs = KVec::new();
        for _ in 0..16 {
            let mut d = buf(8192, 0);
            // SAFETY: As above; `d` is kept in `dsts` until the end.
            let tx = unsafe {
                capi::lbdx_async_memcpy(d.as_mut_ptr().cast(), src.as_ptr().cast(), 8192, &sub)
            };
            assert!(!is_err(tx));
            let _ = dsts.push(d, GFP_KERNEL);
            let _ = txs.push(tx, GFP_KERNEL);
        }
        let held: KVec<Ticket> = core::mem::take(&mut *holding.tickets.lock());
        assert!(!held.is_empty());
        // Those held are not done (others may still be queued on the CPU).
        // SAFETY: A live handle.
        let pending = txs
            .iter()
            .filter(|t| unsafe { capi::__lbdx_tx_status(**t) } != 0);
        assert!(pending.count() >= held.len());
        drop(reg);
        for tx in txs {
            assert_eq!(wait(tx).0, 0);
        }
        // Late reports of the jobs the backend held change nothing.
        for t in held {
            crate::offload::complete(t, Outcome::Done { result: 1 });
        }
        assert_eq!(s.calls.load(Ordering::Acquire), 16);
        assert!(dsts.iter().all(|d| *d == src));
        registry::set_policy(saved);
        Ok(())
    }

    /// Copies every job inside `submit`, reports it, and counts it.
    struct Counting {
        jobs: AtomicU32,
    }

    impl Backend for Counting {
        fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
            let src = *job.srcs.first().ok_or(Refusal::Gone)?;
            // SAFETY: Kernel virtual addresses of a copy the layer gave
            // this backend (no device), not yet reported.
            unsafe {
                ptr::copy_nonoverlapping(
                    src as usize as *const u8,
                    job.dst as usize as *mut u8,
                    job.len as usize,
                )
            };
            self.jobs.fetch_add(1, Ordering::Relaxed);
            crate::offload::complete(job.ticket, Outcome::Done { result: 0 });
            Ok(())
        }
    }

    /// Runs 4 copies of 4 KiB; how many of them `c` took, or `u32::MAX`
    /// if one failed or came out wrong.
    fn copies_taken(c: &Counting) -> u32 {
        let before = c.jobs.load(Ordering::Relaxed);
        let src = buf(4096, 21);
        for _ in 0..4 {
            let mut dst = buf(4096, 0);
            // SAFETY: As above.
            let tx = unsafe {
                capi::lbdx_async_memcpy(dst.as_mut_ptr().cast(), src.as_ptr().cast(), 4096, &SYNC)
            };
            if wait(tx).0 != 0 || dst != src {
                // Not a count any phase expects.
                return u32::MAX;
            }
        }
        c.jobs.load(Ordering::Relaxed) - before
    }

    /// Registers a [`Counting`] backend named `name` that only copies.
    fn counting_copier(name: &[u8]) -> Result<(Arc<Counting>, Registration)> {
        let counting = Arc::new(
            Counting {
                jobs: AtomicU32::new(0),
            },
            GFP_KERNEL,
        )?;
        let ops: Arc<dyn Backend> = counting.clone();
        let mut desc = fake_desc(name);
        desc.caps.ops = OpSet::COPY;
        Ok((counting, Registration::new(desc, ops)?))
    }

    #[test]
    fn backends_are_selected_by_the_state_they_report() -> Result {
        let saved = registry::policy();
        registry::set_policy(Policy::EarliestCompletion);
        let (counting, reg) = counting_copier(b"kunit-events")?;
        let id = reg.id();
        let r = reg.reporter();
        let health = || registry::report(id).map(|r| r.health);
        // With the estimate it registered with (2^50 B/s, no cost) nothing
        // is faster for the first copy; the estimate then learns from its
        // completions (on a slow kernel the CPU may win the next ones), so
        // it is set again before each phase that expects copies. Nothing
        // is asserted while the backend is registered: a failed assertion
        // ends the test at once.
        let first = copies_taken(&counting);
        r.report(Event::Halted);
        let halted = (health(), copies_taken(&counting));
        r.report(Event::Running);
        let running_health = health();
        r.report(Event::Bandwidth(1 << 50));
        let running = copies_taken(&counting);
        r.report(Event::Bandwidth(1));
        let slow = (
            registry::report(id).map(|r| r.bandwidth),
            copies_taken(&counting),
        );
        r.report(Event::Bandwidth(1 << 50));
        r.report(Event::Dead);
        r.report(Event::Running);
        let dead = (health(), copies_taken(&counting));
        drop(reg);
        // A reporter outlives its registration; what it says is ignored.
        r.report(Event::Running);
        let gone = registry::report(id).is_none();
        registry::set_policy(saved);
        assert!((1..=4).contains(&first));
        assert_eq!(halted, (Some("halted"), 0));
        assert_eq!(running_health, Some("healthy"));
        assert!((1..=4).contains(&running));
        assert_eq!(slow, (Some(1), 0));
        assert_eq!(dead, (Some("dead"), 0));
        assert!(gone);
        Ok(())
    }

    #[test]
    fn the_drive_cost_is_learnt_unless_the_operator_set_one() -> Result {
        use crate::offload::drive_estimate::{GAIN, WINDOW};
        let saved = registry::policy();
        registry::set_policy(Policy::EarliestCompletion);
        let others = registry::ids();
        let cpu = registry::find(b"cpu").ok_or(ENODEV)?;
        let (counting, reg) = counting_copier(b"kunit-drive")?;
        let id = reg.id();
        let r = reg.reporter();
        let costs = || registry::report(id).map(|r| (r.drive_cost_ns, r.drive_cost_learnt_ns));
        let w = u64::from(WINDOW);
        // Nothing is asserted while the backend is registered (a failed
        // assertion ends the test at once) or others are disabled.
        let at_registration = costs();
        // Handling reported by the driver: 50 us a job, then 100 us.
        r.report(Event::Handling {
            ns: 50_000 * w,
            jobs: WINDOW,
        });
        let learnt = costs();
        let fixed = registry::set_drive_cost(id, Some(7));
        r.report(Event::Handling {
            ns: 100_000 * w,
            jobs: WINDOW,
        });
        let while_fixed = costs();
        let moved = 50_000 + 50_000 / GAIN;
        // Only this backend may run copies: each of its submissions is
        // timed, and a window of them adds a submission part.
        let mut disabled = Ok(());
        for o in others.iter() {
            disabled = disabled.and(registry::set_enabled(*o, false));
        }
        let mut taken = 0;
        for _ in 0..w / 4 {
            taken += copies_taken(&counting);
        }
        for o in others.iter() {
            let _ = registry::set_enabled(*o, true);
        }
        let with_submissions = costs();
        let auto = registry::set_drive_cost(id, None);
        let back_to_auto = costs();
        drop(reg);
        let cpu_fixed = registry::set_drive_cost(cpu, Some(1));
        let cpu_auto = registry::set_drive_cost(cpu, None);
        let cpu_costs = registry::report(cpu).map(|r| r.drive_cost_ns);
        registry::set_policy(saved);
        assert_eq!(at_registration, Some((0, 0)));
        assert_eq!(learnt, Some((50_000, 50_000)));
        assert!(fixed.is_ok());
        assert_eq!(while_fixed, Some((7, moved)));
        assert!(disabled.is_ok());
        assert_eq!(taken, WINDOW);
        let (drive, with_sub) = with_submissions.ok_or(ENODEV)?;
        assert_eq!(drive, 7);
        // A submission takes some time.
        assert!(with_sub > moved);
        assert_eq!(auto.map(|()| back_to_auto), Ok(Some((with_sub, with_sub))));
        assert_eq!(cpu_fixed, Err(EINVAL));
        assert!(cpu_auto.is_ok());
        assert_eq!(cpu_costs, Some(0));
        Ok(())
    }

    #[test]
    fn dependents_start_after_success_and_cancel_after_failure() -> Result {
        let saved = registry::policy();
        let a = buf(4096, 9);
        let mut b = buf(4096, 0);
        let mut c = buf(4096, 0);
        // b = a, then c = b: the second depends on the first.
        // SAFETY: As above.
        let t1 = unsafe {
            capi::lbdx_async_memcpy(b.as_mut_ptr().cast(), a.as_ptr().cast(), 4096, ptr::null())
        };
        let dep = LbdxSubmit { depend: t1, ..SYNC };
        // SAFETY: As above.
        let t2 = unsafe {
            capi::lbdx_async_memcpy(c.as_mut_ptr().cast(), b.as_ptr().cast(), 4096, &dep)
        };
        assert_eq!(wait(t2).0, 0);
        assert_eq!(wait(t1).0, 0);
        assert!(c == a);

        // With no backend allowed, a request fails with EIO and its
        // dependent is cancelled without running.
        let cpu = registry::find(b"cpu").ok_or(ENODEV)?;
        registry::set_policy(Policy::CpuOnly);
        assert!(registry::set_enabled(cpu, false).is_ok());
        let mut d = zeros(64);
        // SAFETY: As above.
        let t3 = unsafe { capi::lbdx_async_fill(d.as_mut_ptr().cast(), 1, 64, ptr::null()) };
        let s = seen()?;
        let dep = LbdxSubmit {
            depend: t3,
            ..with_callback(&s)
        };
        // SAFETY: As above.
        let t4 = unsafe { capi::lbdx_async_fill(d.as_mut_ptr().cast(), 2, 64, &dep) };
        assert!(registry::set_enabled(cpu, true).is_ok());
        assert_eq!(wait(t3).0, EIO.to_errno());
        assert_eq!(wait(t4).0, ECANCELED.to_errno());
        assert_eq!(s.calls.load(Ordering::Acquire), 1);
        assert!(d.iter().all(|x| *x == 0));
        registry::set_policy(saved);
        Ok(())
    }

    /// A copy a backend holds: ticket, destination, source, length.
    type HeldCopy = (Ticket, u64, u64, u32);

    /// Holds at most two copies and refuses more as busy; `release` does
    /// the held ones and reports them.
    struct Small {
        held: Pin<KBox<SpinLockIrq<KVec<HeldCopy>>>>,
    }

    impl Backend for Small {
        fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
            let mut held = self.held.lock();
            let src = *job.srcs.first().ok_or(Refusal::Gone)?;
            if held.len() >= 2 {
                return Err(Refusal::Busy);
            }
            held.push((job.ticket, job.dst, src, job.len), GFP_ATOMIC)
                .map_err(|_| Refusal::Busy)
        }
    }

    impl Small {
        /// Copies and reports what it holds; how many.
        fn release(&self) -> usize {
            let held = core::mem::take(&mut *self.held.lock());
            for (t, dst, src, len) in held.iter() {
                // SAFETY: Kernel virtual addresses of a copy the layer
                // gave this backend (no device), not yet reported.
                unsafe {
                    ptr::copy_nonoverlapping(
                        *src as usize as *const u8,
                        *dst as usize as *mut u8,
                        *len as usize,
                    )
                };
                crate::offload::complete(*t, Outcome::Done { result: 0 });
            }
            held.len()
        }
    }

    /// `n` copies of 4 KiB (source pattern `seed`) submitted, with a
    /// counting callback, to a [`Small`] backend registered as `name`
    /// while every other backend is disabled and the policy is
    /// earliest-completion. [`SmallRun::end`] puts everything back.
    struct SmallRun {
        saved: Policy,
        others: KVec<crate::offload::backend_select::BackendId>,
        small: Arc<Small>,
        reg: Registration,
        seen: KBox<Seen>,
        src: KVec<u8>,
        dsts: KVec<KVec<u8>>,
        txs: KVec<*mut Req>,
    }

    impl SmallRun {
        fn start(name: &[u8], n: usize, seed: u8) -> Result<Self> {
            let saved = registry::policy();
            registry::set_policy(Policy::EarliestCompletion);
            let others = registry::ids();
            for id in others.iter() {
                registry::set_enabled(*id, false)?;
            }
            let held = KBox::pin_init(new_spinlock_irq!(KVec::new()), GFP_KERNEL)?;
            let small = Arc::new(Small { held }, GFP_KERNEL)?;
            let ops: Arc<dyn Backend> = small.clone();
            let reg = Registration::new(fake_desc(name), ops)?;
            let seen = seen()?;
            let sub = with_callback(&seen);
            let src = buf(4096, seed);
            let mut dsts = KVec::new();
            let mut txs = KVec::new();
            for _ in 0..n {
                let mut d = buf(4096, 0);
                // SAFETY: As above; `d` is kept in `dsts` until the end.
                let tx = unsafe {
                    capi::lbdx_async_memcpy(d.as_mut_ptr().cast(), src.as_ptr().cast(), 4096, &sub)
                };
                dsts.push(d, GFP_KERNEL)?;
                txs.push(tx, GFP_KERNEL)?;
            }
            Ok(Self {
                saved,
                others,
                small,
                reg,
                seen,
                src,
                dsts,
                txs,
            })
        }

        fn calls(&self) -> u32 {
            self.seen.calls.load(Ordering::Acquire)
        }

        /// Releases the backend's copies until `n` callbacks ran (at most
        /// 20 rounds).
        fn release_until(&self, n: u32) {
            let mut rounds = 0;
            while self.calls() < n && rounds < 20 {
                self.small.release();
                rounds += 1;
            }
        }

        /// Re-enables the other backends, waits for every copy, unregisters
        /// the backend and restores the policy; then how it ended.
        fn end(self) -> Ended {
            for id in self.others.iter() {
                let _ = registry::set_enabled(*id, true);
            }
            let failed = self.txs.into_iter().filter(|tx| wait(*tx).0 != 0).count();
            drop(self.reg);
            registry::set_policy(self.saved);
            Ended {
                failed,
                calls: self.seen.calls.load(Ordering::Acquire),
                status: self.seen.status.load(Ordering::Acquire),
                intact: self.dsts.iter().all(|d| *d == self.src),
            }
        }
    }

    /// How a [`SmallRun`] ended: copies failed, callbacks run, the last
    /// callback's status, whether every destination equals the source.
    struct Ended {
        failed: usize,
        calls: u32,
        status: u32,
        intact: bool,
    }

    #[test]
    fn a_full_backend_makes_requests_wait_not_fail() -> Result {
        // A burst of 8 on a backend with room for 2, nothing else enabled.
        let run = SmallRun::start(b"kunit-small", 8, 11)?;
        assert!(run.txs.iter().all(|tx| !is_err(*tx)));
        // Each release makes room: the waiting ones are retried.
        run.release_until(8);
        let r = registry::report(run.reg.id()).ok_or(ENODEV);
        // Everything back as it was before any assertion can return.
        let e = run.end();
        let r = r?;
        assert_eq!(e.failed, 0);
        assert_eq!(e.calls, 8);
        assert_eq!(e.status, 0);
        assert!(e.intact);
        // Two taken at first, the other six refused as busy at least once.
        assert!(r.stats.busy >= 6);
        assert_eq!(r.stats.errors, 0);
        assert_eq!(r.stats.in_flight, 0);
        assert_eq!(r.stats.requests, 8 + r.stats.busy);
        Ok(())
    }

    #[test]
    fn requests_waiting_on_a_halted_backend_wait_until_it_runs_again() -> Result {
        // 4 on a backend with room for 2: two held, two waiting for room.
        let run = SmallRun::start(b"kunit-halting", 4, 13)?;
        // It halts, then finishes what it held: the two waiting must not
        // fail for want of a backend, nor run on the halted one.
        run.reg.reporter().report(Event::Halted);
        let first = run.small.release();
        let while_halted = run.calls();
        let held_while_halted = run.small.held.lock().len();
        // Running again: the waiting ones are retried and taken.
        run.reg.reporter().report(Event::Running);
        run.release_until(4);
        let e = run.end();
        assert_eq!(first, 2);
        assert_eq!(while_halted, 2);
        assert_eq!(held_while_halted, 0);
        assert_eq!(e.failed, 0);
        assert_eq!(e.calls, 4);
        assert!(e.intact);
        Ok(())
    }

    #[test]
    fn an_attempt_never_reported_ends_at_its_deadline() -> Result {
        use crate::offload::deadline;
        let saved = registry::policy();
        registry::set_policy(Policy::EarliestCompletion);
        // A short floor: the scan runs every 100 ms.
        let floor = deadline::set_floor_ns(50_000_000);
        let tickets = KBox::pin_init(new_spinlock_irq!(KVec::new()), GFP_KERNEL)?;
        let holding = Arc::new(Holding { tickets }, GFP_KERNEL)?;
        let ops: Arc<dyn Backend> = holding.clone();
        let reg = Registration::new(fake_desc(b"kunit-silent"), ops)?;
        let s = seen()?;
        let src = buf(65536, 13);
        let mut dst = buf(65536, 0);
        // SAFETY: As above; `dst` is kept until the end.
        let tx = unsafe {
            capi::lbdx_async_memcpy(
                dst.as_mut_ptr().cast(),
                src.as_ptr().cast(),
                65536,
                &with_callback(&s),
            )
        };
        let held = core::mem::take(&mut *holding.tickets.lock());
        // Given up on within 2 s (old code: never), then done elsewhere.
        let mut waited = 0;
        // SAFETY: A live handle.
        while unsafe { capi::__lbdx_tx_status(tx) } != 0 && waited < 200 {
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(10));
            waited += 1;
        }
        let r = registry::report(reg.id()).ok_or(ENODEV);
        // The late report changes nothing.
        for t in held.iter() {
            crate::offload::complete(*t, Outcome::Done { result: 1 });
        }
        drop(reg);
        deadline::set_floor_ns(floor);
        registry::set_policy(saved);
        assert_eq!(held.len(), 1);
        assert_eq!(wait(tx).0, 0);
        assert!(waited < 200);
        assert_eq!(s.calls.load(Ordering::Acquire), 1);
        assert!(dst == src);
        let r = r?;
        assert_eq!(r.stats.errors, 1);
        assert_eq!(r.stats.in_flight, 0);
        Ok(())
    }

    #[test]
    fn rust_api_runs_every_operation_and_checks_lengths() {
        use crate::offload::sync_ops;
        // Not 20000: the fault device set stalls the first 20000-byte
        // copy of two engines for 24-dxe-reset-faults.sh, and this test
        // runs again whenever that test loads lbdx.
        let a = buf(12345, 1);
        let b = buf(12345, 2);
        let mut d = zeros(12345);
        assert!(sync_ops::copy(&mut d, &a).is_ok());
        assert!(d == a);
        assert!(sync_ops::xor(&mut d, &[&a, &b]).is_ok());
        assert!(d
            .iter()
            .zip(a.iter().zip(b.iter()))
            .all(|(x, (p, q))| *x == p ^ q));
        assert_eq!(sync_ops::xor_nonzero(&[&a, &b, &d]), Ok(false));
        assert_eq!(sync_ops::xor_nonzero(&[&a, &b]), Ok(true));
        assert!(sync_ops::fill(&mut d, 0x0101_0101_0101_0101).is_ok());
        assert!(d.iter().all(|x| *x == 1));
        let mut short = zeros(100);
        assert_eq!(sync_ops::copy(&mut short, &a), Err(EINVAL));
        assert_eq!(sync_ops::xor(&mut short, &[&a]), Err(EINVAL));
        let mut on_stack = [0u8; 64];
        assert_eq!(sync_ops::fill(&mut on_stack, 7), Err(EINVAL));
        assert!(short.iter().all(|x| *x == 0));
    }

    /// Static data of this module, for a refused source.
    static MODULE_DATA: [u8; 64] = [0; 64];

    #[test]
    fn bad_arguments_are_refused_and_change_nothing() {
        let saved = registry::policy();
        let a = buf(256, 1);
        let mut b = zeros(256);
        let einval = EINVAL.to_errno() as isize;
        let on_stack = [0u8; 64];
        let ap = a.as_ptr().cast::<c_void>();
        let bp = b.as_mut_ptr().cast::<c_void>();
        let mut c = zeros(256);
        let cp = c.as_mut_ptr().cast::<c_void>();
        let coefs = [1u8; 65];
        let srcs = [ap.cast_mut(), ap.cast_mut()];
        let too_many = [ap.cast_mut(); 65];
        // SAFETY: Every call has at least one bad argument and is refused
        // before any buffer is touched.
        let refused = unsafe {
            [
                capi::lbdx_async_memcpy(bp, ap, 0, ptr::null()),
                capi::lbdx_async_memcpy(ptr::null_mut(), ap, 16, ptr::null()),
                capi::lbdx_async_memcpy(
                    bp,
                    bp.cast_const().cast::<u8>().add(8).cast(),
                    16,
                    ptr::null(),
                ),
                capi::lbdx_async_memcpy(bp, on_stack.as_ptr().cast(), 64, ptr::null()),
                // Static data of the kernel image (the zero page) and of
                // this module: outside the part of the linear map that
                // is for DMA.
                capi::lbdx_async_memcpy(
                    bp,
                    ptr::addr_of!(kernel::bindings::empty_zero_page).cast(),
                    64,
                    ptr::null(),
                ),
                capi::lbdx_async_memcpy(bp, ptr::addr_of!(MODULE_DATA).cast(), 64, ptr::null()),
                capi::lbdx_async_memcpy(bp, ap, (1 << 30) + 1, ptr::null()),
                capi::lbdx_async_xor(bp, srcs.as_ptr(), 1, 64, ptr::null()),
                capi::lbdx_async_xor(bp, too_many.as_ptr(), 65, 64, ptr::null()),
                capi::lbdx_async_xor(ap.cast_mut(), srcs.as_ptr(), 2, 64, ptr::null()),
                capi::lbdx_async_xor_val(ptr::null(), 2, 64, ptr::null()),
                capi::lbdx_async_pq(bp, cp, srcs.as_ptr(), coefs.as_ptr(), 0, 64, 0, ptr::null()),
                capi::lbdx_async_pq(
                    bp,
                    cp,
                    too_many.as_ptr(),
                    coefs.as_ptr(),
                    65,
                    64,
                    0,
                    ptr::null(),
                ),
                capi::lbdx_async_pq(bp, cp, srcs.as_ptr(), ptr::null(), 2, 64, 0, ptr::null()),
                capi::lbdx_async_pq(
                    ptr::null_mut(),
                    ptr::null_mut(),
                    srcs.as_ptr(),
                    coefs.as_ptr(),
                    2,
                    64,
                    0,
                    ptr::null(),
                ),
                capi::lbdx_async_pq(
                    ap.cast_mut(),
                    cp,
                    srcs.as_ptr(),
                    coefs.as_ptr(),
                    2,
                    64,
                    0,
                    ptr::null(),
                ),
                capi::lbdx_async_pq(bp, bp, srcs.as_ptr(), coefs.as_ptr(), 2, 64, 0, ptr::null()),
                capi::lbdx_async_pq(bp, cp, srcs.as_ptr(), coefs.as_ptr(), 2, 64, 2, ptr::null()),
                capi::lbdx_async_pq(
                    bp,
                    on_stack.as_ptr().cast_mut().cast(),
                    srcs.as_ptr(),
                    coefs.as_ptr(),
                    2,
                    64,
                    0,
                    ptr::null(),
                ),
                capi::lbdx_async_pq_val(bp, cp, ptr::null(), coefs.as_ptr(), 2, 64, ptr::null()),
                capi::lbdx_async_pq_val(
                    ptr::null(),
                    ptr::null(),
                    srcs.as_ptr(),
                    coefs.as_ptr(),
                    2,
                    64,
                    ptr::null(),
                ),
            ]
        };
        for (i, p) in refused.iter().enumerate() {
            assert_eq!((i, *p as isize), (i, einval));
        }
        assert!(b.iter().all(|x| *x == 0));
        assert!(c.iter().all(|x| *x == 0));
        // SAFETY: A valid C string.
        let r = unsafe { capi::lbdx_offload_set_policy(c"fastest".as_char_ptr()) };
        assert_eq!(r, EINVAL.to_errno());
        assert_eq!(registry::policy(), saved);
    }

    /// `a * b` in GF(2^8) with the RAID-6 polynomial 0x11d, bit by bit:
    /// the tests' own reference, independent of the kernel's tables.
    fn gf_mul(mut a: u8, mut b: u8) -> u8 {
        let mut r = 0u8;
        while b != 0 {
            if b & 1 != 0 {
                r ^= a;
            }
            a = (a << 1) ^ if a & 0x80 != 0 { 0x1d } else { 0 };
            b >>= 1;
        }
        r
    }

    /// P and Q of `len` bytes at `off` of `srcs` with `coefs`.
    fn reference_pq(
        srcs: &[KVec<u8>],
        coefs: &[u8],
        off: usize,
        len: usize,
    ) -> (KVec<u8>, KVec<u8>) {
        let (mut p, mut q) = (zeros(len), zeros(len));
        for i in 0..len.min(p.len()).min(q.len()) {
            for (s, c) in srcs.iter().zip(coefs) {
                let x = s.get(off + i).copied().unwrap_or(0);
                p[i] ^= x;
                q[i] ^= gf_mul(*c, x);
            }
        }
        (p, q)
    }

    /// `n` buffers of `len` bytes, each its own pattern.
    fn sources(n: usize, len: usize) -> KVec<KVec<u8>> {
        (0..n).fold(KVec::new(), |mut v, k| {
            let _ = v.push(buf(len, 0x40 + k as u8 * 13), GFP_KERNEL);
            v
        })
    }

    /// Pointers at `off` into each of `srcs`.
    fn pointers(srcs: &[KVec<u8>], off: usize) -> [*mut c_void; 8] {
        let mut ptrs = [ptr::null_mut::<c_void>(); 8];
        for (p, s) in ptrs.iter_mut().zip(srcs) {
            *p = s.as_ptr().wrapping_add(off).cast_mut().cast();
        }
        ptrs
    }

    /// `lbdx_async_pq()` of `ptrs[..n]` into `p` and `q` (null: not
    /// computed), waited for: its status.
    fn pq(
        p: *mut u8,
        q: *mut u8,
        ptrs: &[*mut c_void],
        coefs: &[u8],
        len: usize,
        flags: u32,
    ) -> i32 {
        let n = ptrs.len().min(coefs.len()) as u32;
        // SAFETY: The tests pass kmalloc buffers of `len` bytes (or null)
        // that they keep until the wait.
        let tx = unsafe {
            capi::lbdx_async_pq(
                p.cast(),
                q.cast(),
                ptrs.as_ptr(),
                coefs.as_ptr(),
                n,
                len,
                flags,
                &SYNC,
            )
        };
        wait(tx).0
    }

    /// `lbdx_async_pq_val()`, waited for: status and result.
    fn pq_val(
        p: *const u8,
        q: *const u8,
        ptrs: &[*mut c_void],
        coefs: &[u8],
        len: usize,
    ) -> (i32, u32) {
        let n = ptrs.len().min(coefs.len()) as u32;
        // SAFETY: As for `pq`.
        let tx = unsafe {
            capi::lbdx_async_pq_val(
                p.cast(),
                q.cast(),
                ptrs.as_ptr(),
                coefs.as_ptr(),
                n,
                len,
                &SYNC,
            )
        };
        wait(tx)
    }

    #[test]
    fn pq_requests_match_a_bytewise_reference() {
        // 4 aligned sources of 4 KiB with the standard coefficients (the
        // kernel's raid6_gen_syndrome), then 5 misaligned ones of 1001 bytes
        // with arbitrary coefficients (the table loop).
        let cases: [(usize, usize, &[u8]); 2] =
            [(4096, 0, &[1, 2, 4, 8]), (1001, 3, &[7, 0x53, 1, 0, 0xff])];
        for (len, off, coefs) in cases {
            let n = coefs.len();
            let srcs = sources(n, len + off);
            let ptrs = pointers(&srcs, off);
            let ptrs = &ptrs[..n];
            let (want_p, want_q) = reference_pq(&srcs, coefs, off, len);
            // Written over whatever P and Q held.
            let (mut p, mut q) = (buf(len + off, 9), buf(len + off, 10));
            let (pp, qp) = (
                p.as_mut_ptr().wrapping_add(off),
                q.as_mut_ptr().wrapping_add(off),
            );
            assert_eq!(pq(pp, qp, ptrs, coefs, len, 0), 0);
            assert!(p[off..] == want_p[..] && q[off..] == want_q[..]);
            // Validation: both right, then each wrong, then both.
            assert_eq!(pq_val(pp, qp, ptrs, coefs, len), (0, 0));
            p[off + len / 2] ^= 1;
            assert_eq!(pq_val(pp, qp, ptrs, coefs, len), (0, 1));
            assert_eq!(pq_val(ptr::null(), qp, ptrs, coefs, len), (0, 0));
            q[off + len - 1] ^= 0x80;
            assert_eq!(pq_val(pp, qp, ptrs, coefs, len), (0, 3));
            assert_eq!(pq_val(ptr::null(), qp, ptrs, coefs, len), (0, 2));
            // In two parts: the first two sources, then the rest added.
            let (mut p2, mut q2) = (buf(len + off, 11), buf(len + off, 12));
            let (pp2, qp2) = (
                p2.as_mut_ptr().wrapping_add(off),
                q2.as_mut_ptr().wrapping_add(off),
            );
            assert_eq!(pq(pp2, qp2, &ptrs[..2], &coefs[..2], len, 0), 0);
            assert_eq!(pq(pp2, qp2, &ptrs[2..], &coefs[2..], len, 1), 0);
            assert!(p2[off..] == want_p[..] && q2[off..] == want_q[..]);
            // Q alone; P left as it was.
            let mut q3 = zeros(len + off);
            let q3p = q3.as_mut_ptr().wrapping_add(off);
            assert_eq!(pq(ptr::null_mut(), q3p, ptrs, coefs, len, 0), 0);
            assert!(q3[off..] == want_q[..] && q3[..off].iter().all(|x| *x == 0));
        }
    }

    /// What a P+Q backend saw of its jobs.
    struct PqSeen {
        jobs: u32,
        coefs: [u8; 8],
        q_set: bool,
        accumulate: bool,
    }

    /// Offers only P+Q and its validation: records each job, fails every
    /// P+Q (the layer fails it over to the CPU) and answers every
    /// validation with all bits set but the lowest.
    struct PqRecorder {
        seen: Pin<KBox<SpinLockIrq<PqSeen>>>,
    }

    impl Backend for PqRecorder {
        fn submit(&self, job: &Job<'_>) -> Result<(), Refusal> {
            {
                let mut s = self.seen.lock();
                s.jobs += 1;
                for (d, c) in s.coefs.iter_mut().zip(job.coefs) {
                    *d = *c;
                }
                s.q_set = job.q != 0;
                s.accumulate = job.accumulate;
            }
            let outcome = match job.op {
                Op::PqVal => Outcome::Done { result: !1 },
                _ => Outcome::Failed,
            };
            crate::offload::complete(job.ticket, outcome);
            Ok(())
        }
    }

    #[test]
    fn a_pq_backend_gets_q_and_coefficients_and_fails_over_to_the_cpu() -> Result {
        let saved = registry::policy();
        registry::set_policy(Policy::EarliestCompletion);
        let seen = KBox::pin_init(
            new_spinlock_irq!(PqSeen {
                jobs: 0,
                coefs: [0; 8],
                q_set: false,
                accumulate: false,
            }),
            GFP_KERNEL,
        )?;
        let rec = Arc::new(PqRecorder { seen }, GFP_KERNEL)?;
        let ops: Arc<dyn Backend> = rec.clone();
        let mut desc = fake_desc(b"kunit-pq");
        desc.caps.ops = OpSet::PQ.with(OpSet::PQ_VAL);
        let reg = Registration::new(desc, ops)?;
        let coefs = [3u8, 5, 0x8e];
        let srcs = sources(3, 8192);
        let ptrs = pointers(&srcs, 0);
        let (want_p, want_q) = reference_pq(&srcs, &coefs, 0, 8192);
        let (mut p, mut q) = (zeros(8192), zeros(8192));
        assert_eq!(
            pq(p.as_mut_ptr(), q.as_mut_ptr(), &ptrs[..3], &coefs, 8192, 1),
            0
        );
        assert!(p == want_p && q == want_q);
        {
            let s = rec.seen.lock();
            assert!(s.jobs >= 1 && s.q_set && s.accumulate);
            assert_eq!(&s.coefs[..3], &coefs[..]);
        }
        let r = registry::report(reg.id()).ok_or(ENODEV)?;
        assert!(r.stats.errors >= 1);
        // The backend's answer, limited to the P and Q bits.
        assert_eq!(
            pq_val(p.as_ptr(), q.as_ptr(), &ptrs[..3], &coefs, 8192),
            (0, 2)
        );
        drop(reg);
        registry::set_policy(saved);
        Ok(())
    }
}
