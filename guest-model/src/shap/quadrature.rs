//! Gauss–Legendre quadrature on [0, 1].
//!
//! The Shapley weights of path-dependent TreeSHAP are a Beta integral:
//! Σ_S |S|!(d-|S|-1)!/d! Π_{j∈S} o_j Π_{j∉S} z_j = ∫₀¹ Π_j (z_j + t(o_j - z_j)) dt,
//! a polynomial of degree d - 1 in t. An n-point Gauss rule integrates
//! polynomials of degree ≤ 2n - 1 exactly, so n = ⌈d/2⌉ points make the sum exact.

/// Points and weights of the n-point Gauss–Legendre rule on [0, 1].
pub fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            // Newton's method on P_n from the classic initial guess.
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut derivative = 0.0;
            for _ in 0..100 {
                let (p, dp) = legendre(n, x);
                derivative = dp;
                let step = p / dp;
                x -= step;
                if step.abs() < 1e-16 {
                    break;
                }
            }
            let weight = 2.0 / ((1.0 - x * x) * derivative * derivative);
            ((1.0 - x) / 2.0, weight / 2.0)
        })
        .collect()
}

/// P_n(x) and P_n'(x).
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    for k in 2..=n {
        let k = k as f64;
        let p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
    }
    if n == 0 {
        return (1.0, 0.0);
    }
    (p1, n as f64 * (x * p1 - p0) / (x * x - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_polynomials_up_to_degree_2n_minus_1_exactly() {
        for n in 1..=12 {
            let rule = gauss_legendre(n);
            for degree in 0..2 * n {
                let integral: f64 = rule.iter().map(|&(t, w)| w * t.powi(degree as i32)).sum();
                let exact = 1.0 / (degree as f64 + 1.0);
                assert!((integral - exact).abs() < 1e-13, "n={n} degree={degree}: {integral} vs {exact}");
            }
        }
    }
}
