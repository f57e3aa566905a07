// SPDX-License-Identifier: GPL-2.0

//! Registration and unregistration of backends, and what sysfs reads and
//! writes: policy, generation, per-backend reports and the `enabled`
//! switch. Unregistration waits for submissions under way, then fails over
//! every attempt the backend still holds.

use super::{
    backend::{Backend, Desc, Outcome},
    backend_select::{BackendDesc, BackendId, Policy},
    fast_path,
    flow::complete,
    layer::{Name, Slot, Stats, LAYER},
};
use kernel::{
    prelude::*,
    sync::Arc,
    time::{delay::fsleep, Delta},
};

/// Sets the selection policy.
pub(crate) fn set_policy(policy: Policy) {
    let mut g = LAYER.lock();
    g.table.set_policy(policy);
    g.refresh();
}

/// The selection policy.
pub(crate) fn policy() -> Policy {
    LAYER.lock().table.policy()
}

/// The registration generation.
pub(crate) fn generation() -> u64 {
    LAYER.lock().table.generation()
}

/// What sysfs shows about one backend.
pub(crate) struct Report {
    /// Counters.
    pub(crate) stats: Stats,
    /// Bytes queued.
    pub(crate) queued: u64,
    /// Bandwidth estimate, bytes per second.
    pub(crate) bandwidth: u64,
    /// Health word.
    pub(crate) health: &'static str,
    /// The operator's switch.
    pub(crate) enabled: bool,
}

/// The report on backend `id`; `None` once it is gone.
pub(crate) fn report(id: BackendId) -> Option<Report> {
    let mut g = LAYER.lock();
    let st = g.table.status(id).ok()?;
    let is_cpu = g.table.desc(id).is_ok_and(|d| d.is_cpu);
    let s = g.slot_mut(id)?;
    let mut stats = s.stats;
    if is_cpu {
        let (requests, bytes) = fast_path::counters();
        stats.requests += requests;
        stats.bytes += bytes;
    }
    let health = if !s.enabled {
        "disabled"
    } else if !s.ops.healthy() {
        "dead"
    } else if st.health != super::backend_select::Health::Healthy {
        "degraded"
    } else {
        "healthy"
    };
    Some(Report {
        stats,
        queued: st.queued,
        bandwidth: st.bandwidth,
        health,
        enabled: s.enabled,
    })
}

/// The backend registered as `name`.
#[cfg(CONFIG_KUNIT)]
pub(crate) fn find(name: &[u8]) -> Option<BackendId> {
    let g = LAYER.lock();
    g.slots
        .iter()
        .flatten()
        .find(|s| s.name.as_bytes() == name)
        .map(|s| s.id)
}

/// Every registered backend.
#[cfg(CONFIG_KUNIT)]
pub(crate) fn ids() -> KVec<BackendId> {
    let g = LAYER.lock();
    let mut v = KVec::new();
    for s in g.slots.iter().flatten() {
        // Room for every slot is small; a failed push leaves one out.
        let _ = v.push(s.id, GFP_ATOMIC);
    }
    v
}

/// Sets the operator's `enabled` switch of backend `id`.
pub(crate) fn set_enabled(id: BackendId, enabled: bool) -> Result {
    let mut g = LAYER.lock();
    g.slot_mut(id).ok_or(ENODEV)?.enabled = enabled;
    g.refresh();
    Ok(())
}

/// Registers a backend; returns its identifier.
pub(crate) fn register(desc: Desc, ops: Arc<dyn Backend>) -> Result<(BackendId, Name)> {
    let name = Name::new(&desc.name)?;
    let mut g = LAYER.lock();
    if g.slots
        .iter()
        .flatten()
        .any(|s| s.name.as_bytes() == name.as_bytes())
    {
        return Err(EEXIST);
    }
    let id = g
        .table
        .register(BackendDesc {
            caps: desc.caps,
            bandwidth: desc.bandwidth,
            request_cost_ns: desc.request_cost_ns,
            is_cpu: desc.is_cpu,
        })
        .map_err(|e| Error::from_errno(-e.errno()))?;
    let slot = Slot {
        id,
        ops,
        dev: desc.dev,
        name,
        stats: Stats::default(),
        submitting: 0,
        closing: false,
        enabled: true,
    };
    match g.slots.get_mut(id.slot()) {
        Some(s) => *s = Some(slot),
        None => {
            let _ = g.table.unregister(id);
            return Err(EINVAL);
        }
    }
    g.refresh();
    Ok((id, name))
}

/// Unregisters backend `id` (process context): selection stops picking it,
/// submissions under way finish, then every attempt it still holds goes
/// back to selection (or completes with `EIO` if no backend is left).
pub(crate) fn unregister(id: BackendId) {
    {
        let mut g = LAYER.lock();
        if let Some(s) = g.slot_mut(id) {
            s.closing = true;
        }
        g.refresh();
    }
    while LAYER.lock().slot_mut(id).is_some_and(|s| s.submitting != 0) {
        fsleep(Delta::from_micros(100));
    }
    let slot = {
        let mut g = LAYER.lock();
        let _ = g.table.unregister(id);
        let slot = g.slots.get_mut(id.slot()).and_then(Option::take);
        g.refresh();
        slot
    };
    // Fail over, one at a time, what the backend still holds. The table no
    // longer knows the backend, so it is never picked again.
    loop {
        let Some(t) = LAYER.lock().any_flight_of(id) else {
            break;
        };
        complete(t, Outcome::Aborted);
    }
    // The backend's last layer reference goes here, in process context.
    drop(slot);
}

/// Replaces the bandwidth estimate of backend `id`.
pub(crate) fn set_bandwidth(id: BackendId, bytes_per_sec: u64) {
    let mut g = LAYER.lock();
    let _ = g.table.set_bandwidth(id, bytes_per_sec);
    g.refresh();
}
