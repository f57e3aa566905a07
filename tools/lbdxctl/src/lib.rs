//! lbdxctl: configure HLB scheduling domains through the lbdx configfs tree,
//! in the spirit of idxd's accel-config. The binary is `src/main.rs`; this
//! library holds everything else so that tests can drive it against an
//! in-memory tree (`fake::FakeConfigfs`).

pub mod apply;
pub mod cli;
pub mod destroy;
pub mod error;
pub mod fake;
pub mod layout;
pub mod list;
pub mod natsort;
pub mod render;
pub mod show;
pub mod spec;
pub mod stats;
pub mod trace;
pub mod tree;
