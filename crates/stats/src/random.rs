//! A small seeded generator whose draws another program can reproduce exactly.
//!
//! SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators",
//! OOPSLA; the constants of Vigna's reference `splitmix64.c`): the state advances by the golden
//! gamma `0x9E3779B97F4A7C15` and each output is the state mixed by two xor-shift-multiply
//! rounds. It is used where a reference implementation in another language must draw the very
//! same permutations and resamples (`reference/joinpoint/joinpoint_reference.py` does).

/// SplitMix64: a 64-bit state, one output per step.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in [0, 1) from the top 53 bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform index in `0..n` (`n > 0`): `⌊u·n⌋` of [`Self::uniform`].
    pub fn below(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_outputs_of_splitmix64_c() {
        // Vigna's splitmix64.c seeded with 1234567: its first outputs.
        let mut g = SplitMix64::new(1_234_567);
        assert_eq!(g.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(g.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(g.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn indices_stay_in_range() {
        let mut g = SplitMix64::new(7);
        assert!((0..10_000).all(|_| g.below(3) < 3));
    }
}
