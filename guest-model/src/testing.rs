//! Random trees and rows for the library's own tests.

use crate::tree::{Ensemble, Node, Split};

/// A tiny deterministic generator (xorshift), so tests need no extra crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Values are drawn from a small grid so rows often land exactly on thresholds.
fn grid_value(rng: &mut Rng) -> f32 {
    rng.below(8) as f32 * 0.5
}

/// `trees` random trees of depth up to `depth` over `features` features
/// (features repeat along paths when there are few), with missing-value
/// directions, categorical splits and consistent covers.
pub fn random_ensemble(rng: &mut Rng, features: usize, trees: usize, depth: usize) -> Ensemble {
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    let mut words = Vec::new();
    for _ in 0..trees {
        roots.push(nodes.len() as u32);
        let cover = 100.0 + rng.unit() * 100.0;
        grow(rng, features, depth, cover, &mut nodes, &mut words);
    }
    Ensemble {
        nodes: nodes.into(),
        roots: roots.into(),
        category_words: words.into(),
        base_margin: rng.unit() - 0.5,
        num_features: features as u32,
        selection: crate::tree::TreeSelection::all(trees as u32),
    }
}

fn grow(rng: &mut Rng, features: usize, depth: usize, cover: f32, nodes: &mut Vec<Node>, words: &mut Vec<u32>) -> u32 {
    let at = nodes.len() as u32;
    if depth == 0 || rng.below(6) == 0 {
        nodes.push(Node::leaf(rng.unit() * 2.0 - 1.0, cover));
        return at;
    }
    let feature = rng.below(features) as u32;
    let split = if rng.below(4) == 0 {
        words.push(rng.next_u64() as u32 & 0xff);
        Split::Categorical { start: words.len() as u32 - 1, len: 1 }
    } else {
        Split::Numeric
    };
    nodes.push(Node::leaf(0.0, cover)); // placeholder until the children exist
    let share = 0.1 + 0.8 * rng.unit();
    let left = grow(rng, features, depth - 1, cover * share, nodes, words);
    let right = grow(rng, features, depth - 1, cover * (1.0 - share), nodes, words);
    let default_left = rng.below(2) == 0;
    nodes[at as usize] = Node::split(split, feature, grid_value(rng) + 0.25, (left, right), default_left, cover);
    at
}

/// A row with about one value in five missing.
pub fn random_row(rng: &mut Rng, features: usize) -> Vec<f32> {
    (0..features).map(|_| if rng.below(5) == 0 { f32::NAN } else { grid_value(rng) }).collect()
}
