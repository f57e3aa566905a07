// SPDX-License-Identifier: GPL-2.0

//! The HLB PF/VF mailbox protocol, version 1, as specified in
//! `Documentation/hw/hlb-mbox.rst`: every message encoded and decoded.
//!
//! Kernel-free (`core` only), shared by the PF driver (decodes requests,
//! encodes replies and PF messages), the VF driver (the other way round)
//! and host tests. Messages are slices of 32-bit words, as the mailbox
//! buffers are read and written; lengths on the wire are in bytes.
//!
//! Decoding never trusts its input: a request from a VF is whatever the
//! VF's driver wrote, so every field is checked here or named unchecked
//! (virtual ids, which only the PF's tables can check).

/// Protocol version this file implements.
pub const VERSION: u32 = 1;
/// Largest request or reply, in words.
pub const MSG_WORDS: usize = 64;
/// Largest PF message, in words.
pub const PF_MSG_WORDS: usize = 16;
/// `VALID` bit of the `sn`, `group_mode` and link `queue` fields.
pub const FIELD_VALID: u32 = 1 << 31;
/// Words of an [`Attrs`].
const ATTRS_WORDS: usize = 8;
/// Words of a [`Resources`] reply.
pub const RESOURCES_WORDS: usize = 12;

/// Request opcodes (word 0, bits 7:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Opcode {
    /// Register, negotiating the version.
    Register = 0x01,
    /// Unregister.
    Unregister = 0x02,
    /// Ask for the VF's assignment.
    GetResources = 0x03,
    /// Reserve a domain.
    DomainCommit = 0x10,
    /// Release a domain.
    DomainRelease = 0x11,
    /// Start or stop a domain.
    DomainStart = 0x12,
    /// Reset and release a domain.
    DomainReset = 0x13,
    /// Assign and configure an LDB queue.
    LdbQueueCommit = 0x20,
    /// Assign and configure an LDB port.
    LdbPortCommit = 0x21,
    /// Assign and configure a DIR port.
    DirPortCommit = 0x22,
    /// Unassign an object.
    Unassign = 0x23,
    /// Write a link slot.
    WriteLink = 0x24,
}

impl Opcode {
    /// Every opcode.
    pub const ALL: [Self; 12] = [
        Self::Register,
        Self::Unregister,
        Self::GetResources,
        Self::DomainCommit,
        Self::DomainRelease,
        Self::DomainStart,
        Self::DomainReset,
        Self::LdbQueueCommit,
        Self::LdbPortCommit,
        Self::DirPortCommit,
        Self::Unassign,
        Self::WriteLink,
    ];

    /// The opcode of byte `v`, if it is one.
    pub fn from_u8(v: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|o| *o as u8 == v)
    }

    /// Payload words of a request with this opcode.
    pub const fn payload_words(self) -> usize {
        match self {
            Self::Unregister | Self::GetResources => 0,
            Self::DomainRelease | Self::DomainReset => 1,
            Self::Register | Self::DomainStart | Self::Unassign => 2,
            Self::WriteLink => 4,
            Self::DomainCommit => 9,
            Self::DirPortCommit => 2 + ATTRS_WORDS,
            Self::LdbQueueCommit | Self::LdbPortCommit => 4 + ATTRS_WORDS,
        }
    }
}

/// Reply status codes (word 0, bits 15:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Status {
    /// Done.
    Ok = 0,
    /// No such opcode.
    UnknownCommand = 1,
    /// Not the command's length.
    BadLength = 2,
    /// No common protocol version.
    BadVersion = 3,
    /// A command other than `REGISTER` before registering.
    NotRegistered = 4,
    /// A field out of range or a virtual id the VF does not have.
    Invalid = 5,
    /// Beyond the VF's assignment.
    NoSpace = 6,
    /// In use or started.
    Busy = 7,
    /// No such domain or object made.
    NotFound = 8,
    /// The device refused the programming.
    DeviceError = 9,
}

