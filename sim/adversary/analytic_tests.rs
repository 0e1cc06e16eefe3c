//! Expected values are the published tables (targets.yaml T01–T06, T12), or for the exact
//! race an independent computation (numerical integration of the incomplete-beta form, and
//! a mass-propagation over the race's states) — never the formula under test.

use super::*;

/// Bitcoin paper §11, first table (q = 0.1).
const T01: [(u32, f64); 11] = [
    (0, 1.0),
    (1, 0.2045873),
    (2, 0.0509779),
    (3, 0.0131722),
    (4, 0.0034552),
    (5, 0.0009137),
    (6, 0.0002428),
    (7, 0.0000647),
    (8, 0.0000173),
    (9, 0.0000046),
    (10, 0.0000012),
];

/// Bitcoin paper §11, second table (q = 0.3).
const T02: [(u32, f64); 11] = [
    (0, 1.0),
    (5, 0.1773523),
    (10, 0.0416605),
    (15, 0.0101008),
    (20, 0.0024804),
    (25, 0.0006132),
    (30, 0.0001522),
    (35, 0.0000379),
    (40, 0.0000095),
    (45, 0.0000024),
    (50, 0.0000006),
];

#[test]
fn nakamoto_tables_are_reproduced_to_the_printed_digits() {
    for (q, table) in [(0.1, &T01), (0.3, &T02)] {
        for &(z, expected) in table.iter() {
            let got = nakamoto_success(q, z);
            assert!(
                (got - expected).abs() <= 5e-8,
                "q={q} z={z}: {got} vs {expected}"
            );
        }
    }
}

#[test]
fn nakamoto_minimum_confirmations_table() {
    // Bitcoin paper §11, "Solving for P less than 0.1%".
    let table = [
        (0.10, 5),
        (0.15, 8),
        (0.20, 11),
        (0.25, 15),
        (0.30, 24),
        (0.35, 41),
        (0.40, 89),
        (0.45, 340),
    ];
    for (q, z) in table {
        assert_eq!(
            min_confirmations(nakamoto_success, q, 0.001, 1000),
            Some(z),
            "q={q}"
        );
    }
}

