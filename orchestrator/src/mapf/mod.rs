//! Multi-agent path finding over the plan graph: pure functions, no ECS,
//! no IO.

pub mod distance;
