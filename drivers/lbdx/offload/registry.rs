// SPDX-License-Identifier: GPL-2.0

//! Registration and unregistration of backends, and what sysfs reads and
//! writes: policy, generation, per-backend reports and the `enabled`
//! switch. Unregistration waits for submissions under way, then fails over
//! every attempt the backend still holds.

use super::{
    backend::{Backend, Desc, Event, Outcome},
    backend_select::{BackendDesc, BackendId, BackendTable, Policy, SelectError},
    cpu_yield::Mode,
    drive_estimate::DriveEstimate,
    fast_path,
    flow::{complete, retry},
    glue,
    layer::{BackendState, Name, Slot, Stats, LAYER},
};
use kernel::{
    prelude::*,
    sync::Arc,
    time::{delay::fsleep, Delta},
};

/// Sets the selection policy.
pub(crate) fn set_policy(policy: Policy) {
    let waiting = {
        let mut g = LAYER.lock();
        g.table.set_policy(policy);
        g.refresh(glue::now_ns());
        // The policy decides which halted backends a request may wait for.
        g.take_waiting()
    };
    retry(waiting);
}

/// The selection policy.
pub(crate) fn policy() -> Policy {
    LAYER.lock().table.policy()
}

/// The registration generation.
pub(crate) fn generation() -> u64 {
    LAYER.lock().table.generation()
}

/// Whether the CPU backend gives way to the engines now
/// (`BackendTable::cpu_yields`).
pub(crate) fn cpu_yields() -> bool {
    LAYER.lock().table.cpu_yields()
}

/// Bytes per second the layer was measured to deliver in `mode`
/// (`BackendTable::delivered`).
pub(crate) fn delivered(mode: Mode) -> u64 {
    LAYER.lock().table.delivered(mode)
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
    /// Share under the weighted policy.
    pub(crate) weight: u32,
    /// The fixed cost of one request it registered with, nanoseconds.
    pub(crate) request_cost_ns: u64,
    /// CPU time each of its requests takes from the CPU, nanoseconds.
    pub(crate) drive_cost_ns: u64,
    /// The same as learnt from its requests (0 before anything was).
    pub(crate) drive_cost_learnt_ns: u64,
}

