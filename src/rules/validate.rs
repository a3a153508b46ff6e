//! Validators: checks run on candidate spans only.
//!
//! A validator looks at the bytes of one candidate match and says whether
//! it is a real instance of its entity type (a Luhn-valid card of a known
//! brand, an SSN the issuing rules allow, an IBAN whose mod-97 check holds).
//! It may also shorten a candidate that ran past the end of the value (an
//! IBAN followed by more groups). Validators see ASCII digits only: other
//! digit forms are folded to ASCII by the normalised view before they get
//! here, and a non-ASCII byte is never read as a digit, so no digit
//! arithmetic can overflow.

/// A named check on a candidate span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validator {
    /// Luhn checksum, a known brand prefix and a length that brand issues.
    Card,
    /// Luhn checksum alone.
    Luhn,
    /// US Social Security number issuing rules and known void numbers.
    Ssn,
    /// IPv4 dotted quad with octets 0-255.
    Ipv4,
    /// IPv6 in full or compressed form with at least one digit.
    Ipv6,
    /// IBAN with the country's length and the mod-97 check.
    Iban,
    /// A phone number that fits a numbering plan (NANP, E.164, or a
    /// national number with trunk prefix 0).
    Phone,
    /// A JSON Web Token whose header decodes to a JSON object with `alg`.
    Jwt,
    /// Lengths of an e-mail address (local part, labels, whole).
    Email,
}

/// What a validator says about one candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not a real instance: drop it.
    Reject,
    /// Confirmed, with the candidate's span unchanged.
    Accept,
    /// Confirmed after shortening the candidate to this many bytes.
    Shorten(usize),
}

impl Validator {
    /// Parses a validator name as written in a pack.
    pub fn parse(name: &str) -> Option<Validator> {
        Some(match name {
            "card" => Validator::Card,
            "luhn" => Validator::Luhn,
            "ssn" => Validator::Ssn,
            "ipv4" => Validator::Ipv4,
            "ipv6" => Validator::Ipv6,
            "iban" => Validator::Iban,
            "phone" => Validator::Phone,
            "jwt" => Validator::Jwt,
            "email" => Validator::Email,
            _ => return None,
        })
    }

    /// The name a pack uses for this validator.
    pub fn name(self) -> &'static str {
        match self {
            Validator::Card => "card",
            Validator::Luhn => "luhn",
            Validator::Ssn => "ssn",
            Validator::Ipv4 => "ipv4",
            Validator::Ipv6 => "ipv6",
            Validator::Iban => "iban",
            Validator::Phone => "phone",
            Validator::Jwt => "jwt",
            Validator::Email => "email",
        }
    }

    /// Checks one candidate. Linear in its length; never panics.
    pub fn check(self, candidate: &[u8]) -> Verdict {
        let ok = match self {
            Validator::Card => card(candidate),
            Validator::Luhn => luhn(&digits(candidate)),
            Validator::Ssn => ssn(candidate),
            Validator::Ipv4 => ipv4(candidate),
            Validator::Ipv6 => ipv6(candidate),
            Validator::Iban => return iban(candidate),
            Validator::Phone => phone(candidate),
            Validator::Jwt => jwt(candidate),
            Validator::Email => email(candidate),
        };
        if ok { Verdict::Accept } else { Verdict::Reject }
    }
}

/// The ASCII digits of a candidate, as values 0-9.
fn digits(s: &[u8]) -> Vec<u8> {
    s.iter().filter(|b| b.is_ascii_digit()).map(|b| b - b'0').collect()
}

/// The Luhn checksum over digit values.
pub fn luhn(d: &[u8]) -> bool {
    if d.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &v) in d.iter().rev().enumerate() {
        let v = u32::from(v);
        sum += if i % 2 == 1 {
            let x = v * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            v
        };
    }
    sum % 10 == 0
}

/// The number made of the first `n` digit values.
fn prefix(d: &[u8], n: usize) -> u32 {
    d.iter().take(n).fold(0, |acc, &v| acc * 10 + u32::from(v))
}