impl Status {
    /// Every status.
    pub const ALL: [Self; 10] = [
        Self::Ok,
        Self::UnknownCommand,
        Self::BadLength,
        Self::BadVersion,
        Self::NotRegistered,
        Self::Invalid,
        Self::NoSpace,
        Self::Busy,
        Self::NotFound,
        Self::DeviceError,
    ];

    /// The status of code `v`, if it is one.
    pub fn from_u16(v: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|s| *s as u16 == v)
    }

    /// The errno (positive) a VF driver returns for this status; 0 for
    /// [`Status::Ok`].
    pub const fn errno(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::UnknownCommand => 95, // EOPNOTSUPP
            Self::BadLength => 90,      // EMSGSIZE
            Self::BadVersion => 71,     // EPROTO
            Self::NotRegistered => 107, // ENOTCONN
            Self::Invalid => 22,        // EINVAL
            Self::NoSpace => 28,        // ENOSPC
            Self::Busy => 16,           // EBUSY
            Self::NotFound => 2,        // ENOENT
            Self::DeviceError => 5,     // EIO
        }
    }
}

/// The configfs attributes of a queue or port, as a request carries them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attrs {
    /// `sequence_numbers`.
    pub sequence_numbers: u32,
    /// `inflight_limit`.
    pub inflight_limit: u32,
    /// `atomic_inflights`.
    pub atomic_inflights: u32,
    /// `lock_id_comp`.
    pub lock_id_comp: u32,
    /// `depth_threshold`.
    pub depth_threshold: u32,
    /// `cq_depth`.
    pub cq_depth: u32,
    /// `hist_list_size`.
    pub hist_list_size: u32,
    /// `cos`.
    pub cos: u32,
}

impl Attrs {
    fn to_words(self) -> [u32; ATTRS_WORDS] {
        [
            self.sequence_numbers,
            self.inflight_limit,
            self.atomic_inflights,
            self.lock_id_comp,
            self.depth_threshold,
            self.cq_depth,
            self.hist_list_size,
            self.cos,
        ]
    }

    fn from_words(w: &[u32]) -> Self {
        let at = |i: usize| w.get(i).copied().unwrap_or(0);
        Self {
            sequence_numbers: at(0),
            inflight_limit: at(1),
            atomic_inflights: at(2),
            lock_id_comp: at(3),
            depth_threshold: at(4),
            cq_depth: at(5),
            hist_list_size: at(6),
            cos: at(7),
        }
    }
}

/// What a domain reserves, in the VF's virtual history-list entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainReservation {
    /// First entry of its history-list block.
    pub hist_list_base: u32,
    /// LDB queues.
    pub ldb_queues: u32,
    /// LDB ports.
    pub ldb_ports: u32,
    /// DIR ports.
    pub dir_ports: u32,
    /// LDB credits.
    pub ldb_credits: u32,
    /// DIR credits.
    pub dir_credits: u32,
    /// History-list entries (the block's size).
    pub hist_list_entries: u32,
    /// Atomic in-flights.
    pub atomic_inflights: u32,
}

/// A VF's assignment, the reply to `GET_RESOURCES`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// Domains.
    pub domains: u32,
    /// LDB queues.
    pub ldb_queues: u32,
    /// LDB ports (one class of service).
    pub ldb_ports: u32,
    /// DIR ports.
    pub dir_ports: u32,
    /// LDB credits.
    pub ldb_credits: u32,
    /// DIR credits.
    pub dir_credits: u32,
    /// History-list entries.
    pub hist_list_entries: u32,
    /// Atomic in-flights.
    pub atomic_inflights: u32,
    /// Sequence-number groups.
    pub sn_groups: u32,
    /// Sequence numbers in a group.
    pub sn_per_group: u32,
    /// Queues one LDB port may link.
    pub max_queues_per_port: u32,
    /// Link priority levels.
    pub priorities: u32,
}

