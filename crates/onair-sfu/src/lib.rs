//! OnAir embedded media server (under construction).
