// SPDX-License-Identifier: GPL-2.0

//! `--describe`: one line per instance, `NAME KIND key=value...`, where
//! each key is the sysfs attribute the driver exposes and each value what
//! it must show for this configuration.

use crate::cli::{DeviceSpec, Kind};
use crate::dxe::DxeConfig;
use crate::dxe_regs as dregs;
use crate::hlb::{self, HlbConfig};
use crate::hlb_regs as hregs;

fn hlb_fields(c: &HlbConfig) -> Vec<String> {
    let mut f = vec![format!(
        "version={}.{}",
        hregs::VERSION_MAJOR,
        hregs::VERSION_MINOR
    )];
    for (name, off) in hregs::RESOURCE_REGS {
        let v = c.resource(off).unwrap_or(0);
        f.push(format!("total_resources/{name}={v}"));
    }
    f.push(format!("irq_vectors={}", hlb::NUM_VECTORS));
    f
}

/// Names of the `CAPS` bits, in bit order.
pub fn caps_names(caps: u32) -> String {
    [
        (dregs::CAP_COPY, "copy"),
        (dregs::CAP_FILL, "fill"),
        (dregs::CAP_XOR, "xor"),
        (dregs::CAP_XOR_VAL, "xor_val"),
        (dregs::CAP_INTR, "intr"),
    ]
    .iter()
    .filter(|(bit, _)| caps & bit != 0)
    .map(|(_, n)| *n)
    .collect::<Vec<_>>()
    .join(",")
}

fn dxe_fields(c: &DxeConfig) -> Vec<String> {
    vec![
        format!("version={}.{}", dregs::VERSION_MAJOR, dregs::VERSION_MINOR),
        format!("caps={}", caps_names(c.caps)),
        format!("channels={}", c.channels),
        format!("max_xor_srcs={}", c.max_xor_srcs),
        format!("max_xfer={}", c.max_xfer),
        format!("max_ring_size={}", c.ring_max),
        format!("nominal_bw={}", c.nominal_bw()),
        format!("irq_vectors={}", c.num_vectors()),
    ]
}

/// The `--describe` line of one instance.
pub fn line(d: &DeviceSpec) -> String {
    let (kind, fields) = match &d.kind {
        Kind::Hlb(c) => ("hlb", hlb_fields(c)),
        Kind::Dxe(c) => ("dxe", dxe_fields(c)),
    };
    format!("{} {} {}", d.name, kind, fields.join(" "))
}
