//! Declared packages: lockfiles. Every package here has [`microscanner_model::Evidence::Declared`].

pub mod cargo;
pub mod cocoapods;
pub mod conan;
pub mod dart;
pub mod elixir;
pub mod gomod;
pub mod gradle;
pub mod julia;
pub mod maven;
pub mod npm;
pub mod pnpm;
pub mod python;
pub mod ruby;
pub mod sbt;
pub mod swift;
pub mod yarn;
