// SPDX-License-Identifier: GPL-2.0

//! Who hears the HLB's control-vector causes: data-plane alarms go to the
//! data plane (`dataplane.rs`), VF causes to the PF's mailbox service
//! (`vf_mailbox.rs`), and on a VF the PF's messages to `pf_messages.rs`.

use super::{dataplane::DataPlane, pf_messages::PfMessages, vf_mailbox::VfMailbox};
use crate::{
    bringup::ControlNotifier,
    hw::{hlb_regs as regs, hlb_vf_regs as vregs},
};
use kernel::{prelude::*, sync::Arc};

/// The HLB's [`ControlNotifier`].
pub(crate) struct ControlCauses {
    pub(crate) dataplane: Option<Arc<DataPlane>>,
    pub(crate) mailbox: Option<Arc<VfMailbox>>,
    /// A VF's handling of its PF's messages.
    pub(crate) pf: Option<Arc<PfMessages>>,
}

impl ControlNotifier for ControlCauses {
    fn control_causes(&self, causes: u32) {
        if let Some(dp) = &self.dataplane {
            dp.control_causes(causes);
        }
        let vf = regs::IRQ_CAUSE_VF_MBOX | regs::IRQ_CAUSE_VF_RESET | regs::IRQ_CAUSE_VF_ALARM;
        if let (Some(mbox), true) = (&self.mailbox, causes & vf != 0) {
            mbox.service(causes);
        }
        if let (Some(pf), true) = (&self.pf, causes & vregs::IRQ_CAUSE_PF_MSG != 0) {
            pf.take_all();
        }
    }
}

impl ControlCauses {
    /// As a notifier, or `None` if nobody listens.
    pub(crate) fn notifier(self) -> Result<Option<Arc<dyn ControlNotifier>>> {
        if self.dataplane.is_none() && self.mailbox.is_none() && self.pf.is_none() {
            return Ok(None);
        }
        let n: Arc<dyn ControlNotifier> = Arc::new(self, GFP_KERNEL)?;
        Ok(Some(n))
    }
}
