// SPDX-License-Identifier: GPL-2.0

//! The mailbox of one VF ("Mailbox" in `Documentation/hw/hlb-vf.rst`):
//! one request slot and one message slot, each way a copy of bytes. The
//! model never looks at what the bytes mean.
//!
//! Buffers are kept as 32-bit words, since BAR0 only takes aligned 32-bit
//! accesses; a copy of `L` bytes copies `L / 4` words and zeroes the rest
//! of the destination, so bytes beyond a length read 0.

use crate::hlb_regs::{self as regs, AlarmCode, MBOX_MSG_MAX, MBOX_PF_MSG_MAX};
use crate::hlb_vf_regs as regs_vf;

/// Words of a request or reply buffer.
pub const MSG_WORDS: usize = MBOX_MSG_MAX / 4;
/// Words of a PF message buffer.
pub const PF_MSG_WORDS: usize = MBOX_PF_MSG_MAX / 4;

/// Copies the first `len` bytes of `src` to `dst`, zeroing the rest.
fn copy(dst: &mut [u32], src: &[u32], len: u32) {
    let words = len as usize / 4;
    for (i, d) in dst.iter_mut().enumerate() {
        *d = if i < words {
            src.get(i).copied().unwrap_or(0)
        } else {
            0
        };
    }
}

/// Word `i` of `buf`, 0 outside.
pub fn word(buf: &[u32], i: usize) -> u32 {
    buf.get(i).copied().unwrap_or(0)
}

/// Stores `value` in word `i` of `buf`, if inside.
pub fn set_word(buf: &mut [u32], i: usize, value: u32) {
    if let Some(w) = buf.get_mut(i) {
        *w = value;
    }
}

/// What the VF function holds; `Default` is its reset state.
#[derive(Clone, Debug)]
pub struct FnMailbox {
    /// `MBOX_REQ`.
    pub req: [u32; MSG_WORDS],
    /// `MBOX_REPLY` and its length.
    pub reply: [u32; MSG_WORDS],
    pub reply_len: u32,
    /// `PF_MSG` and its length.
    pub msg: [u32; PF_MSG_WORDS],
    pub msg_len: u32,
    /// `REPLY_VALID`, `MSG_VALID`.
    pub reply_valid: bool,
    pub msg_valid: bool,
    /// The posted request as the PF sees it (`VFB_REQ`), with its length
    /// (`VFB_REQ_LEN`; 0: none, so `REQ_BUSY` is `posted_len != 0`).
    pub posted: [u32; MSG_WORDS],
    pub posted_len: u32,
    /// `MBOX_OVERRUNS`.
    pub overruns: u32,
}

impl Default for FnMailbox {
    fn default() -> Self {
        Self {
            req: [0; MSG_WORDS],
            reply: [0; MSG_WORDS],
            reply_len: 0,
            msg: [0; PF_MSG_WORDS],
            msg_len: 0,
            reply_valid: false,
            msg_valid: false,
            posted: [0; MSG_WORDS],
            posted_len: 0,
            overruns: 0,
        }
    }
}

/// How a post went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Post {
    /// Copied to the PF: raise `IRQ_CAUSE.VF_MBOX`.
    Posted,
    /// Dropped and counted: a request was pending.
    Overrun,
}

/// The mailbox of one VF: the function's side and the PF's buffers.
#[derive(Clone, Debug)]
pub struct Mailbox {
    /// The function's side (reset with the VF).
    pub f: FnMailbox,
    /// `VFB_REPLY`, `VFB_MSG` (the PF's, kept across VF resets).
    pub reply_buf: [u32; MSG_WORDS],
    pub msg_buf: [u32; PF_MSG_WORDS],
    /// `VFB_OVERRUNS` (since the PF's reset).
    pub overruns: u32,
}

impl Default for Mailbox {
    fn default() -> Self {
        Self {
            f: FnMailbox::default(),
            reply_buf: [0; MSG_WORDS],
            msg_buf: [0; PF_MSG_WORDS],
            overruns: 0,
        }
    }
}

impl Mailbox {
    /// `REQ_BUSY` / `VFB_STATUS.REQ_PENDING`.
    pub fn busy(&self) -> bool {
        self.f.posted_len != 0
    }

    /// `MBOX_STATUS`.
    pub fn status(&self) -> u32 {
        let mut s = 0;
        if self.busy() {
            s |= regs_vf::MBOX_STATUS_REQ_BUSY;
        }
        if self.f.reply_valid {
            s |= regs_vf::MBOX_STATUS_REPLY_VALID;
        }
        if self.f.msg_valid {
            s |= regs_vf::MBOX_STATUS_MSG_VALID;
        }
        s
    }

    /// `MBOX_REQ` word `i` written by the VF: ignored while busy.
    pub fn write_req(&mut self, i: usize, value: u32) {
        if !self.busy() {
            set_word(&mut self.f.req, i, value);
        }
    }

    /// `MBOX_REQ_LEN` = `len`: a post while busy is dropped and counted;
    /// otherwise the length rule (`BadValue`), then the copy.
    pub fn post(&mut self, len: u32) -> Result<Post, AlarmCode> {
        if self.busy() {
            self.f.overruns = self.f.overruns.wrapping_add(1);
            self.overruns = self.overruns.wrapping_add(1);
            return Ok(Post::Overrun);
        }
        if !regs::mbox_len_ok(len, MBOX_MSG_MAX) {
            return Err(AlarmCode::BadValue);
        }
        copy(&mut self.f.posted, &self.f.req, len);
        self.f.posted_len = len;
        self.f.reply_valid = false;
        Ok(Post::Posted)
    }

    /// `VFB_REPLY_LEN` = `len`: the answer to the pending request.
    pub fn reply(&mut self, len: u32) -> Result<(), AlarmCode> {
        if !regs::mbox_len_ok(len, MBOX_MSG_MAX) || !self.busy() {
            return Err(AlarmCode::BadValue);
        }
        copy(&mut self.f.reply, &self.reply_buf, len);
        self.f.reply_len = len;
        self.f.reply_valid = true;
        self.f.posted = [0; MSG_WORDS];
        self.f.posted_len = 0;
        Ok(())
    }

    /// `VFB_MSG_LEN` = `len` to a VF that is `enabled`.
    pub fn message(&mut self, len: u32, enabled: bool) -> Result<(), AlarmCode> {
        if !regs::mbox_len_ok(len, MBOX_PF_MSG_MAX) {
            return Err(AlarmCode::BadValue);
        }
        if self.f.msg_valid {
            return Err(AlarmCode::InUse);
        }
        if !enabled {
            return Err(AlarmCode::BadValue);
        }
        copy(&mut self.f.msg, &self.msg_buf, len);
        self.f.msg_len = len;
        self.f.msg_valid = true;
        Ok(())
    }

    /// `PF_MSG_ACK` = `value`.
    pub fn ack(&mut self, value: u32) {
        if value & 1 != 0 {
            self.f.msg_valid = false;
        }
    }
}