impl Resources {
    /// The reply payload.
    pub fn to_words(self) -> [u32; RESOURCES_WORDS] {
        [
            self.domains,
            self.ldb_queues,
            self.ldb_ports,
            self.dir_ports,
            self.ldb_credits,
            self.dir_credits,
            self.hist_list_entries,
            self.atomic_inflights,
            self.sn_groups,
            self.sn_per_group,
            self.max_queues_per_port,
            self.priorities,
        ]
    }

    /// Decodes a reply payload; `None` if it is too short (longer ones are
    /// accepted: later versions may add words).
    pub fn from_words(w: &[u32]) -> Option<Self> {
        let w: &[u32; RESOURCES_WORDS] = w.get(..RESOURCES_WORDS)?.try_into().ok()?;
        Some(Self {
            domains: w[0],
            ldb_queues: w[1],
            ldb_ports: w[2],
            dir_ports: w[3],
            ldb_credits: w[4],
            dir_credits: w[5],
            hist_list_entries: w[6],
            atomic_inflights: w[7],
            sn_groups: w[8],
            sn_per_group: w[9],
            max_queues_per_port: w[10],
            priorities: w[11],
        })
    }
}

/// A sequence-number slot: `(group, slot)`, virtual group.
pub type SnSlot = (u8, u16);

/// Kinds of object `UNASSIGN` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ObjKind {
    /// LDB queue.
    LdbQueue = 0,
    /// LDB port.
    LdbPort = 1,
    /// DIR port.
    DirPort = 2,
}

/// A decoded VF request. Ids are the VF's virtual ids, unchecked here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `REGISTER`: the VF speaks versions `min..=max`.
    Register {
        /// Lowest version.
        min: u32,
        /// Highest version.
        max: u32,
    },
    /// `UNREGISTER`.
    Unregister,
    /// `GET_RESOURCES`.
    GetResources,
    /// `DOMAIN_COMMIT`.
    DomainCommit {
        /// Virtual domain.
        domain: u32,
        /// Its reservation.
        res: DomainReservation,
    },
    /// `DOMAIN_RELEASE`.
    DomainRelease {
        /// Virtual domain.
        domain: u32,
    },
    /// `DOMAIN_START`.
    DomainStart {
        /// Virtual domain.
        domain: u32,
        /// Start (else stop).
        start: bool,
    },
    /// `DOMAIN_RESET`.
    DomainReset {
        /// Virtual domain.
        domain: u32,
    },
    /// `LDB_QUEUE_COMMIT`.
    LdbQueueCommit {
        /// Virtual domain.
        domain: u32,
        /// Virtual queue.
        queue: u32,
        /// Its sequence-number slot, if ordered.
        sn: Option<SnSlot>,
        /// `(group, mode)` to set first, if any.
        group_mode: Option<(u8, u16)>,
        /// Attributes.
        attrs: Attrs,
    },
    /// `LDB_PORT_COMMIT`.
    LdbPortCommit {
        /// Virtual domain.
        domain: u32,
        /// Virtual port.
        port: u32,
        /// First virtual history-list entry of the port.
        hist_list_base: u32,
        /// Its history-list entries.
        hist_list_size: u32,
        /// Attributes.
        attrs: Attrs,
    },
    /// `DIR_PORT_COMMIT`.
    DirPortCommit {
        /// Virtual domain.
        domain: u32,
        /// Virtual port.
        port: u32,
        /// Attributes.
        attrs: Attrs,
    },
    /// `UNASSIGN`.
    Unassign {
        /// Kind of object.
        kind: ObjKind,
        /// Its virtual id.
        id: u32,
    },
    /// `WRITE_LINK`.
    WriteLink {
        /// Virtual LDB port.
        port: u32,
        /// Link slot.
        slot: u32,
        /// `(virtual queue, priority)`, or `None` to empty the slot.
        link: Option<(u32, u32)>,
    },
}

/// Why a request cannot be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// No header word: nothing to answer (the device never delivers one).
    NoHeader,
    /// Answer with this status and the request's tag.
    Status(u16, Status),
}

