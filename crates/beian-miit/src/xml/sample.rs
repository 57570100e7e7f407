//! Random valid instances of every generated type, for the schema tests: each is written,
//! validated by an outside validator (`xmllint`) against the published XSD, and read back.

use super::Facets;

/// A small deterministic generator (xorshift64*), so a failing seed can be replayed.
#[derive(Debug)]
pub struct Gen(u64);

/// Characters the samples draw from: ASCII, Chinese, XML's special characters, a character
/// outside GBK (written as a character reference), and spaces.
const PALETTE: &[char] = &[
    'a', 'Z', '0', '9', '-', '.', '@', ' ', '阿', '里', '云', '计', '算', '浙', '江', '省', '杭', '州', '<',
    '>', '&', '"', '\'', '𠀀', '😀', '\n', '\t',
];

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn long(&mut self, f: &Facets) -> i64 {
        let lo = f.min_inclusive.unwrap_or(0);
        let hi = f.max_inclusive.unwrap_or(lo.saturating_add(10_000_000));
        match self.pick(4) {
            0 => lo,
            1 => hi,
            _ => lo + (self.next() % ((hi - lo) as u64 + 1)) as i64,
        }
    }

    pub fn string(&mut self, f: &Facets) -> String {
        let n = match f.length {
            Some(l) => l,
            None => {
                let lo = f.min_length.unwrap_or(0);
                let hi = f.max_length.unwrap_or(lo + 12).min(lo + 12);
                lo + self.pick(hi - lo + 1)
            }
        };
        (0..n).map(|_| PALETTE[self.pick(PALETTE.len())]).collect()
    }

    pub fn base64(&mut self) -> String {
        use base64::Engine as _;
        let bytes: Vec<u8> = (0..self.pick(40)).map(|_| self.next() as u8).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    pub fn attribute(&mut self) -> String {
        "V.3.0".to_owned()
    }

    pub fn maybe<T>(&mut self, f: impl FnOnce(&mut Gen) -> T) -> Option<T> {
        (self.pick(2) == 0).then(|| f(self))
    }

    /// Between `min` and `min + 1` items (at most `max`): enough to exercise lists without
    /// files growing with the nesting depth.
    pub fn list<T>(&mut self, min: usize, max: Option<usize>, mut f: impl FnMut(&mut Gen) -> T) -> Vec<T> {
        let hi = max.unwrap_or(usize::MAX).min(min + 1);
        let n = min + self.pick(hi - min + 1);
        (0..n).map(|_| f(self)).collect()
    }
}

/// A type that can produce a random valid instance of itself.
pub trait Sample {
    fn sample(g: &mut Gen) -> Self;
}