/// Whether a card number of this length is issued with this prefix.
fn card_brand(d: &[u8]) -> bool {
    let n = d.len();
    let p1 = prefix(d, 1);
    let p2 = prefix(d, 2);
    let p3 = prefix(d, 3);
    let p4 = prefix(d, 4);
    let p6 = prefix(d, 6);
    // Visa.
    (p1 == 4 && matches!(n, 13 | 16 | 19))
        // Mastercard, 51-55 and the 2-series.
        || ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16
        // American Express.
        || (p2 == 34 || p2 == 37) && n == 15
        // Discover.
        || (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65
            || (622126..=622925).contains(&p6))
            && (16..=19).contains(&n)
        // JCB.
        || (3528..=3589).contains(&p4) && (16..=19).contains(&n)
        // Diners Club.
        || ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39)
            && (14..=19).contains(&n)
        // UnionPay.
        || p2 == 62 && (16..=19).contains(&n)
}

fn card(s: &[u8]) -> bool {
    let d = digits(s);
    (13..=19).contains(&d.len()) && card_brand(&d) && luhn(&d)
}

/// Numbers printed in advertising and documentation, never issued.
const VOID_SSNS: [&str; 3] = ["078051120", "219099999", "457555462"];

fn ssn(s: &[u8]) -> bool {
    let d = digits(s);
    if d.len() != 9 {
        return false;
    }
    let area = prefix(&d, 3);
    let group = prefix(&d[3..], 2);
    let serial = prefix(&d[5..], 4);
    let text: String = d.iter().map(|v| char::from(b'0' + v)).collect();
    let void = VOID_SSNS.contains(&text.as_str())
        || (987654320..=987654329).contains(&prefix(&d, 9));
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !void
}

fn ipv4(s: &[u8]) -> bool {
    let mut parts = 0;
    for part in s.split(|&b| b == b'.') {
        parts += 1;
        if part.is_empty()
            || part.len() > 3
            || !part.iter().all(u8::is_ascii_digit)
            || prefix(&digits(part), 3) > 255
        {
            return false;
        }
    }
    parts == 4
}