fn opt_field(v: u32, mask: u32) -> Result<Option<u32>, Status> {
    match v {
        0 => Ok(None),
        v if v & FIELD_VALID != 0 && v & !(FIELD_VALID | mask) == 0 => Ok(Some(v & mask)),
        _ => Err(Status::Invalid),
    }
}

impl Request {
    /// The request's opcode.
    pub const fn opcode(&self) -> Opcode {
        match self {
            Self::Register { .. } => Opcode::Register,
            Self::Unregister => Opcode::Unregister,
            Self::GetResources => Opcode::GetResources,
            Self::DomainCommit { .. } => Opcode::DomainCommit,
            Self::DomainRelease { .. } => Opcode::DomainRelease,
            Self::DomainStart { .. } => Opcode::DomainStart,
            Self::DomainReset { .. } => Opcode::DomainReset,
            Self::LdbQueueCommit { .. } => Opcode::LdbQueueCommit,
            Self::LdbPortCommit { .. } => Opcode::LdbPortCommit,
            Self::DirPortCommit { .. } => Opcode::DirPortCommit,
            Self::Unassign { .. } => Opcode::Unassign,
            Self::WriteLink { .. } => Opcode::WriteLink,
        }
    }

    /// Encodes the request with `tag` into `buf`; returns its length in
    /// words (its length on the wire is four times that).
    pub fn encode(&self, tag: u16, buf: &mut [u32; MSG_WORDS]) -> usize {
        let op = self.opcode();
        buf[0] = u32::from(op as u8) | (u32::from(tag) << 16);
        let mut p = [0u32; MSG_WORDS - 1];
        match *self {
            Self::Register { min, max } => p[..2].copy_from_slice(&[min, max]),
            Self::Unregister | Self::GetResources => {}
            Self::DomainCommit { domain, res } => p[..9].copy_from_slice(&[
                domain,
                res.hist_list_base,
                res.ldb_queues,
                res.ldb_ports,
                res.dir_ports,
                res.ldb_credits,
                res.dir_credits,
                res.hist_list_entries,
                res.atomic_inflights,
            ]),
            Self::DomainRelease { domain } | Self::DomainReset { domain } => p[0] = domain,
            Self::DomainStart { domain, start } => {
                p[..2].copy_from_slice(&[domain, u32::from(start)])
            }
            Self::LdbQueueCommit {
                domain,
                queue,
                sn,
                group_mode,
                attrs,
            } => {
                let sn = sn.map_or(0, |(g, s)| FIELD_VALID | u32::from(g) << 16 | u32::from(s));
                let gm =
                    group_mode.map_or(0, |(g, m)| FIELD_VALID | u32::from(g) << 16 | u32::from(m));
                p[..4].copy_from_slice(&[domain, queue, sn, gm]);
                p[4..4 + ATTRS_WORDS].copy_from_slice(&attrs.to_words());
            }
            Self::LdbPortCommit {
                domain,
                port,
                hist_list_base,
                hist_list_size,
                attrs,
            } => {
                p[..4].copy_from_slice(&[domain, port, hist_list_base, hist_list_size]);
                p[4..4 + ATTRS_WORDS].copy_from_slice(&attrs.to_words());
            }
            Self::DirPortCommit {
                domain,
                port,
                attrs,
            } => {
                p[..2].copy_from_slice(&[domain, port]);
                p[2..2 + ATTRS_WORDS].copy_from_slice(&attrs.to_words());
            }
            Self::Unassign { kind, id } => p[..2].copy_from_slice(&[kind as u32, id]),
            Self::WriteLink { port, slot, link } => {
                let (q, prio) = link.map_or((0, 0), |(q, prio)| (FIELD_VALID | q, prio));
                p[..4].copy_from_slice(&[port, slot, q, prio]);
            }
        }
        let n = op.payload_words();
        buf[1..1 + n].copy_from_slice(&p[..n]);
        1 + n
    }

