#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace chaukas {

// Base64url (RFC 4648 section 5) as JOSE uses it (RFC 7515 section 2): no '=' padding, no
// line breaks or whitespace. Decoding is strict, because a token with two spellings of the
// same bytes would defeat anything keyed on the token text: padding, characters outside the
// alphabet, an impossible length and non-zero bits after the last byte are all errors
// ("not base64url: '=' padding is not allowed"), and the message never quotes the input.
[[nodiscard]] absl::StatusOr<std::string> DecodeBase64Url(std::string_view text);

// The unpadded base64url spelling of `bytes`.
std::string EncodeBase64Url(std::string_view bytes);

}  // namespace chaukas
