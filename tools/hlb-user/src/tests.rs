// SPDX-License-Identifier: GPL-2.0

//! Host tests of the port logic against the simulated device: delivery,
//! credits (never NoCredit, ENOSPC when out, recovery), token batching,
//! generation wrap, full QE ring, blocking dequeue, forwarding rules and
//! the pipeline (also while workers are relinked).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hlb_sched::{DirPortConfig, DomainConfig, LdbPortConfig, QueueConfig};

use crate::pipeline;
use crate::relink::relink_until;
use crate::sim::SimDevice;
use crate::xstats::Target;
use crate::{Event, PortConfig, PortType, SchedType, Timeout};

fn cfg(ldb_credits: u32, dir_credits: u32, dir_depth: u32) -> DomainConfig {
    DomainConfig {
        ldb_credits,
        dir_credits,
        queues: vec![
            QueueConfig {
                id: 3,
                atomic_inflights: 64,
                ..QueueConfig::default()
            },
            QueueConfig {
                id: 4,
                sn_count: 64,
                ..QueueConfig::default()
            },
        ],
        ldb_ports: (0..4)
            .map(|i| LdbPortConfig {
                id: 10 + i,
                cq_depth: 16,
                depth_threshold: 1,
                hl_size: 16,
                links: vec![(3, 0), (4, 0)],
            })
            .collect(),
        dir_ports: vec![
            DirPortConfig {
                id: 1,
                cq_depth: dir_depth,
                depth_threshold: 0,
            },
            DirPortConfig {
                id: 2,
                cq_depth: dir_depth,
                depth_threshold: 0,
            },
        ],
    }
}

fn dir_ev(to: u8, i: u64) -> Event {
    Event {
        data: 0x1000 + i,
        opaque: i as u16 ^ 0x5a5a,
        queue: to,
        sched: SchedType::Directed,
        priority: 0,
        flow: 7,
    }
}

