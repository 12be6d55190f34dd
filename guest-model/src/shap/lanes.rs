//! Four f32 lanes: one per quadrature point. Written as plain arrays so the
//! compiler turns each operation into one SIMD instruction (SSE natively,
//! `simd128` in the component).

use std::ops::{Add, Mul, Sub};

/// Four f32 values processed together.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(16))]
pub struct Lanes(pub [f32; 4]);

impl Lanes {
    /// All lanes zero.
    pub const ZERO: Lanes = Lanes([0.0; 4]);
    /// All lanes one.
    pub const ONE: Lanes = Lanes([1.0; 4]);

    /// Every lane set to `v`.
    #[inline(always)]
    pub fn splat(v: f32) -> Lanes {
        Lanes([v; 4])
    }

    /// Sum of the four lanes, in f64.
    #[inline(always)]
    pub fn sum(self) -> f64 {
        self.0.iter().map(|&v| v as f64).sum()
    }
}

macro_rules! lanewise {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for Lanes {
            type Output = Lanes;
            #[inline(always)]
            fn $method(self, rhs: Lanes) -> Lanes {
                let (a, b) = (self.0, rhs.0);
                Lanes([a[0] $op b[0], a[1] $op b[1], a[2] $op b[2], a[3] $op b[3]])
            }
        }
    };
}
lanewise!(Add, add, +);
lanewise!(Sub, sub, -);
lanewise!(Mul, mul, *);
