// SPDX-License-Identifier: GPL-2.0

//! A VF acts on its PF's messages (`Documentation/hw/hlb-mbox.rst`, "PF
//! messages"), told by its control vector (`IRQ_CAUSE.PF_MSG`) and, every
//! 250 ms, without it: an interrupt raised while the VF's MSI-X is off is
//! lost, and the PCI core turns it off around a function reset it does to
//! a bound VF without telling the driver (the 7.3 Rust PCI binding has no
//! `reset_prepare`/`reset_done`). That is when the PF's ALERT comes.

use super::{configfs, control_plane::HlbCtl, pf_mailbox::PfMailbox};
use crate::{
    hw::hlb_mbox::{self, AlertCode, PfMsg, ResetReason},
    periodic::Check,
};
use kernel::{new_mutex, prelude::*, sync::Arc, sync::Mutex};

/// How often a VF looks for a message no interrupt announced.
pub(crate) const POLL_MS: u32 = 250;

/// What a VF does with its PF's messages.
#[pin_data]
pub(crate) struct PfMessages {
    mbox: Arc<PfMailbox>,
    ctl: Arc<HlbCtl>,
    /// One reader of the message buffer at a time.
    #[pin]
    reading: Mutex<()>,
}

impl PfMessages {
    /// Messages of `mbox`'s PF acted on with `ctl`.
    pub(crate) fn new(mbox: Arc<PfMailbox>, ctl: Arc<HlbCtl>) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Self {
                mbox,
                ctl,
                reading <- new_mutex!(()),
            }? Error),
            GFP_KERNEL,
        )
    }

    /// Acts on every message waiting.
    pub(crate) fn take_all(&self) {
        let _reading = self.reading.lock();
        while let Some(msg) = self.mbox.take_message() {
            self.act(msg);
        }
    }

    fn act(&self, msg: core::result::Result<PfMsg, ()>) {
        let why = match msg {
            Ok(PfMsg::PreReset { reason }) => match reason {
                ResetReason::PfGone => "its PF driver is going away",
                ResetReason::DeviceReset => "its PF resets the device",
            },
            Ok(PfMsg::Alert {
                domain: hlb_mbox::ALL_DOMAINS,
                code,
            }) => match code {
                AlertCode::VfReset => "the VF function was reset",
                AlertCode::DeviceReset => "its PF reset the device",
            },
            Ok(PfMsg::Alert { domain, code }) => {
                dev_warn!(
                    self.mbox.device(),
                    "its PF stopped domain {} ({:?})\n",
                    domain,
                    code
                );
                return;
            }
            Err(()) => {
                dev_warn!(self.mbox.device(), "unknown message from its PF ignored\n");
                return;
            }
        };
        // The registration ended: what the VF made is gone from the
        // device. Its users are hung up and its control plane refuses
        // everything (ENODEV), as when a PF unbinds.
        dev_warn!(
            self.mbox.device(),
            "registration ended ({}); users hung up; unbind and bind the VF to use it again\n",
            why
        );
        self.mbox.close();
        configfs::unregister(&self.ctl);
    }
}

impl Check for Arc<PfMessages> {
    /// Looks for messages until the registration ended.
    fn check(&self) -> bool {
        self.take_all();
        !self.mbox.is_closed()
    }
}