fn drain(p: &mut crate::Port, dev: &SimDevice) -> Vec<Event> {
    let mut all = Vec::new();
    let mut buf = [Event::default(); 32];
    for _ in 0..64 {
        dev.settle(16);
        let n = p.dequeue_burst(&mut buf, Timeout::NonBlocking).unwrap();
        if n == 0 && p.owed_tokens() == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    all
}

#[test]
fn directed_to_self_and_other_port_intact_in_order() {
    let dev = SimDevice::new(&cfg(64, 64, 32)).unwrap();
    let mut a = dev.attach(PortType::Dir, 1).unwrap();
    let mut b = dev.attach(PortType::Dir, 2).unwrap();
    let evs: Vec<Event> = (0..20).map(|i| dir_ev(2, i)).collect();
    assert_eq!(a.enqueue_burst(&evs).unwrap(), 20);
    assert_eq!(a.enqueue_burst(&[dir_ev(1, 99)]).unwrap(), 1);
    let got = drain(&mut b, &dev);
    let want: Vec<Event> = evs.iter().map(|e| Event { queue: 2, ..*e }).collect();
    assert_eq!(got, want);
    assert_eq!(
        drain(&mut a, &dev),
        vec![Event {
            queue: 1,
            ..dir_ev(1, 99)
        }]
    );
    assert!(dev.alarms().is_empty());
}

#[test]
fn attach_refusals() {
    let dev = SimDevice::new(&cfg(64, 64, 32)).unwrap();
    let _a = dev.attach(PortType::Dir, 1).unwrap();
    let e = dev.attach(PortType::Dir, 1).err().unwrap();
    assert_eq!(e.raw_os_error(), Some(libc::EBUSY));
    let e = dev.attach(PortType::Ldb, 1).err().unwrap();
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
    drop(_a);
    dev.attach(PortType::Dir, 1).unwrap();
}

#[test]
fn gen_bit_wraps_many_laps() {
    let dev = SimDevice::new(&cfg(64, 8, 8)).unwrap();
    let mut a = dev.attach(PortType::Dir, 1).unwrap();
    let mut b = dev.attach(PortType::Dir, 2).unwrap();
    let mut buf = [Event::default(); 3];
    let mut next = 0u64;
    for i in 0..200u64 {
        a.enqueue_burst(&[dir_ev(2, i)]).unwrap();
        dev.settle(8);
        if i % 3 == 2 {
            while next <= i {
                let n = b.dequeue_burst(&mut buf, Timeout::NonBlocking).unwrap();
                for e in &buf[..n] {
                    assert_eq!(e.data, 0x1000 + next);
                    next += 1;
                }
                dev.settle(8);
            }
        }
    }
    assert_eq!(b.read_index(), next as u32);
    assert!(dev.alarms().is_empty(), "{:?}", dev.alarms());
}

#[test]
fn credits_enospc_then_recovery_never_nocredit() {
    // 40 DIR credits, quanta 32: the producer can take exactly 40.
    let dev = SimDevice::new(&cfg(64, 40, 64)).unwrap();
    let mut a = dev.attach(PortType::Dir, 1).unwrap();
    let mut b = dev.attach(PortType::Dir, 2).unwrap();
    let evs: Vec<Event> = (0..50).map(|i| dir_ev(2, i)).collect();
    assert_eq!(a.enqueue_burst(&evs).unwrap(), 40);
    let e = a.enqueue_burst(&evs[40..]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
    assert_eq!(dev.credits(), (64, 0));
    dev.settle(8);
    // The device returned the credits on CQ write; the software pool not yet.
    assert_eq!(dev.device_credits().1, 40);
    let mut buf = [Event::default(); 10];
    assert_eq!(b.dequeue_burst(&mut buf, Timeout::NonBlocking).unwrap(), 10);
    assert_eq!(dev.credits().1, 10);
    assert_eq!(a.enqueue_burst(&evs[40..]).unwrap(), 10);
    assert_eq!(
        a.enqueue_burst(&evs[..1]).unwrap_err().raw_os_error(),
        Some(libc::ENOSPC)
    );
    let got = drain(&mut b, &dev);
    assert_eq!(got.len(), 40);
    assert!(dev.alarms().is_empty(), "{:?}", dev.alarms());
    drop(a);
    assert_eq!(dev.credits().1, 40, "a dropped port returns its cache");
}

#[test]
fn cached_credits_come_in_quanta_and_return_on_drop() {
    let dev = SimDevice::new(&cfg(100, 64, 64)).unwrap();
    let mut a = dev.attach(PortType::Dir, 1).unwrap();
    let ev = Event {
        queue: 3,
        sched: SchedType::Unordered,
        ..Event::default()
    };
    assert_eq!(a.enqueue_burst(&[ev]).unwrap(), 1);
    assert_eq!(a.cached_credits(false), 31);
    assert_eq!(dev.credits().0, 68);
    drop(a);
    assert_eq!(dev.credits().0, 99);
}

#[test]
fn tokens_are_batched_and_piggybacked() {
    let dev = SimDevice::new(&cfg(64, 64, 32)).unwrap();
    let mut a = dev.attach(PortType::Dir, 1).unwrap();
    let mut b = dev.attach(PortType::Dir, 2).unwrap();
    let evs: Vec<Event> = (0..10).map(|i| dir_ev(2, i)).collect();
    a.enqueue_burst(&evs).unwrap();
    dev.settle(8);
    let mut buf = [Event::default(); 16];
    assert_eq!(b.dequeue_burst(&mut buf, Timeout::NonBlocking).unwrap(), 10);
    assert_eq!(b.owed_tokens(), 10);
    // Three QEs from b carry three tokens.
    let back: Vec<Event> = (0..3).map(|i| dir_ev(1, i)).collect();
    b.enqueue_burst(&back).unwrap();
    assert_eq!(b.owed_tokens(), 7);
    // The next dequeue returns the other seven in one QE.
    assert_eq!(b.dequeue_burst(&mut buf, Timeout::NonBlocking).unwrap(), 0);
    assert_eq!(b.owed_tokens(), 0);
    dev.settle(8);
    assert!(dev.alarms().is_empty(), "{:?}", dev.alarms());
    assert_eq!(drain(&mut a, &dev).len(), 3);
}

#[test]
fn full_qe_ring_returns_short_then_continues() {
    let dev = SimDevice::new(&cfg(64, 1024, 1024)).unwrap();
    let mut a = dev
        .attach_with(
            PortType::Dir,
            1,
            PortConfig {
                full_ring_wait: Duration::from_millis(1),
                ..PortConfig::default()
            },
        )
        .unwrap();
    let mut b = dev.attach(PortType::Dir, 2).unwrap();
    let evs: Vec<Event> = (0..300).map(|i| dir_ev(2, i)).collect();
    assert_eq!(a.enqueue_burst(&evs).unwrap(), 256);
    let e = a.enqueue_burst(&evs[256..]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    dev.settle(8);
    assert_eq!(a.enqueue_burst(&evs[256..]).unwrap(), 44);
    let got = drain(&mut b, &dev);
    assert_eq!(got.len(), 300);
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, e)| e.data == 0x1000 + i as u64));
    assert!(dev.alarms().is_empty());
}

