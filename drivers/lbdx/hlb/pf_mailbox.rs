// SPDX-License-Identifier: GPL-2.0

//! A VF's side of its mailbox (`Documentation/hw/hlb-vf.rst`, "Mailbox";
//! protocol: `hlb-mbox.rst`): requests to the PF, one at a time, each
//! waited for at most one second, and the PF's messages.
//!
//! Requests are made from process context (probe, configfs stores, the
//! last close of a domain's file) and poll `MBOX_STATUS` while sleeping:
//! a request costs the PF one pass of its interrupt thread, so the reply
//! comes within microseconds when the PF driver is there, and never when
//! it is not (`ETIMEDOUT`). PF messages arrive on vector 0 (`PF_MSG`).

use crate::{
    bringup::SharedBar0,
    hw::{
        hlb_mbox::{self, PfMsg, Request, Resources, Status},
        hlb_vf_regs as vregs,
    },
};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    io::{poll::read_poll_timeout, Io},
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
    time::Delta,
};

/// How long a VF waits for the PF's reply.
const REPLY_TIMEOUT: Delta = Delta::from_millis(1000);
/// How often it looks.
const POLL: Delta = Delta::from_micros(20);

/// What `REGISTER` agreed.
#[derive(Clone, Copy)]
pub(crate) struct Registration {
    /// Protocol version.
    pub(crate) version: u32,
    /// The VF's number at the PF.
    pub(crate) vf: u32,
}

/// The mailbox of one VF function.
#[pin_data]
pub(crate) struct PfMailbox {
    bar: SharedBar0,
    /// Tag of the last request; held while a request is outstanding.
    #[pin]
    tag: Mutex<u16>,
    /// The registration ended (`PRE_RESET`, unregistering): requests fail
    /// with `ENODEV` at once instead of waiting for a PF that will not
    /// answer.
    closed: AtomicBool,
}