fn ipv6(s: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(s) else {
        return false;
    };
    text.bytes().any(|b| b.is_ascii_digit())
        && text.parse::<std::net::Ipv6Addr>().is_ok()
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// Checks an IBAN written bare or in groups of four; a candidate that runs
/// past the country's length is shortened at a group boundary.
fn iban(s: &[u8]) -> Verdict {
    let Some(&(_, want)) =
        IBAN_LENGTHS.iter().find(|(cc, _)| s.len() >= 2 && &s[..2] == *cc)
    else {
        return Verdict::Reject;
    };
    // Find where the `want`-th alphanumeric character ends.
    let mut seen = 0;
    let mut end = None;
    for (i, b) in s.iter().enumerate() {
        if b.is_ascii_alphanumeric() {
            seen += 1;
            if seen == want {
                end = Some(i + 1);
                break;
            }
        }
    }
    let Some(end) = end else {
        return Verdict::Reject;
    };
    if end < s.len() && s[end] != b' ' {
        return Verdict::Reject;
    }
    let compact: Vec<u8> =
        s[..end].iter().copied().filter(u8::is_ascii_alphanumeric).collect();
    if !iban_mod97(&compact) {
        return Verdict::Reject;
    }
    if end == s.len() { Verdict::Accept } else { Verdict::Shorten(end) }
}

/// The ISO 7064 mod-97-10 check over an IBAN without spaces.
fn iban_mod97(compact: &[u8]) -> bool {
    if compact.len() < 5 {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut rem = 0u32;
    for &b in tail.iter().chain(head) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// Country calling codes and the lengths of national significant numbers
/// they allow, for the codes mail most often carries. Other codes are
/// checked against E.164's overall limits only.
const CALLING_CODES: &[(u32, usize, usize)] = &[
    (1, 10, 10),
    (7, 10, 10),
    (20, 8, 10),
    (27, 9, 9),
    (30, 10, 10),
    (31, 9, 9),
    (32, 8, 9),
    (33, 9, 9),
    (34, 9, 9),
    (36, 8, 9),
    (39, 6, 11),
    (40, 9, 9),
    (41, 9, 9),
    (43, 4, 13),
    (44, 9, 10),
    (45, 8, 8),
    (46, 7, 13),
    (47, 8, 8),
    (48, 9, 9),
    (49, 6, 13),
    (52, 10, 10),
    (55, 10, 11),
    (61, 9, 9),
    (64, 8, 10),
    (65, 8, 8),
    (81, 9, 10),
    (82, 8, 10),
    (86, 10, 11),
    (90, 10, 10),
    (91, 10, 10),
    (351, 9, 9),
    (352, 4, 11),
    (353, 7, 9),
    (358, 5, 12),
    (420, 9, 9),
    (852, 8, 8),
    (971, 8, 9),
    (972, 8, 9),
];

/// Whether ten digits make a NANP number: area code and exchange are NXX
/// (N is 2-9) and neither is N11.
fn nanp(d: &[u8]) -> bool {
    d.len() == 10
        && d[0] >= 2
        && d[3] >= 2
        && !(d[1] == 1 && d[2] == 1)
        && !(d[4] == 1 && d[5] == 1)
}

/// The lengths of the digit groups of a candidate.
fn groups(s: &[u8]) -> Vec<usize> {
    s.split(|b| !b.is_ascii_digit())
        .map(<[u8]>::len)
        .filter(|&n| n > 0)
        .collect()
}

fn phone(s: &[u8]) -> bool {
    // The shape of an SSN is not a phone number, whatever its digits.
    if groups(s) == [3, 2, 4] {
        return false;
    }
    let plus = s.first() == Some(&b'+');
    // "(0)" after a country code is a trunk prefix written for locals.
    let trunk = s.windows(3).any(|w| w == b"(0)");
    let mut d = digits(s);
    if plus {
        if trunk {
            if let Some(pos) = s.windows(3).position(|w| w == b"(0)") {
                let before = digits(&s[..pos]).len();
                if before < d.len() {
                    d.remove(before);
                }
            }
        }
        return international(&d);
    }
    match d.first() {
        Some(0) => (9..=12).contains(&d.len()) && d.get(1) != Some(&0),
        Some(1) if d.len() == 11 => nanp(&d[1..]),
        Some(_) => nanp(&d),
        None => false,
    }
}

/// Checks digits after a `+`: a calling code and a national number.
fn international(d: &[u8]) -> bool {
    if !(8..=15).contains(&d.len()) {
        return false;
    }
    for width in 1..=3 {
        let cc = prefix(d, width);
        if let Some(&(_, lo, hi)) =
            CALLING_CODES.iter().find(|(code, _, _)| *code == cc)
        {
            let national = &d[width..];
            if cc == 1 {
                return nanp(national);
            }
            return (lo..=hi).contains(&national.len());
        }
    }
    d[0] != 0
}

fn base64url_value(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    }))
}

