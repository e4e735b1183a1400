//! Declared packages: lockfiles. Every package here has [`microscanner_model::Evidence::Declared`].

pub mod cargo;
pub mod gomod;
pub mod npm;
pub mod pnpm;
pub mod python;
pub mod ruby;
pub mod yarn;