    /// The header of a request: its tag and opcode (`None` for an
    /// unknown opcode, or reserved bits 15:8 set). The PF checks
    /// registration between this and [`Request::decode`], as the protocol
    /// orders the checks.
    pub fn header(words: &[u32]) -> Result<(u16, Option<Opcode>), DecodeError> {
        let &w0 = words.first().ok_or(DecodeError::NoHeader)?;
        let tag = (w0 >> 16) as u16;
        let op = match w0 & 0xff00 {
            0 => Opcode::from_u8(w0 as u8),
            _ => None,
        };
        Ok((tag, op))
    }

    /// Decodes a whole request (header included); the errors are the
    /// protocol's, in its order, except registration (see
    /// [`Request::header`]).
    pub fn decode(words: &[u32]) -> Result<(u16, Self), DecodeError> {
        let (tag, op) = Self::header(words)?;
        let op = op.ok_or(DecodeError::Status(tag, Status::UnknownCommand))?;
        let p = &words[1..];
        if p.len() != op.payload_words() {
            return Err(DecodeError::Status(tag, Status::BadLength));
        }
        Self::fields(op, p)
            .map(|r| (tag, r))
            .map_err(|s| DecodeError::Status(tag, s))
    }

    fn fields(op: Opcode, p: &[u32]) -> Result<Self, Status> {
        let at = |i: usize| p.get(i).copied().unwrap_or(0);
        Ok(match op {
            Opcode::Register => Self::Register {
                min: at(0),
                max: at(1),
            },
            Opcode::Unregister => Self::Unregister,
            Opcode::GetResources => Self::GetResources,
            Opcode::DomainCommit => Self::DomainCommit {
                domain: at(0),
                res: DomainReservation {
                    hist_list_base: at(1),
                    ldb_queues: at(2),
                    ldb_ports: at(3),
                    dir_ports: at(4),
                    ldb_credits: at(5),
                    dir_credits: at(6),
                    hist_list_entries: at(7),
                    atomic_inflights: at(8),
                },
            },
            Opcode::DomainRelease => Self::DomainRelease { domain: at(0) },
            Opcode::DomainStart => Self::DomainStart {
                domain: at(0),
                start: match at(1) {
                    0 => false,
                    1 => true,
                    _ => return Err(Status::Invalid),
                },
            },
            Opcode::DomainReset => Self::DomainReset { domain: at(0) },
            Opcode::LdbQueueCommit => {
                let split = |v: u32| ((v >> 16) as u8, v as u16);
                Self::LdbQueueCommit {
                    domain: at(0),
                    queue: at(1),
                    sn: opt_field(at(2), 0x00ff_ffff)?.map(split),
                    group_mode: opt_field(at(3), 0x00ff_ffff)?.map(split),
                    attrs: Attrs::from_words(&p[4..]),
                }
            }
            Opcode::LdbPortCommit => Self::LdbPortCommit {
                domain: at(0),
                port: at(1),
                hist_list_base: at(2),
                hist_list_size: at(3),
                attrs: Attrs::from_words(&p[4..]),
            },
            Opcode::DirPortCommit => Self::DirPortCommit {
                domain: at(0),
                port: at(1),
                attrs: Attrs::from_words(&p[2..]),
            },
            Opcode::Unassign => Self::Unassign {
                kind: match at(0) {
                    0 => ObjKind::LdbQueue,
                    1 => ObjKind::LdbPort,
                    2 => ObjKind::DirPort,
                    _ => return Err(Status::Invalid),
                },
                id: at(1),
            },
            Opcode::WriteLink => {
                let link = opt_field(at(2), 0x7fff_ffff)?;
                if link.is_none() && at(3) != 0 {
                    return Err(Status::Invalid);
                }
                Self::WriteLink {
                    port: at(0),
                    slot: at(1),
                    link: link.map(|q| (q, at(3))),
                }
            }
        })
    }
}

