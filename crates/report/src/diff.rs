//! Differences between two reports (being written).
