//! GTIN barcodes (商品条码, GB 12904): the 13 digits on a retail box (EAN-13) or the 14 on
//! a case (ITF-14), the last a check digit over the others. A GTIN-13 is the GTIN-14 with
//! a leading 0, so every GTIN is kept and looked up in its 14-digit form: the box and the
//! case of one product are then the same key whichever a consumer scans.

/// The 14-digit form of `text`, or why it is not a GTIN-13 or GTIN-14.
pub fn normalize(text: &str) -> Result<String, String> {
    let digits = text.trim();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{:?} is not a GTIN: a GTIN is 13 or 14 digits",
            crate::text::printable(digits)
        ));
    }
    if digits.len() != 13 && digits.len() != 14 {
        return Err(format!(
            "{digits} has {} digits; a GTIN-13 has 13 and a GTIN-14 has 14",
            digits.len()
        ));
    }
    let padded = format!("{digits:0>14}");
    let expected = check_digit(&padded[..13]);
    let given = padded.as_bytes()[13] - b'0';
    if given != expected {
        return Err(format!(
            "{digits}: its check digit is {given}, but the digits before it give {expected}"
        ));
    }
    Ok(padded)
}

/// The check digit of the digits before it: weights 3 and 1 alternating from the right.
pub fn check_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins_are_checked_and_kept_in_fourteen_digits() {
        // Real barcodes: a GTIN-13 and the same product's GTIN-14 with indicator 1.
        assert_eq!(normalize("6901234567892").unwrap(), "06901234567892");
        assert_eq!(normalize("06901234567892").unwrap(), "06901234567892");
        assert_eq!(normalize("4006381333931").unwrap(), "04006381333931");
        assert_eq!(
            normalize(&format!("1690123456789{}", check_digit("1690123456789"))).unwrap(),
            "16901234567899"
        );
        let wrong = normalize("6901234567893").unwrap_err();
        assert!(
            wrong.contains("check digit is 3") && wrong.contains("give 2"),
            "{wrong}"
        );
        assert!(normalize("690123456789").unwrap_err().contains("12 digits"));
        assert!(normalize("69012345678 2").is_err());
        assert!(
            normalize("６901234567892").is_err(),
            "full-width digits are not digits"
        );
    }
}
