//! Ways of cutting a body into the pieces the network might deliver, for
//! the decoders' tests: a decoder must give the same result however its
//! input is cut.

/// Cuts `input` at the given points (any order, out-of-range ignored).
pub(crate) fn split_at_points<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points
        .iter()
        .copied()
        .filter(|&p| p <= input.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::new();
    let mut prev = 0;
    for c in cuts {
        pieces.push(&input[prev..c]);
        prev = c;
    }
    pieces.push(&input[prev..]);
    pieces
}

/// Asserts that `decode` gives the same result for `input` in one piece,
/// cut in two at every byte boundary, and cut into single bytes; returns
/// that result.
pub(crate) fn assert_split_invariant<T, F>(input: &[u8], decode: F) -> T
where
    T: PartialEq + std::fmt::Debug,
    F: Fn(&[&[u8]]) -> T,
{
    let whole = decode(&[input]);
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(decode(&[a, b]), whole, "split at {i} of {input:?}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(decode(&bytes), whole, "byte by byte: {input:?}");
    whole
}
