//! The grid warehouse of `maps/grid-warehouse.map`, in MovingAI format:
//! blocks of shelving (`@`) in a rectangular hall with a free border, the
//! layout of the warehouse maps of the MAPF benchmark, large enough for
//! fleets of several hundred vehicles.

/// Shape of the generated warehouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridWarehouse {
    /// Shelf blocks across.
    pub blocks_x: u32,
    /// Shelf blocks down.
    pub blocks_y: u32,
    /// Cells per block, across.
    pub block_width: u32,
    /// Cells per block, down.
    pub block_height: u32,
    /// Free cells between blocks, across (vertical aisles).
    pub aisle_x: u32,
    /// Free cells between blocks, down (horizontal aisles).
    pub aisle_y: u32,
    /// Free cells around all blocks.
    pub border: u32,
}

impl Default for GridWarehouse {
    fn default() -> Self {
        GridWarehouse {
            blocks_x: 8,
            blocks_y: 12,
            block_width: 10,
            block_height: 2,
            aisle_x: 3,
            aisle_y: 2,
            border: 5,
        }
    }
}

impl GridWarehouse {
    /// Width in cells.
    pub fn width(&self) -> u32 {
        2 * self.border + self.blocks_x * self.block_width + (self.blocks_x - 1) * self.aisle_x
    }

    /// Height in cells.
    pub fn height(&self) -> u32 {
        2 * self.border + self.blocks_y * self.block_height + (self.blocks_y - 1) * self.aisle_y
    }

    /// Whether cell `(x, y)` is shelving.
    pub fn is_shelf(&self, x: u32, y: u32) -> bool {
        let inside = |v: u32, blocks: u32, size: u32, aisle: u32| {
            if v < self.border {
                return false;
            }
            let v = v - self.border;
            let pitch = size + aisle;
            v / pitch < blocks && v % pitch < size
        };
        inside(x, self.blocks_x, self.block_width, self.aisle_x)
            && inside(y, self.blocks_y, self.block_height, self.aisle_y)
    }
}

/// The `.map` text.
pub fn generate(shape: &GridWarehouse) -> String {
    let (w, h) = (shape.width(), shape.height());
    let mut text = format!("type octile\nheight {h}\nwidth {w}\nmap\n");
    for y in 0..h {
        text.extend((0..w).map(|x| if shape.is_shelf(x, y) { '@' } else { '.' }));
        text.push('\n');
    }
    text
}
