//! One f32 per row explained together. Written as plain arrays so the
//! compiler turns each operation into SIMD instructions (SSE natively,
//! `simd128` in the component).

use std::ops::{Add, Mul, Sub};

use super::ROWS;

/// One value per row of the batch.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(32))]
pub struct Lanes(pub [f32; ROWS]);

impl Lanes {
    /// All lanes zero.
    pub const ZERO: Lanes = Lanes([0.0; ROWS]);
    /// All lanes one.
    pub const ONE: Lanes = Lanes([1.0; ROWS]);

    /// Every lane set to `v`.
    #[inline(always)]
    pub fn splat(v: f32) -> Lanes {
        Lanes([v; ROWS])
    }
}

macro_rules! lanewise {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for Lanes {
            type Output = Lanes;
            #[inline(always)]
            fn $method(self, rhs: Lanes) -> Lanes {
                Lanes(std::array::from_fn(|i| self.0[i] $op rhs.0[i]))
            }
        }
    };
}
lanewise!(Add, add, +);
lanewise!(Sub, sub, -);
lanewise!(Mul, mul, *);