/// Decodes unpadded base64url; `None` on a bad character.
fn base64url(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &b in s {
        acc = (acc << 6) | base64url_value(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn jwt(s: &[u8]) -> bool {
    let mut parts = s.split(|&b| b == b'.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(json) = base64url(header) else {
        return false;
    };
    let json = String::from_utf8_lossy(&json);
    let json = json.trim_start();
    json.starts_with('{') && json.contains("\"alg\"")
}

fn email(s: &[u8]) -> bool {
    let Some(at) = s.iter().rposition(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    !local.is_empty()
        && local.len() <= 64
        && !domain.is_empty()
        && domain.len() <= 253
        && domain.split(|&b| b == b'.').all(|l| !l.is_empty() && l.len() <= 63)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: Validator, s: &str) -> bool {
        v.check(s.as_bytes()) != Verdict::Reject
    }

    #[test]
    fn cards_need_luhn_and_brand() {
        assert!(ok(Validator::Card, "4000 0000 0000 0002"));
        assert!(ok(Validator::Card, "2221 0012 3456 7896"));
        assert!(ok(Validator::Card, "6250 9412 3456 7890 126"));
        assert!(ok(Validator::Card, "3782 822463 10005"));
        // Luhn-valid, but no brand begins with 1.
        assert!(!ok(Validator::Card, "1712345678907"));
        // Brand prefix, Luhn fails.
        assert!(!ok(Validator::Card, "4000 0000 0000 0001"));
        // Amex prefix with a Visa length.
        assert!(!ok(Validator::Card, "3400 0000 0000 0009"));
    }

    #[test]
    fn ssn_issuing_rules() {
        assert!(ok(Validator::Ssn, "536-90-1234"));
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "912-34-5678",
            "987-65-4321",
            "536-00-1234",
            "536-90-0000",
            "078-05-1120",
            "219-09-9999",
            "457-55-5462",
            "987-65-4325",
        ] {
            assert!(!ok(Validator::Ssn, bad), "{bad}");
        }
    }

    #[test]
    fn ip_addresses() {
        assert!(ok(Validator::Ipv4, "192.0.2.7"));
        assert!(ok(Validator::Ipv4, "255.255.255.255"));
        assert!(!ok(Validator::Ipv4, "999.300.1.1"));
        assert!(!ok(Validator::Ipv4, "1.2.3"));
        assert!(ok(Validator::Ipv6, "2001:db8::ff00:42:8329"));
        assert!(ok(
            Validator::Ipv6,
            "2001:0db8:0000:0000:0000:ff00:0042:8329"
        ));
        assert!(!ok(Validator::Ipv6, "a::b"));
        assert!(!ok(Validator::Ipv6, "d::"));
        assert!(!ok(Validator::Ipv6, "14:05"));
    }

    #[test]
    fn iban_checks_and_shortens() {
        assert_eq!(
            Validator::Iban.check(b"DE89 3704 0044 0532 0130 00"),
            Verdict::Accept
        );
        assert_eq!(
            Validator::Iban.check(b"GB29NWBK60161331926819"),
            Verdict::Accept
        );
        assert_eq!(
            Validator::Iban.check(b"DE89 3704 0044 0532 0130 00 1234"),
            Verdict::Shorten(27)
        );
        assert_eq!(
            Validator::Iban.check(b"DE89 3704 0044 0532 0130 01"),
            Verdict::Reject
        );
    }

    #[test]
    fn phones_fit_a_plan() {
        for good in [
            "(415) 555-0132",
            "+1 415 555 0132",
            "+44(0)161 4960932",
            "+49(0)9318561008",
            "+33 (0)3 63 40 62 90",
            "+34 821 74 76 61",
            "0808 1570879",
            "(030) 4452940",
            "4155550132",
        ] {
            assert!(ok(Validator::Phone, good), "{good}");
        }
        for bad in [
            "211-555-0132",
            "415-155-0132",
            "4500012345",
            "+0 123",
            "078-05-1120",
        ] {
            assert!(!ok(Validator::Phone, bad), "{bad}");
        }
    }

    #[test]
    fn jwt_header_must_decode() {
        assert!(ok(
            Validator::Jwt,
            "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln"
        ));
        assert!(!ok(Validator::Jwt, "eyJmb28iOjF9.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!ok(Validator::Jwt, "eyJ!.x.y"));
    }

    #[test]
    fn non_ascii_digits_are_not_digits() {
        // Arabic-Indic digits: no arithmetic on their bytes.
        let s = "٤١١١ ١١١١ ١١١١ ١١١١";
        assert!(!ok(Validator::Card, s));
        assert!(!ok(Validator::Ssn, s));
    }
}
