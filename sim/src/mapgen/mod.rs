//! Generators of the project's own maps under `maps/`. The committed files
//! are their output (`yard-sim map generate car-plant|grid-warehouse`), and
//! a test keeps the two in step.

pub mod car_plant;
pub mod grid_warehouse;
