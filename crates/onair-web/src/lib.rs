//! OnAir web platform (under construction: see crate docs as it lands).