/// `I_x(a, 1/2)` by Simpson's rule on the defining integral; `B(a, 1/2)` from
/// `Γ(a+1/2)/Γ(1/2) = Π_{j<a} (j + 1/2)`.
fn incomplete_beta_half(x: f64, a: u32) -> f64 {
    let n = 200_000;
    let h = x / n as f64;
    let f = |t: f64| t.powi(a as i32 - 1) / (1.0 - t).sqrt();
    let mut s = f(0.0) + f(x);
    for i in 1..n {
        s += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    let integral = s * h / 3.0;
    let mut beta = 1.0;
    for j in 0..a {
        beta *= if j == 0 { 1.0 } else { j as f64 } / (j as f64 + 0.5);
    }
    integral / beta
}

/// Probability mass pushed through the race until what is left is negligible. `lead` is how
/// far ahead the attacker must be once the honest chain has `z` blocks.
fn race_by_mass(q: f64, z: u32, lead: i64) -> f64 {
    let p = 1.0 - q;
    let need = z as i64 + lead;
    // Phase 1: honest h < z, attacker a < need.
    let cols = need.max(1) as usize + 1;
    let mut grid = vec![vec![0.0f64; cols]; z as usize + 1];
    grid[0][0] = 1.0;
    let mut success = 0.0;
    let mut at_z = vec![0.0f64; cols];
    for h in 0..z as usize {
        for a in 0..need.max(0) as usize {
            let m = grid[h][a];
            if m == 0.0 {
                continue;
            }
            if a as i64 + 1 >= need {
                success += m * q;
            } else {
                grid[h][a + 1] += m * q;
            }
            if h + 1 == z as usize {
                at_z[a] += m * p;
            } else {
                grid[h + 1][a] += m * p;
            }
        }
    }
    if z == 0 {
        at_z[0] = 1.0;
    }
    // Phase 2: walk on the deficit `need - a` until it reaches 0 or a far floor.
    // From 200 behind, coming back has probability below (2/3)^200: count it as failure.
    let floor = 200usize;
    let mut deficit = vec![0.0f64; floor + 1];
    for (a, &m) in at_z.iter().enumerate() {
        let d = need - a as i64;
        if d <= 0 {
            success += m;
        } else {
            deficit[d as usize] += m;
        }
    }
    while deficit.iter().sum::<f64>() > 1e-14 {
        let mut next = vec![0.0f64; floor + 1];
        for d in 1..floor {
            let m = deficit[d];
            if d == 1 {
                success += m * q;
            } else {
                next[d - 1] += m * q;
            }
            if d + 1 < floor {
                next[d + 1] += m * p;
            }
        }
        deficit = next;
    }
    success
}

#[test]
fn exact_race_matches_the_incomplete_beta_form_and_a_mass_propagation() {
    for q in [0.1, 0.2, 0.3, 0.4] {
        for z in 1..=12 {
            let got = race_success(q, z);
            let beta = incomplete_beta_half(4.0 * q * (1.0 - q), z);
            assert!(
                (got - beta).abs() < 1e-9,
                "q={q} z={z}: {got} vs I_4pq(z,1/2)={beta}"
            );
            let mass = race_by_mass(q, z, 0);
            assert!((got - mass).abs() < 1e-9, "q={q} z={z}: {got} vs {mass}");
            let over = race_overtake(q, z);
            let over_mass = race_by_mass(q, z, 1);
            assert!(
                (over - over_mass).abs() < 1e-9,
                "overtake q={q} z={z}: {over} vs {over_mass}"
            );
        }
    }
}

#[test]
fn exact_race_is_riskier_than_nakamoto_estimate() {
    // Grunspan & Pérez-Marco: more confirmations are needed than Nakamoto's table says.
    for q in [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4] {
        let exact = min_confirmations(race_success, q, 0.001, 2000).unwrap();
        let nakamoto = min_confirmations(nakamoto_success, q, 0.001, 2000).unwrap();
        assert!(exact > nakamoto, "q={q}: {exact} vs {nakamoto}");
        for z in 1..=20 {
            assert!(race_overtake(q, z) < race_success(q, z));
        }
    }
    assert_eq!(race_success(0.5, 10), 1.0);
}

/// targets.yaml T05 (Eyal & Sirer), values rounded to four decimals; the 0.3333 row is
/// α = 1/3 (its γ = 1 value, 0.4359, is R(1/3), while R(0.3333) rounds to 0.4358).
pub(crate) const T05: [(f64, [f64; 3]); 8] = [
    (0.1, [0.0356, 0.0724, 0.1092]),
    (0.2, [0.1297, 0.1824, 0.2352]),
    (0.25, [0.1951, 0.25, 0.3049]),
    (0.3, [0.2731, 0.3269, 0.3806]),
    (1.0 / 3.0, [0.3333, 0.3846, 0.4359]),
    (0.35, [0.3665, 0.416, 0.4656]),
    (0.4, [0.4837, 0.5256, 0.5674]),
    (0.45, [0.6518, 0.6806, 0.7094]),
];

#[test]
fn selfish_revenue_matches_the_published_points() {
    for (alpha, row) in T05 {
        for (gamma, expected) in [0.0, 0.5, 1.0].into_iter().zip(row) {
            let got = selfish_revenue(alpha, gamma);
            assert!(
                (got - expected).abs() <= 5e-5 + 1e-12,
                "alpha={alpha} gamma={gamma}: {got} vs {expected}"
            );
        }
    }
}

#[test]
fn selfish_threshold_is_where_revenue_equals_share() {
    // targets.yaml T06.
    for (gamma, expected) in [
        (0.0, 1.0 / 3.0),
        (0.25, 0.3),
        (0.5, 0.25),
        (0.75, 1.0 / 6.0),
        (1.0, 0.0),
    ] {
        let t = selfish_threshold(gamma);
        assert!((t - expected).abs() < 1e-12, "gamma={gamma}: {t}");
        if t > 0.01 {
            assert!((selfish_revenue(t, gamma) - t).abs() < 1e-12);
            assert!(selfish_revenue(t - 0.01, gamma) < t - 0.01);
            assert!(selfish_revenue(t + 0.01, gamma) > t + 0.01);
        }
    }
}

#[test]
fn simple_fork_model_values() {
    // targets.yaml T12.
    for (tau, expected) in [
        (20.0, 0.0328),
        (12.6, 0.0208),
        (6.5, 0.0108),
        (60.0, 0.0952),
    ] {
        let got = stale_probability(tau, 600.0);
        assert!((got - expected).abs() <= 5e-5, "tau={tau}: {got}");
    }
}
