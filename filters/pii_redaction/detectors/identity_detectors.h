#pragma once

#include <memory>
#include <vector>

#include "filters/pii_redaction/detector.h"

// Detectors of the categories that identify a person or an account: each finds candidates
// around its triggers and keeps only those its validator accepts (shared/spec/pii-rules.md).
namespace chaukas::filters::pii_redaction {

// Addresses whose domain ends in a real TLD; not package@version, icon@2x.png, decorators, or
// the password@host tail of a URL's userinfo.
std::unique_ptr<Detector> MakeEmailDetector();

// Luhn-valid numbers of a card issuer's length, plain or grouped 4-4-4-4 / 4-6-5 / 4-6-4 by
// spaces or dashes; not digit runs glued to letters (an IBAN's groups) or inside longer runs.
std::unique_ptr<Detector> MakeCreditCardDetector();

// SSA-valid SSNs, dashed, dotted or spaced with one delimiter; nine plain digits only after a
// context word (ssn, social security, ss#, tax id) or as the value of an ssn key.
std::unique_ptr<Detector> MakeUsSsnDetector();

// IPv4 with octets 0-255, not inside longer dotted runs or after "v", "version " or "==";
// IPv6 as inet_pton reads it, compressed and IPv4-embedded forms included.
std::vector<std::unique_ptr<Detector>> MakeIpAddressDetectors();

// IBANs of a registry country with that country's length and valid mod-97 check digits,
// compact or in groups of four.
std::unique_ptr<Detector> MakeIbanDetector();

// Phone numbers: +<country code> international numbers, NANP (415) 555-0132 / 415-555-0132 /
// 1-800-555-0199 forms, UK national numbers; bare digit runs only as the value of a phone key or
// after a phone context word.
std::vector<std::unique_ptr<Detector>> MakePhoneDetectors();

// Bitcoin addresses with a valid checksum: base58check P2PKH/P2SH and bech32/bech32m bc1.
std::unique_ptr<Detector> MakeCryptoAddressDetector();

}  // namespace chaukas::filters::pii_redaction
