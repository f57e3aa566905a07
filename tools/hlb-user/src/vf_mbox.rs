// SPDX-License-Identifier: GPL-2.0

//! A raw client of an HLB VF's mailbox (`Documentation/hw/hlb-vf.rst`,
//! protocol `hlb-mbox.rst`), through the VF function's BAR0 as user space
//! reaches it without a driver: `/sys/bus/pci/devices/<bdf>/resource0`.
//!
//! It is what a hostile or buggy VF driver can do: post any length, any
//! words, flood the request slot. Tests use it to check what the PF
//! driver answers; [`Client::request`] is the well-behaved path (encode,
//! post, wait for the reply with the same tag, decode).

use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use lbdx_logic::hw::hlb_mbox::{self, decode_reply, ReplyError, Request, Status, MSG_WORDS};
use lbdx_logic::hw::hlb_vf_regs as vf;

use crate::sys::Mapping;

/// Size of a VF's BAR0.
const BAR0_SIZE: usize = 0x1_0000;

/// 32-bit registers of a VF's BAR0.
pub trait Regs {
    /// Reads the register at `off`.
    fn read(&self, off: usize) -> u32;
    /// Writes `v` to the register at `off`.
    fn write(&self, off: usize, v: u32);
}

/// A VF's BAR0 mapped from sysfs.
pub struct SysfsBar0(Mapping);

impl SysfsBar0 {
    /// Maps BAR0 of the PCI function `bdf` (the function must have memory
    /// decoding enabled: `echo 1 > .../enable`).
    pub fn open(bdf: &str) -> io::Result<Self> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(format!("/sys/bus/pci/devices/{bdf}/resource0"))?;
        Ok(Self(Mapping::new(f.as_fd(), 0, BAR0_SIZE, true)?))
    }
}

impl SysfsBar0 {
    /// Whether `off` names a register of the mapping.
    fn fits(&self, off: usize) -> bool {
        off + 4 <= self.0.len() && off.is_multiple_of(4)
    }
}

impl Regs for SysfsBar0 {
    fn read(&self, off: usize) -> u32 {
        if !self.fits(off) {
            return u32::MAX;
        }
        // SAFETY: an aligned offset inside the mapping of BAR0.
        unsafe { self.0.ptr().add(off).cast::<u32>().read_volatile() }
    }

    fn write(&self, off: usize, v: u32) {
        if !self.fits(off) {
            return;
        }
        // SAFETY: as for `read`.
        unsafe { self.0.ptr().add(off).cast::<u32>().write_volatile(v) }
    }
}

/// What waiting for a reply gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// A reply with this status and payload.
    Reply(Status, Vec<u32>),
    /// A reply with a status code this client does not know.
    UnknownStatus(u16),
    /// No reply in time.
    Timeout,
}

/// A mailbox client over `R`.
pub struct Client<R: Regs> {
    regs: R,
    tag: u16,
    /// How long to wait for a reply.
    pub timeout: Duration,
}

impl<R: Regs> Client<R> {
    /// A client of the VF behind `regs`. Its tags continue from the last
    /// reply's, so that the reply buffer left by an earlier client (of
    /// this process or another) is never taken for an answer.
    pub fn new(regs: R) -> Self {
        let last = regs.read(vf::MBOX_REPLY);
        let tag = if last == vf::ABSENT {
            0
        } else {
            (last >> 16) as u16
        };
        Self {
            regs,
            tag,
            timeout: Duration::from_secs(1),
        }
    }

    /// The registers.
    pub fn regs(&self) -> &R {
        &self.regs
    }

    /// Writes `words` into the request buffer and posts `len` bytes (any
    /// value: the device checks it). Does not wait.
    pub fn post_raw(&self, words: &[u32], len: u32) {
        for (i, &w) in words.iter().take(MSG_WORDS).enumerate() {
            self.regs.write(vf::MBOX_REQ + 4 * i, w);
        }
        self.regs.write(vf::MBOX_REQ_LEN, len);
    }

    /// Waits for the reply to the request tagged `tag`.
    pub fn wait(&self, tag: u16) -> Answer {
        let end = Instant::now() + self.timeout;
        while Instant::now() < end {
            let st = self.regs.read(vf::MBOX_STATUS);
            if st != vf::ABSENT && st & vf::MBOX_STATUS_REPLY_VALID != 0 {
                let n = (self.regs.read(vf::MBOX_REPLY_LEN) as usize / 4).min(MSG_WORDS);
                let w: Vec<u32> = (0..n)
                    .map(|i| self.regs.read(vf::MBOX_REPLY + 4 * i))
                    .collect();
                match decode_reply(&w, tag) {
                    Ok((s, p)) => return Answer::Reply(s, p.to_vec()),
                    Err(ReplyError::UnknownStatus(c)) => return Answer::UnknownStatus(c),
                    // A late reply to an earlier request: keep waiting.
                    Err(ReplyError::Stale | ReplyError::Empty) => {}
                }
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        Answer::Timeout
    }

    /// A fresh tag.
    pub fn next_tag(&mut self) -> u16 {
        self.tag = self.tag.wrapping_add(1);
        self.tag
    }

    /// Waits (up to the timeout) until no request is posted, as a
    /// well-behaved VF driver does before posting; whether it is free.
    pub fn wait_idle(&self) -> bool {
        let end = Instant::now() + self.timeout;
        loop {
            let st = self.regs.read(vf::MBOX_STATUS);
            if st != vf::ABSENT && st & vf::MBOX_STATUS_REQ_BUSY == 0 {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Sends `req` and waits for its reply (first for the slot to be free).
    pub fn request(&mut self, req: &Request) -> Answer {
        if !self.wait_idle() {
            return Answer::Timeout;
        }
        let tag = self.next_tag();
        let mut buf = [0u32; MSG_WORDS];
        let n = req.encode(tag, &mut buf);
        self.post_raw(&buf[..n], (n * 4) as u32);
        self.wait(tag)
    }

    /// Posts `words` as a request of `len` bytes with a fresh tag in word
    /// 0's bits 31:16 and waits for the reply.
    pub fn raw_request(&mut self, words: &[u32], len: u32) -> Answer {
        if !self.wait_idle() {
            return Answer::Timeout;
        }
        let tag = self.next_tag();
        let mut w = words.to_vec();
        if let Some(w0) = w.first_mut() {
            *w0 = (*w0 & 0xffff) | (u32::from(tag) << 16);
        }
        self.post_raw(&w, len);
        self.wait(tag)
    }

    /// Registers speaking versions `min..=max`.
    pub fn register(&mut self, min: u32, max: u32) -> Answer {
        self.request(&Request::Register { min, max })
    }
}

/// The version this client speaks.
pub const VERSION: u32 = hlb_mbox::VERSION;
