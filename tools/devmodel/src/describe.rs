// SPDX-License-Identifier: GPL-2.0

//! `--describe`: one line per instance, `NAME KIND key=value...`, where
//! each key is the sysfs attribute the driver exposes and each value what
//! it must show for this configuration.

use crate::cli::{DeviceSpec, Kind};
use crate::dxe::DxeConfig;
use crate::dxe_regs as dregs;
use crate::hlb::{self, HlbConfig};
use crate::hlb_regs as hregs;

/// The `version=MAJOR.MINOR` field for a `VERSION` register value.
fn version_field(v: u32) -> String {
    format!(
        "version={}.{}",
        dregs::version_major(v),
        dregs::version_minor(v)
    )
}

fn hlb_fields(c: &HlbConfig) -> Vec<String> {
    let mut f = vec![version_field(c.version)];
    for (name, off) in hregs::RESOURCE_REGS {
        let v = c.resource(off).unwrap_or(0);
        f.push(format!("total_resources/{name}={v}"));
    }
    // No field for `vfs`: the PF driver has no sysfs attribute for
    // NUM_VFS, and every field here is one the guest compares.
    f.push(format!("irq_vectors={}", hlb::NUM_VECTORS));
    f
}

fn dxe_fields(c: &DxeConfig) -> Vec<String> {
    let mut caps = String::from("caps=");
    dregs::write_caps(c.caps, &mut caps).expect("writing to a String cannot fail");
    vec![
        version_field(c.version),
        caps,
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
