// SPDX-License-Identifier: GPL-2.0

//! Who hears the HLB's control-vector causes: data-plane alarms go to the
//! data plane (`dataplane.rs`), VF causes to the PF's mailbox service
//! (`vf_mailbox.rs`).

use super::{dataplane::DataPlane, vf_mailbox::VfMailbox};
use crate::{bringup::ControlNotifier, hw::hlb_regs as regs};
use kernel::{prelude::*, sync::Arc};

/// The HLB's [`ControlNotifier`].
pub(crate) struct ControlCauses {
    pub(crate) dataplane: Option<Arc<DataPlane>>,
    pub(crate) mailbox: Option<Arc<VfMailbox>>,
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
    }
}

impl ControlCauses {
    /// As a notifier, or `None` if nobody listens.
    pub(crate) fn notifier(self) -> Result<Option<Arc<dyn ControlNotifier>>> {
        if self.dataplane.is_none() && self.mailbox.is_none() {
            return Ok(None);
        }
        let n: Arc<dyn ControlNotifier> = Arc::new(self, GFP_KERNEL)?;
        Ok(Some(n))
    }
}