#[test]
fn forward_and_complete_need_held_events() {
    let dev = SimDevice::new(&cfg(64, 64, 32)).unwrap();
    let mut p = dev.attach(PortType::Ldb, 10).unwrap();
    let ev = Event {
        queue: 4,
        sched: SchedType::Ordered,
        ..Event::default()
    };
    assert_eq!(
        p.forward_burst(&[ev]).unwrap_err().raw_os_error(),
        Some(libc::EINVAL)
    );
    assert_eq!(p.complete(3), 0);
    p.enqueue_burst(&[ev, ev]).unwrap();
    dev.settle(8);
    let mut buf = [Event::default(); 4];
    // Only port 10 is attached, but every linked port may get events:
    // drain them all through the scheduler's choice.
    let mut got = p.dequeue_burst(&mut buf, Timeout::NonBlocking).unwrap();
    let mut others = Vec::new();
    for id in 11..14 {
        let mut q = dev.attach(PortType::Ldb, id).unwrap();
        let n = q.dequeue_burst(&mut buf, Timeout::NonBlocking).unwrap();
        q.complete(n as u32);
        got += n;
        others.push(q);
    }
    assert_eq!(got, 2);
    let held = p.held() as usize;
    assert_eq!(p.release_all(), held);
    assert_eq!(p.held(), 0);
    dev.settle(8);
    assert!(dev.alarms().is_empty(), "{:?}", dev.alarms());
}

#[test]
fn priority_order_on_a_directed_queue() {
    let dev = SimDevice::new(&cfg(64, 64, 64)).unwrap();
    let mut a = dev.attach(PortType::Dir, 1).unwrap();
    let mut b = dev.attach(PortType::Dir, 2).unwrap();
    // Fill b's CQ first? No: the CQ is larger than the burst, so stop the
    // consumer by not stepping the device until every QE is written.
    let evs: Vec<Event> = (0..24u64)
        .map(|i| Event {
            priority: ((i * 5) % 8) as u8,
            ..dir_ev(2, i)
        })
        .collect();
    a.enqueue_burst(&evs).unwrap();
    dev.settle(8);
    let got = drain(&mut b, &dev);
    let mut want = evs.clone();
    want.sort_by_key(|e| e.priority); // stable: FIFO within a priority
    let want: Vec<u64> = want.iter().map(|e| e.data).collect();
    assert_eq!(got.iter().map(|e| e.data).collect::<Vec<_>>(), want);
}