impl PfMailbox {
    /// The mailbox of the VF behind `bar`.
    pub(crate) fn new(bar: SharedBar0) -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Self {
                bar,
                tag <- new_mutex!(0),
                closed: AtomicBool::new(false),
            }? Error),
            GFP_KERNEL,
        )
    }

    /// The VF's device.
    pub(crate) fn device(&self) -> &kernel::device::Device {
        self.bar.device()
    }

    fn read_word(&self, off: usize) -> Result<u32> {
        self.bar.try_access().ok_or(ENODEV)?.try_read32(off)
    }

    /// A status or length register; `ENODEV` if it reads all ones, as a
    /// disabled VF (or a vanished device) does.
    fn read(&self, off: usize) -> Result<u32> {
        let v = self.read_word(off)?;
        if v == vregs::ABSENT {
            return Err(ENODEV);
        }
        Ok(v)
    }

    fn write(&self, v: u32, off: usize) -> Result {
        self.bar.try_access().ok_or(ENODEV)?.try_write32(v, off)
    }

    /// Sends `req` and waits for its reply; copies the reply's payload into
    /// `out` (cut to its size) and returns the payload's length in words.
    /// A status other than `OK` is its errno (`hlb-mbox.rst`, "Status
    /// codes"); no reply within a second is `ETIMEDOUT`.
    pub(crate) fn call(&self, req: &Request, out: &mut [u32]) -> Result<usize> {
        if self.closed.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        let mut tag = self.tag.lock();
        // A request given up on may still be waiting for the PF: the
        // device would drop a second one.
        read_poll_timeout(
            || self.read(vregs::MBOX_STATUS),
            |s| s & vregs::MBOX_STATUS_REQ_BUSY == 0,
            POLL,
            REPLY_TIMEOUT,
        )?;
        *tag = tag.wrapping_add(1);
        let mut words = [0u32; hlb_mbox::MSG_WORDS];
        let n = req.encode(*tag, &mut words);
        for (i, &w) in words[..n].iter().enumerate() {
            self.write(w, vregs::MBOX_REQ + 4 * i)?;
        }
        self.write((n * 4) as u32, vregs::MBOX_REQ_LEN)?;
        read_poll_timeout(
            || self.read(vregs::MBOX_STATUS),
            |s| s & vregs::MBOX_STATUS_REQ_BUSY == 0 && s & vregs::MBOX_STATUS_REPLY_VALID != 0,
            POLL,
            REPLY_TIMEOUT,
        )?;
        let len = (self.read(vregs::MBOX_REPLY_LEN)? as usize / 4).min(hlb_mbox::MSG_WORDS);
        let mut reply = [0u32; hlb_mbox::MSG_WORDS];
        for (i, w) in reply[..len].iter_mut().enumerate() {
            *w = self.read_word(vregs::MBOX_REPLY + 4 * i)?;
        }
        let (status, payload) = hlb_mbox::decode_reply(&reply[..len], *tag).map_err(|_| EPROTO)?;
        if status != Status::Ok {
            return Err(Error::from_errno(-status.errno()));
        }
        let n = payload.len().min(out.len());
        out[..n].copy_from_slice(&payload[..n]);
        Ok(payload.len())
    }

    /// A request without a reply payload.
    pub(crate) fn send(&self, req: &Request) -> Result {
        self.call(req, &mut []).map(|_| ())
    }

    /// Registers with the PF, which resets whatever a previous user of the
    /// VF left.
    pub(crate) fn register(&self) -> Result<Registration> {
        let mut out = [0u32; 2];
        let req = Request::Register {
            min: hlb_mbox::VERSION,
            max: hlb_mbox::VERSION,
        };
        let n = self.call(&req, &mut out)?;
        // A message still waiting was sent to an earlier registration
        // (the PF answers REGISTER after handling the reset that ended
        // it): acknowledged, so the PF can send this one its own.
        let _ = self.take_message();
        match n {
            n if n >= 2 => Ok(Registration {
                version: out[0],
                vf: out[1],
            }),
            _ => Err(EPROTO),
        }
    }

    /// The VF's assignment.
    pub(crate) fn resources(&self) -> Result<Resources> {
        let mut out = [0u32; hlb_mbox::RESOURCES_WORDS];
        let n = self.call(&Request::GetResources, &mut out)?;
        Resources::from_words(&out[..n.min(out.len())]).ok_or(EPROTO)
    }

    /// Unregisters (the PF resets the VF's domains) and closes the mailbox.
    pub(crate) fn unregister(&self) -> Result {
        let r = self.send(&Request::Unregister);
        self.close();
        r
    }

    /// Whether the mailbox is closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closes the mailbox: every request fails with `ENODEV` from now on.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Takes the PF's message, if one is waiting, and acknowledges it.
    /// `Err(())` for a message this version does not know (acknowledged
    /// too, so the PF can send the next).
    pub(crate) fn take_message(&self) -> Option<core::result::Result<PfMsg, ()>> {
        let status = self.read(vregs::MBOX_STATUS).ok()?;
        if status & vregs::MBOX_STATUS_MSG_VALID == 0 {
            return None;
        }
        let len = (self.read(vregs::PF_MSG_LEN).ok()? as usize / 4).min(hlb_mbox::PF_MSG_WORDS);
        let mut words = [0u32; hlb_mbox::PF_MSG_WORDS];
        for (i, w) in words.iter_mut().take(len).enumerate() {
            *w = self.read_word(vregs::PF_MSG + 4 * i).ok()?;
        }
        let _ = self.write(1, vregs::PF_MSG_ACK);
        Some(PfMsg::decode(&words[..len]).ok_or(()))
    }
}

/// A VF's session with its PF: registered, its assignment read. Dropping
/// it unregisters, unless the mailbox was closed already.
pub(crate) struct PfSession {
    pub(crate) mbox: Arc<PfMailbox>,
    pub(crate) registration: Registration,
    pub(crate) resources: Resources,
}

impl PfSession {
    /// Registers the VF behind `bar` and reads its assignment.
    pub(crate) fn open(bar: SharedBar0) -> Result<Self> {
        let mbox = PfMailbox::new(bar)?;
        let registration = mbox.register()?;
        let mut s = Self {
            mbox,
            registration,
            resources: Resources::default(),
        };
        s.resources = s.mbox.resources()?;
        Ok(s)
    }
}

impl Drop for PfSession {
    fn drop(&mut self) {
        if !self.mbox.is_closed() {
            let _ = self.mbox.unregister();
        }
    }
}
