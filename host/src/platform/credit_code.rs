//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
//! 31-character alphabet, the last a check character over the first 17.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The code whose first 17 characters are `first17`, with its check character.
pub fn complete(first17: &str) -> String {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| ALPHABET.iter().position(|a| *a == b).unwrap_or(0) as u32 * w)
        .sum();
    format!(
        "{first17}{}",
        ALPHABET[((31 - sum % 31) % 31) as usize] as char
    )
}

/// Why a code is not valid, or `None`.
pub fn check(code: &str) -> Option<&'static str> {
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return Some("a unified social credit code has 18 characters");
    }
    let value = |b: u8| ALPHABET.iter().position(|a| *a == b).map(|p| p as u32);
    let mut sum = 0;
    for (b, w) in bytes[..17].iter().zip(WEIGHTS) {
        match value(*b) {
            Some(v) => sum += v * w,
            None => {
                return Some(
                    "a unified social credit code uses digits and capital letters other than I, O, Z, S, V",
                );
            }
        }
    }
    let expected = ALPHABET[((31 - sum % 31) % 31) as usize];
    if bytes[17] != expected {
        return Some("the check character does not match (a typing error?)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{check, complete};

    #[test]
    fn known_codes() {
        for good in [
            "91350100M000100Y43",
            "91110000802100433B",
            "9144030071526726XG",
        ] {
            assert_eq!(check(good), None, "{good}");
        }
        assert!(
            check("91350100M000100Y44").is_some(),
            "wrong check character"
        );
        assert!(check("91350100M000100Y4").is_some(), "17 characters");
        assert_eq!(complete("91350100M000100Y4"), "91350100M000100Y43");
        assert!(
            check("91350100I000100Y43").is_some(),
            "I is not in the alphabet"
        );
    }
}