#[test]
fn blocking_dequeue_sleeps_and_wakes() {
    let dev = SimDevice::new(&cfg(64, 64, 32)).unwrap();
    let _run = dev.run();
    let mut a = dev.attach(PortType::Dir, 1).unwrap();
    let mut b = dev.attach(PortType::Dir, 2).unwrap();
    let t = Instant::now();
    let mut buf = [Event::default(); 4];
    assert_eq!(
        b.dequeue_burst(&mut buf, Timeout::After(Duration::from_millis(50)))
            .unwrap(),
        0
    );
    assert!(t.elapsed() >= Duration::from_millis(50));
    let waiter = std::thread::spawn(move || {
        let t = Instant::now();
        let n = b.dequeue_burst(&mut buf, Timeout::Forever).unwrap();
        (n, buf[0], t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    a.enqueue_burst(&[dir_ev(2, 5)]).unwrap();
    let (n, ev, waited) = waiter.join().unwrap();
    assert_eq!(n, 1);
    assert_eq!(ev.data, 0x1005);
    assert!(waited >= Duration::from_millis(150));
    assert!(sent.elapsed() < Duration::from_millis(500));
}

#[test]
fn pipeline_keeps_atomicity_and_order_while_workers_are_relinked() {
    let (dom, pc) = pipeline::sim_config(2, 100_000, 256);
    let dev = SimDevice::new(&dom).unwrap();
    let _run = dev.run();
    let stop = AtomicBool::new(false);
    let links = [(1, 0), (3, 1)];
    let (r, relinks) = std::thread::scope(|s| {
        let relinker = s.spawn(|| relink_until(&dev, &links, Duration::from_millis(1), &stop));
        let r = pipeline::run_with_dump(&pc, |k, id, c| dev.attach_with(k, id, c), || dev.dump());
        stop.store(true, Ordering::Release);
        (r, relinker.join().unwrap())
    });
    let r = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.received, 100_000);
    assert_eq!((r.atomic_violations, r.order_violations), (0, 0));
    assert_eq!((relinks.failed, relinks.first_error), (0, None));
    assert!(relinks.calls >= 4, "{} calls", relinks.calls);
    // Links back as they were, nothing pending after the drain.
    assert_eq!(dev.unlinks_in_progress(1).unwrap(), 0);
    let e = dev.unlink(1, 1).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "p1 never linked q1");
    dev.unlink(1, 0).unwrap();
    assert_eq!(
        dev.unlink(1, 0).unwrap_err().raw_os_error(),
        Some(libc::ENOENT)
    );
}

#[test]
fn pipeline_keeps_atomicity_and_order() {
    let (dom, pc) = pipeline::sim_config(4, 20_000, 256);
    let dev = SimDevice::new(&dom).unwrap();
    let _run = dev.run();
    let r = pipeline::run_with_dump(&pc, |k, id, c| dev.attach_with(k, id, c), || dev.dump())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.received, 20_000);
    assert_eq!(r.atomic_violations, 0);
    assert_eq!(r.order_violations, 0);
    assert_eq!(r.atomic_counts.iter().sum::<u64>(), 20_000);
    assert_eq!(r.ordered_counts.iter().sum::<u64>(), 20_000);
    // Every port, by type and number: 8 LDB workers, producer, consumer.
    let ports: Vec<(PortType, u8)> = r.ports.iter().map(|p| (p.kind, p.id)).collect();
    let mut want: Vec<(PortType, u8)> = (0..8).map(|i| (PortType::Ldb, i)).collect();
    want.extend([(PortType::Dir, 0), (PortType::Dir, 1)]);
    assert_eq!(ports, want);
    for (i, p) in r.ports.iter().enumerate() {
        let (enqueued, dequeued) = match i {
            0..4 => (r.atomic_counts[i], r.atomic_counts[i]),
            4..8 => (r.ordered_counts[i - 4], r.ordered_counts[i - 4]),
            8 => (20_000, 0),
            _ => (0, 20_000),
        };
        assert_eq!((p.enqueued, p.dequeued), (enqueued, dequeued), "{p:?}");
    }
    let all_prio0 = |n| {
        let mut v = [0u64; 8];
        v[0] = n;
        v
    };
    let queues: Vec<(Target, [u64; 8])> = r.queues.iter().map(|(t, v)| (*t, *v)).collect();
    let (ldb, dir) = (PortType::Ldb, PortType::Dir);
    assert_eq!(
        queues,
        [
            (Target { kind: ldb, id: 0 }, all_prio0(20_000)),
            (Target { kind: ldb, id: 1 }, all_prio0(20_000)),
            (Target { kind: dir, id: 1 }, all_prio0(20_000)),
        ]
    );
    let counts = r.counts();
    for line in [
        "dir_port0/enqueued 20000",
        "dir_port0/dequeued 0",
        "dir_port1/dequeued 20000",
        &format!("ldb_port7/dequeued {}", r.ordered_counts[3]),
        "ldb_queue0/enqueued 20000",
        "ldb_queue1/enqueued_prio0 20000",
        "ldb_queue1/enqueued_prio7 0",
        "dir_queue1/enqueued 20000",
    ] {
        assert!(
            counts.lines().any(|l| l == line),
            "{line:?} not in\n{counts}"
        );
    }
    assert_eq!(counts.lines().count(), 10 * 2 + 3 * 9);
    drop(_run);
    assert!(dev.alarms().is_empty(), "{:?}", dev.alarms());
    eprintln!("pipeline on the simulated device: {:.0} events/s", r.rate());
}

