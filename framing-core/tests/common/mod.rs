//! What the property tests share.

/// Cuts `bytes` at the given points (each taken modulo its length plus
/// one), in order; empty chunks included on purpose.
pub fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut at = 0;
    for p in points {
        chunks.push(&bytes[at..p]);
        at = p;
    }
    chunks.push(&bytes[at..]);
    chunks
}
