// SPDX-License-Identifier: GPL-2.0

//! Property tests of the driver's 64-bit statistics counter
//! (`drivers/lbdx/hlb/stat_counter.rs`): fed a 32-bit device counter that
//! wraps and is restarted, read at least once per 2^32 counts as the driver
//! does, it shows exactly the counts since the last reset.

use lbdx_logic::hlb::stat_counter::Folded;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// The device counts `n` (wrapping its 32-bit register), then the
    /// driver reads it.
    Count(u32),
    /// The device counts `n` without the driver reading.
    CountUnread(u16),
    /// The driver reads, the device restarts the register (a drain or a
    /// port reset), the driver is told.
    Restart,
    /// The driver reads with nothing counted.
    Read,
    /// The statistics are reset.
    Reset,
    /// The driver counts `n` itself.
    Add(u16),
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        // Below 2^32 with what up to 200 unread counts add.
        4 => (0..u32::MAX - (1 << 24)).prop_map(Op::Count),
        2 => any::<u16>().prop_map(Op::CountUnread),
        1 => Just(Op::Restart),
        1 => Just(Op::Read),
        1 => Just(Op::Reset),
        1 => any::<u16>().prop_map(Op::Add),
    ]
}

proptest! {
    #[test]
    fn value_is_the_counts_since_reset(ops in prop::collection::vec(any_op(), 1..200)) {
        let mut c = Folded::default();
        let mut reg: u32 = 0;
        // Truth, counted independently.
        let (mut since_reset, mut total) = (0u64, 0u64);
        for op in ops {
            match op {
                Op::Count(n) => {
                    reg = reg.wrapping_add(n);
                    since_reset += u64::from(n);
                    total += u64::from(n);
                    c.update(reg);
                }
                Op::CountUnread(n) => {
                    reg = reg.wrapping_add(n.into());
                    since_reset += u64::from(n);
                    total += u64::from(n);
                }
                Op::Restart => {
                    c.update(reg);
                    reg = 0;
                    c.restarted();
                }
                Op::Read => c.update(reg),
                Op::Reset => {
                    c.update(reg);
                    c.reset();
                    since_reset = 0;
                }
                Op::Add(n) => {
                    c.add(n.into());
                    since_reset += u64::from(n);
                    total += u64::from(n);
                }
            }
        }
        c.update(reg);
        prop_assert_eq!(c.value(), since_reset);
        prop_assert_eq!(c.total(), total);
    }
}

/// A counter read without being told of a restart sees the drop to 0 as a
/// wrap: the property above depends on [`Folded::restarted`].
#[test]
fn an_unannounced_restart_is_a_wrap() {
    let mut c = Folded::default();
    c.update(10);
    c.update(0);
    assert_eq!(c.value(), 1 << 32);
}