/// The deadlock `pipeline_keeps_atomicity_and_order` hit about once in
/// 15 runs, step by step: forwarded events of an ordered queue wait in
/// the reorder buffer holding DIR credits until the oldest sequence
/// number is forwarded; the port that forwarded them must not keep the
/// rest of the DIR credits cached once it is idle, or the port holding
/// the oldest event can never forward it.
#[test]
fn idle_port_gives_credits_back_for_the_oldest_sequence_number() {
    let sn = 64;
    let dom = DomainConfig {
        ldb_credits: 64,
        dir_credits: sn,
        queues: vec![QueueConfig {
            id: 4,
            sn_count: sn,
            ..QueueConfig::default()
        }],
        ldb_ports: (0..2)
            .map(|i| LdbPortConfig {
                id: 10 + i,
                cq_depth: sn / 2,
                depth_threshold: 1,
                hl_size: sn / 2,
                links: vec![(4, 0)],
            })
            .collect(),
        dir_ports: vec![
            DirPortConfig {
                id: 1,
                cq_depth: 8,
                depth_threshold: 0,
            },
            DirPortConfig {
                id: 2,
                cq_depth: 2 * sn,
                depth_threshold: 0,
            },
        ],
    };
    let dev = SimDevice::new(&dom).unwrap();
    let mut prod = dev.attach(PortType::Dir, 1).unwrap();
    let mut cons = dev.attach(PortType::Dir, 2).unwrap();
    // Quanta of a whole pool: one port can take every DIR credit.
    let pc = PortConfig {
        credit_quanta: sn,
        ..PortConfig::default()
    };
    let mut ports = [
        dev.attach_with(PortType::Ldb, 10, pc).unwrap(),
        dev.attach_with(PortType::Ldb, 11, pc).unwrap(),
    ];
    let evs: Vec<Event> = (0..sn as u64)
        .map(|i| Event {
            data: i,
            queue: 4,
            sched: SchedType::Ordered,
            ..Event::default()
        })
        .collect();
    assert_eq!(prod.enqueue_burst(&evs).unwrap(), sn as usize);
    dev.settle(16);
    let mut got = [[Event::default(); 64]; 2];
    for (p, buf) in ports.iter_mut().zip(&mut got) {
        assert_eq!(
            p.dequeue_burst(buf, Timeout::NonBlocking).unwrap(),
            sn as usize / 2
        );
    }
    // `w` holds sequence number 0, `o` the others of its half.
    let w = if got[0][0].data == 0 { 0 } else { 1 };
    let o = 1 - w;
    let fwd = |evs: &[Event]| -> Vec<Event> {
        evs.iter()
            .map(|e| Event {
                queue: 2,
                sched: SchedType::Directed,
                ..*e
            })
            .collect()
    };
    let half = sn as usize / 2;
    assert_eq!(ports[o].forward_burst(&fwd(&got[o][..half])).unwrap(), half);
    dev.settle(16);
    // Its forwards wait in the reorder buffer; it took every DIR credit
    // in one quantum, keeps half of them and has nothing more to do.
    assert_eq!(dev.credits().1, 0);
    let mut buf = [Event::default(); 64];
    assert_eq!(
        ports[o]
            .dequeue_burst(&mut buf, Timeout::NonBlocking)
            .unwrap(),
        0
    );
    // The oldest goes (it failed with ENOSPC for ever when `o` kept them).
    let r = ports[w].forward_burst(&fwd(&got[w][..half]));
    assert_eq!(
        r.map_err(|e| e.raw_os_error()),
        Ok(half),
        "DIR pool {}, cached by the idle port {}",
        dev.credits().1,
        ports[o].cached_credits(true)
    );
    assert_eq!(ports[o].cached_credits(true), 0);
    let out = drain(&mut cons, &dev);
    let seqs: Vec<u64> = out.iter().map(|e| e.data).collect();
    assert_eq!(seqs, (0..sn as u64).collect::<Vec<_>>());
    assert!(dev.alarms().is_empty(), "{:?}", dev.alarms());
}