/// Encodes a reply to the request tagged `tag` into `buf`; returns its
/// length in words. A payload longer than a reply can hold is cut.
pub fn encode_reply(
    tag: u16,
    status: Status,
    payload: &[u32],
    buf: &mut [u32; MSG_WORDS],
) -> usize {
    buf[0] = u32::from(status as u16) | (u32::from(tag) << 16);
    let n = payload.len().min(MSG_WORDS - 1);
    buf[1..1 + n].copy_from_slice(&payload[..n]);
    1 + n
}

/// Why a reply cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyError {
    /// Empty.
    Empty,
    /// The tag of another request (a late reply): keep waiting.
    Stale,
    /// A status code this version does not know.
    UnknownStatus(u16),
}

/// Decodes a reply to the request tagged `tag`: its status and payload.
pub fn decode_reply(words: &[u32], tag: u16) -> Result<(Status, &[u32]), ReplyError> {
    let &w0 = words.first().ok_or(ReplyError::Empty)?;
    if (w0 >> 16) as u16 != tag {
        return Err(ReplyError::Stale);
    }
    let code = w0 as u16;
    let status = Status::from_u16(code).ok_or(ReplyError::UnknownStatus(code))?;
    Ok((status, &words[1..]))
}

/// Why the PF stopped a VF's domain (`ALERT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum AlertCode {
    /// The VF's function was reset.
    VfReset = 1,
    /// The PF reset the device.
    DeviceReset = 2,
}

/// Why every registration ends (`PRE_RESET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ResetReason {
    /// The PF driver is going away.
    PfGone = 1,
    /// The device is being reset.
    DeviceReset = 2,
}

/// `domain` of an [`PfMsg::Alert`] naming every domain of the VF: its
/// registration ended with them.
pub const ALL_DOMAINS: u32 = u32::MAX;

/// PF message opcode of [`PfMsg::Alert`].
pub const PF_MSG_ALERT: u8 = 0x80;
/// PF message opcode of [`PfMsg::PreReset`].
pub const PF_MSG_PRE_RESET: u8 = 0x81;

/// A PF-initiated message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PfMsg {
    /// `ALERT`: the PF stopped virtual domain `domain`.
    Alert {
        /// Virtual domain.
        domain: u32,
        /// Why.
        code: AlertCode,
    },
    /// `PRE_RESET`: every registration ends.
    PreReset {
        /// Why.
        reason: ResetReason,
    },
}

impl PfMsg {
    /// Encodes the message into `buf`; returns its length in words.
    pub fn encode(&self, buf: &mut [u32; PF_MSG_WORDS]) -> usize {
        match *self {
            Self::Alert { domain, code } => {
                buf[..3].copy_from_slice(&[u32::from(PF_MSG_ALERT), domain, code as u32]);
                3
            }
            Self::PreReset { reason } => {
                buf[..2].copy_from_slice(&[u32::from(PF_MSG_PRE_RESET), reason as u32]);
                2
            }
        }
    }

    /// Decodes a PF message; `None` for anything this version does not
    /// know (longer messages are accepted: later versions may add words).
    pub fn decode(words: &[u32]) -> Option<Self> {
        let (&w0, p) = words.split_first()?;
        if w0 & !0xff != 0 {
            return None;
        }
        match (w0 as u8, p) {
            (PF_MSG_ALERT, [domain, code, ..]) => Some(Self::Alert {
                domain: *domain,
                code: match code {
                    1 => AlertCode::VfReset,
                    2 => AlertCode::DeviceReset,
                    _ => return None,
                },
            }),
            (PF_MSG_PRE_RESET, [reason, ..]) => Some(Self::PreReset {
                reason: match reason {
                    1 => ResetReason::PfGone,
                    2 => ResetReason::DeviceReset,
                    _ => return None,
                },
            }),
            _ => None,
        }
    }
}

/// The version a PF speaking `pf_min..=pf_max` picks for a VF speaking
/// `min..=max`: the highest both support, if any.
pub fn negotiate(pf_min: u32, pf_max: u32, min: u32, max: u32) -> Option<u32> {
    let v = pf_max.min(max);
    (v >= pf_min.max(min) && min <= max).then_some(v)
}
