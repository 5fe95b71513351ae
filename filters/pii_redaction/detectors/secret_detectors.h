#pragma once

#include <memory>

#include "filters/pii_redaction/detector.h"

// Detectors of the categories that are credentials: each finds candidates around cheap literal
// triggers, scans a bounded window around them for the exact span and keeps only what passes
// the category's validator and placeholder checks (shared/spec/pii-rules.md).
namespace chaukas::filters::pii_redaction {

// PEM private keys from the BEGIN line through the END line, with real newlines, CRLF, `\n`,
// `\\n` or spaces between lines and at least 40 base64 characters of body; a block cut off after
// its body runs to the end of the text. Also a whole base64-encoded PEM private key
// (LS0tLS1CRUdJTi...). Not PUBLIC KEY, CERTIFICATE or PARAMETERS blocks, header-only mentions, or
// bodies that are placeholders ("anything", "<your key here>", "...").
std::unique_ptr<Detector> MakePrivateKeyDetector();

// JWS compact tokens: all three base64url segments, the first two JSON objects. Not header-only
// or two-segment strings, base64 JSON blobs, or segments that decode to something else.
std::unique_ptr<Detector> MakeJwtDetector();

// gh[pousr]_ tokens with a valid CRC-32 checksum, and github_pat_ fine-grained tokens of the
// right shape. Not tokens glued to other letters, wrong checksums, truncated or masked tokens.
std::unique_ptr<Detector> MakeGithubTokenDetector();

// Slack bot, user, app, configuration and legacy tokens (xoxb-, xoxp-, xapp-, xoxe-, ...) and
// incoming-webhook URLs. Not all-x, #-masked or your-... placeholders, or bare prefixes.
std::unique_ptr<Detector> MakeSlackTokenDetector();

// AWS access key ids, (AKIA|ASIA|ABIA|ACCA) + 16 base32 characters between non-alphanumerics.
// Not low-entropy placeholders (AKIAXXXXXXXXXXXXXXXX) or other IAM ids (AIDA, AROA, ...).
std::unique_ptr<Detector> MakeAwsAccessKeyDetector();

// The user:password userinfo of scheme://user:password@host, any scheme. Not userinfo without a
// password, or placeholders (${...}, <...>, {...}, ****, the literal user:password).
std::unique_ptr<Detector> MakeUrlCredentialsDetector();

// The value of a secret-named key (api_key, token, client_secret, password, ...) in key=value,
// key: value, "key": "value" and --key value text, the credentials of Authorization: Bearer or
// Basic, vendor-prefixed keys anywhere (sk-proj-, sk-...T3BlbkFJ..., sk-ant-, sk_live_, hf_), and
// the whole text when its Struct key is secret-named. Not count and config keys (max_tokens,
// token_type, *_name, *_id, *_url, ...), or values that are empty, numbers, templates, env
// references or masked.
std::unique_ptr<Detector> MakeGenericSecretDetector();

}  // namespace chaukas::filters::pii_redaction
