//! Matches an [`Inventory`](microscanner_model::Inventory) against the vulnerability database.
