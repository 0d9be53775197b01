//! otpauth URI parser: never panics; whatever it accepts, it writes back canonically, reads
//! the canonical form back to the same thing, and can make codes from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::otp::Generator;
use tessera_core::otpauth::{MAX_URI_LEN, OtpAuth};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = OtpAuth::parse(text) else { return };
    let canonical = parsed.to_uri().expect("an accepted URI can be written back");
    // Percent-encoding can make the canonical form longer than the input, past the length cap.
    if canonical.len() <= MAX_URI_LEN {
        let again = OtpAuth::parse(&canonical).expect("the canonical URI reads back");
        assert_eq!(again, parsed, "canonical round trip");
    }
    let generator = Generator::new(&parsed.secret, &parsed.params).expect("accepted params make codes");
    let code = generator.generate(data.len() as u64 * 7919);
    assert_eq!(code.code.len(), usize::from(parsed.params.digits));
});