/// The report on backend `id`; `None` once it is gone.
pub(crate) fn report(id: BackendId) -> Option<Report> {
    let mut g = LAYER.lock();
    let st = g.table.status(id).ok()?;
    let desc = g.table.desc(id).ok()?;
    let s = g.slot_mut(id)?;
    let mut stats = s.stats;
    if desc.is_cpu {
        let (requests, bytes) = fast_path::counters();
        stats.requests += requests;
        stats.bytes += bytes;
    }
    let health = if !s.enabled {
        "disabled"
    } else if s.state == BackendState::Dead {
        "dead"
    } else if s.state == BackendState::Halted {
        "halted"
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
        weight: st.weight,
        request_cost_ns: desc.request_cost_ns,
        drive_cost_ns: st.drive_ns,
        drive_cost_learnt_ns: s.drive.value(),
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
    let waiting = {
        let mut g = LAYER.lock();
        g.slot_mut(id).ok_or(ENODEV)?.enabled = enabled;
        g.refresh(glue::now_ns());
        // A request waiting for a halted backend the operator just took
        // away (or gave back) must look again.
        g.take_waiting()
    };
    retry(waiting);
    Ok(())
}

/// Sets the weight of backend `id` under the weighted policy (`EINVAL`
/// above [`super::backend_select::MAX_WEIGHT`], nothing changed).
pub(crate) fn set_weight(id: BackendId, weight: u32) -> Result {
    tune(id, |t, _| t.set_weight(id, weight))
}

/// Sets the CPU time each request on backend `id` takes from the CPU:
/// `Some(ns)` from now on (`EINVAL` above 0 for the CPU backend, nothing
/// changed), `None` as learnt from its requests (the default).
pub(crate) fn set_drive_cost(id: BackendId, ns: Option<u64>) -> Result {
    tune(id, |t, s| drive_cost(t, s, ns))
}

/// Gives backend `s` in table `t` the drive cost `ns`, or (`None`) the
/// learnt one from now on.
fn drive_cost(t: &mut BackendTable, s: &mut Slot, ns: Option<u64>) -> Result<(), SelectError> {
    t.set_drive_cost(s.id, ns.unwrap_or(s.drive.value()))?;
    s.drive_auto = ns.is_none();
    Ok(())
}

/// Changes how the table weighs backend `id` with `change` (nothing
/// changed if it fails), then recomputes the fast path's limits and lets
/// the requests waiting for room look again: a backend whose weight
/// became 0, or that now looks later, must not keep them.
fn tune(
    id: BackendId,
    change: impl FnOnce(&mut BackendTable, &mut Slot) -> Result<(), SelectError>,
) -> Result {
    let waiting = {
        let mut g = LAYER.lock();
        let (table, slot) = g.table_and_slot(id).ok_or(ENODEV)?;
        change(table, slot).map_err(|e| Error::from_errno(-e.errno()))?;
        g.refresh(glue::now_ns());
        g.take_waiting()
    };
    retry(waiting);
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
        state: BackendState::Running,
        drive: DriveEstimate::new(),
        drive_auto: true,
        learns: !desc.is_cpu,
    };
    match g.slots.get_mut(id.slot()) {
        Some(s) => *s = Some(slot),
        None => {
            let _ = g.table.unregister(id);
            return Err(EINVAL);
        }
    }
    g.refresh(glue::now_ns());
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
        g.refresh(glue::now_ns());
    }
    while LAYER.lock().slot_mut(id).is_some_and(|s| s.submitting != 0) {
        fsleep(Delta::from_micros(100));
    }
    let (slot, waiting) = {
        let mut g = LAYER.lock();
        let _ = g.table.unregister(id);
        let slot = g.slots.get_mut(id.slot()).and_then(Option::take);
        g.refresh(glue::now_ns());
        (slot, g.take_waiting())
    };
    // Requests waiting for it (halted) look elsewhere, or end.
    retry(waiting);
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

/// Takes `event` from backend `id` (a stale `id` is ignored). A backend
/// back to running retries the requests waiting for room, which may now
/// find it; one that died retries them too, so that those waiting for it
/// to run again look elsewhere. A halted backend's own completions retry
/// them as a busy one's do; while it is halted and could do a request that
/// no running backend can, the request waits for it instead of failing.
pub(crate) fn event(id: BackendId, event: Event) {
    let waiting = {
        let mut g = LAYER.lock();
        let Some(s) = g.slot_mut(id) else {
            return;
        };
        let state = match (s.state, event) {
            (BackendState::Dead, _) | (_, Event::Dead) => BackendState::Dead,
            (_, Event::Halted) => BackendState::Halted,
            (_, Event::Running) => BackendState::Running,
            (now, Event::Bandwidth(_) | Event::DriveCost(_) | Event::Handling { .. }) => now,
        };
        let changed = state != s.state;
        s.state = state;
        match event {
            Event::Bandwidth(bw) => {
                let _ = g.table.set_bandwidth(id, bw);
            }
            Event::Handling { ns, jobs } => {
                g.learn_drive(id, |d| d.add_handling(ns, jobs));
                return;
            }
            Event::DriveCost(ns) => {
                let Some((table, s)) = g.table_and_slot(id) else {
                    return;
                };
                if drive_cost(table, s, Some(ns)).is_err() {
                    return;
                }
            }
            _ if !changed => return,
            _ => {}
        }
        g.refresh(glue::now_ns());
        // Running again, requests may now find it; dead, those waiting for
        // it to run again must look elsewhere (or end).
        (changed && state != BackendState::Halted).then(|| g.take_waiting())
    };
    if let Some(w) = waiting {
        retry(w);
    }
}
