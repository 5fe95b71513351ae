#pragma once

#include <string_view>

// Validators for the pii_redaction filter: pure functions that decide whether a candidate a
// pattern found is really PII, by checksum, registry or range. Each takes exactly the
// candidate (no surrounding text: boundaries and context words are the detector's job) and is
// safe to call from any thread. The rules are those of shared/spec/pii-rules.md.
namespace chaukas::filters::pii_redaction {

// True if `digits` is a non-empty run of ASCII digits whose Luhn (mod 10) checksum is 0.
bool LuhnValid(std::string_view digits);

// True if `digits` (separators already stripped) is 12-19 digits, has the length its issuer's
// IIN range allows (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, UATP) and
// passes Luhn. Numbers starting with 0, 7, 8, 9, or 1 (other than 15-digit UATP) are not cards.
bool CardNumberValid(std::string_view digits);

// True if the raw candidate `text` is all digits, or digits grouped 4-4-4-4, 4-4-4-4-3, 4-6-5 or
// 4-6-4 by single spaces or by single dashes, the same separator throughout.
bool CardGroupingValid(std::string_view text);

// True if `nine_digits` is a US SSN the SSA could have issued: area 001-899 but not 666, group
// 01-99, serial 0001-9999, not one repeated digit and not a well-known sample number.
bool SsnValid(std::string_view nine_digits);

// True if `text` is exactly a dotted-quad IPv4 address: four decimal octets 0-255 without
// leading zeros.
bool Ipv4Valid(std::string_view text);

// True if `text` is exactly an IPv6 address as inet_pton reads it (compressed and IPv4-embedded
// forms included), without a zone id.
bool Ipv6Valid(std::string_view text);

// True if `compact` (uppercase, separators removed) is an IBAN of a country in the SWIFT IBAN
// registry, with that country's length and check digits that make it 1 modulo 97.
bool IbanValid(std::string_view compact);

// True if `text` is a base58check Bitcoin address: P2PKH ('1', version 0x00) or P2SH ('3',
// version 0x05), 25 bytes with a double-SHA-256 checksum.
bool BtcBase58AddressValid(std::string_view text);

// True if `text` is a mainnet segwit address (hrp "bc", one case): witness version 0 with a
// bech32 checksum (BIP-173) or versions 1-16 with a bech32m checksum (BIP-350).
bool BtcBech32AddressValid(std::string_view text);

// True if `text` is a GitHub token: gh[pousr]_ with its CRC32 checksum in the last 6 characters,
// or the shape of a fine-grained github_pat_ token (whose checksum is not documented).
bool GithubTokenValid(std::string_view text);

// True if `text` is three non-empty base64url segments joined by dots whose first two decode to
// JSON objects (a JWS compact serialization).
bool JwtValid(std::string_view text);

// The Shannon entropy of `text` in bits per character (byte); 0 for empty text.
double ShannonEntropy(std::string_view text);

// True if `text` is an AWS access key id, (AKIA|ASIA|ABIA|ACCA) + 16 of [A-Z2-7], with entropy
// of at least 3 bits per character (so AKIAXXXXXXXXXXXXXXXX is not one).
bool AwsAccessKeyValid(std::string_view text);

// True if `text` is an email address whose domain ends in a real top-level domain that is not
// also a common file extension (icon@2x.png, lodash@4.17.21 and user@host are not).
bool EmailValid(std::string_view text);

// True if `text` is obviously not a secret: empty, a template reference (${X}, {{x}}, <x>), one
// repeated character (****), a "your-..."/changeme/placeholder/redacted marker, or the literal
// password or user:password.
bool IsPlaceholder(std::string_view text);

}  // namespace chaukas::filters::pii_redaction
