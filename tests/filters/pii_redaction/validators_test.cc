#include "filters/pii_redaction/validators.h"

#include <string>
#include <string_view>

#include "gateway/common/base64url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Every value here is synthetic (generated for these tests with Luhn, mod-97, CRC-32 and
// double-SHA-256 by a throwaway script) or a published test vector: card-network test PANs,
// Wikipedia's IBAN examples, the BIP-173/BIP-350 addresses, the Bitcoin genesis address and
// Datadog's GitHub-token checksum vector.
namespace chaukas::filters::pii_redaction {
namespace {

// ---- Luhn and cards -------------------------------------------------------------------------

TEST(LuhnValidTest, AcceptsNumbersWhoseChecksumIsZero) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("79927398713"));  // the textbook example
  EXPECT_TRUE(LuhnValid("0"));
}

TEST(LuhnValidTest, RejectsWrongCheckDigitsAndNonDigits) {
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_FALSE(LuhnValid(""));
  EXPECT_FALSE(LuhnValid("4111 1111 1111 1111"));
  EXPECT_FALSE(LuhnValid("4111-1111-1111-1111"));
  EXPECT_FALSE(LuhnValid("411111111111111a"));
}

TEST(CardNumberValidTest, AcceptsNetworkTestNumbers) {
  for (const std::string_view pan : {
           "4111111111111111",  // Visa
           "4222222222222",     // Visa, 13 digits
           "5555555555554444",  // Mastercard
           "2223003122003222",  // Mastercard 2-series
           "378282246310005",   // American Express
           "6011111111111117",  // Discover
           "3530111333300000",  // JCB
           "36227206271667",    // Diners Club, 14 digits
           "30569309025904",    // Diners Club 300-305
           "6200000000000005",  // UnionPay
           "6759649826438453",  // Maestro
       }) {
    EXPECT_TRUE(CardNumberValid(pan)) << pan;
  }
}

TEST(CardNumberValidTest, AcceptsEveryRowOfTheIinTable) {
  for (const std::string_view pan : {
           "4927357852177",    "4135344797788769",    "4195151773172212303",  // Visa 13/16/19
           "5114457151600248", "5562644041585104",                            // Mastercard 51-55
           "2221567463536216", "2720101693609977",                            // 2221-2720
           "346466809262666",  "376203787600812",                             // Amex 34/37
           "6011212004944307", "6011611952304114592",                         // Discover 6011
           "6446336218603980", "64939431590568472",   "653770278622287874",   // 644-649, 65
           "3528494633254547", "3589387742395500118",                         // JCB 3528-3589
           "30088795996098",   "3056557484854621",                            // Diners 300-305
           "36402259225916",   "3875894884993085768",                         // Diners 36/38
           "6256640295593181", "6241022215535741716",                         // UnionPay 62
           "504997314696",     "5627629922969",       "6922061703298681226",  // Maestro
           "177612384987151",                                                 // UATP, 15 digits
       }) {
    EXPECT_TRUE(CardNumberValid(pan)) << pan;
  }
}

TEST(CardNumberValidTest, RejectsLuhnValidNumbersOfTheWrongLengthForTheirIssuer) {
  for (const std::string_view number : {
           "408909128814100",       // Visa has no 15-digit numbers
           "41601280666427362186",  // 20 digits
           "511729197469931",       // Mastercard is 16 digits
           "2220586098493339",      // just below the 2-series
           "2721995974351012",      // just above it
           "2200311759571537",      // Mir, not in the table
           "3492789510595223",      // Amex is 15 digits
           "3527496852389806",      // just below JCB
           "30611696485323",        // Diners stops at 305
           "50966530367",           // 11 digits
       }) {
    ASSERT_TRUE(LuhnValid(number)) << number;
    EXPECT_FALSE(CardNumberValid(number)) << number;
  }
}

TEST(CardNumberValidTest, RejectsPrefixesNoCardUses) {
  for (const std::string_view number : {
           "0777401617235511", "1170028580871351", "7442021568296708", "8805323665025744",
           "9279074205893886",
           "1585701280090",  // 1 is UATP only at 15 digits
       }) {
    ASSERT_TRUE(LuhnValid(number)) << number;
    EXPECT_FALSE(CardNumberValid(number)) << number;
  }
}

TEST(CardNumberValidTest, RejectsTheTrapsOfPiiRules) {
  // Presidio's invalid-card examples fail Luhn.
  EXPECT_FALSE(CardNumberValid("4012888888881882"));
  EXPECT_FALSE(CardNumberValid("36168002586008"));
  // Epoch milliseconds, snowflake ids, IMEIs (Luhn by design) and the digits of an IBAN pass
  // Luhn; only the IIN table stops them.
  for (const std::string_view number : {
           "1748503543012",        // epoch ms
           "1174988123456789013",  // 19-digit id
           "490154203237518",      // IMEI, prefix 49
           "356938035643809",      // IMEI, prefix 35
           "1090101400000712",     // inside PL61 1090 1014 0000 0712 1981 2874
       }) {
    ASSERT_TRUE(LuhnValid(number)) << number;
    EXPECT_FALSE(CardNumberValid(number)) << number;
  }
}

TEST(CardNumberValidTest, RejectsSeparatorsAndMasks) {
  EXPECT_FALSE(CardNumberValid("4111 1111 1111 1111"));
  EXPECT_FALSE(CardNumberValid("4111-1111-1111-1111"));
  EXPECT_FALSE(CardNumberValid("411111******1111"));
  EXPECT_FALSE(CardNumberValid(""));
}

TEST(CardGroupingValidTest, AcceptsUngroupedAndConsistentlyGroupedNumbers) {
  for (const std::string_view text : {
           "4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111",
           "4012-8888-8888-1882",      // a grouping can be fine where the number is not
           "6011 6119 5230 4114 592",  // 19 digits, 4-4-4-4-3
           "3782 822463 10005",        // Amex, 4-6-5
           "3622-720627-1667",         // Diners, 4-6-4
       }) {
    EXPECT_TRUE(CardGroupingValid(text)) << text;
  }
}

TEST(CardGroupingValidTest, RejectsMixedDoubledOrOddSeparators) {
  for (const std::string_view text : {
           "4111 1111-1111 1111",   // mixed
           "4111  1111 1111 1111",  // doubled
           "4111--1111-1111-1111",
           "4111.1111.1111.1111",
           "4111_1111_1111_1111",
           " 4111 1111 1111 1111",
           "4111 1111 1111 1111 ",
           "41111 1111 1111 111",  // 5-4-4-3
           "411 111 111 111 111 1",
           "4111 1111 1111 1111 1111",  // five fours
           "4111 11** **** 1111",       // masked
           "1234567890 123456",
           "",
       }) {
    EXPECT_FALSE(CardGroupingValid(text)) << '"' << text << '"';
  }
}

// ---- US SSN ---------------------------------------------------------------------------------

TEST(SsnValidTest, AcceptsNumbersTheSsaCouldIssue) {
  for (const std::string_view ssn :
       {"536228147", "001010001", "899999998", "665123456", "667123456", "772123456"}) {
    EXPECT_TRUE(SsnValid(ssn)) << ssn;
  }
}

TEST(SsnValidTest, RejectsUnissuedAreasGroupsAndSerials) {
  for (const std::string_view ssn : {
           "000123456",  // area 000
           "666123456",  // area 666
           "900123456",  // 9xx is ITIN space
           "950701234",  // an ITIN
           "123006789",  // group 00
           "123450000",  // serial 0000
       }) {
    EXPECT_FALSE(SsnValid(ssn)) << ssn;
  }
}

TEST(SsnValidTest, RejectsRepeatedDigitsAndPublishedSamples) {
  for (const std::string_view ssn : {"111111111", "555555555", "999999999", "078051120",
                                     "123456789", "219099999", "987654320", "987654329"}) {
    EXPECT_FALSE(SsnValid(ssn)) << ssn;
  }
}

TEST(SsnValidTest, RejectsAnythingButNineDigits) {
  for (const std::string_view text :
       {"", "53622814", "5362281470", "536-22-8147", "536 22 8147", "53622814a"}) {
    EXPECT_FALSE(SsnValid(text)) << text;
  }
}

// ---- IP addresses ---------------------------------------------------------------------------

TEST(Ipv4ValidTest, AcceptsDottedQuads) {
  for (const std::string_view ip :
       {"192.168.1.1", "0.0.0.0", "255.255.255.255", "10.0.0.1", "127.0.0.1", "1.2.3.4"}) {
    EXPECT_TRUE(Ipv4Valid(ip)) << ip;
  }
}

TEST(Ipv4ValidTest, RejectsOctetsOutOfRangeAndOtherShapes) {
  for (const std::string_view text : {
           "192.168.1.300",
           "256.256.256.256",
           "114.0.5735.90",
           "1.2.3.1000",
           "1.2.3",
           "1.2.3.4.5",
           "1.3.6.1.4.1.2021",
           "1..3.4",
           ".1.2.3",
           "1.2.3.4.",
           "1.2.3.4 ",
           " 1.2.3.4",
           "1.2.3.-4",
           "1.2.3.+4",
           "a.b.c.d",
           "1.2.3.4/24",
           "1.2.3.4:80",
           "",
       }) {
    EXPECT_FALSE(Ipv4Valid(text)) << '"' << text << '"';
  }
}

TEST(Ipv4ValidTest, RejectsLeadingZerosThatSomeParsersReadAsOctal) {
  EXPECT_FALSE(Ipv4Valid("01.2.3.4"));
  EXPECT_FALSE(Ipv4Valid("010.0.0.1"));
  EXPECT_FALSE(Ipv4Valid("1.2.3.04"));
  EXPECT_FALSE(Ipv4Valid("192.168.001.001"));
  EXPECT_FALSE(Ipv4Valid("00.0.0.0"));
}

TEST(Ipv6ValidTest, AcceptsFullCompressedAndEmbeddedForms) {
  for (const std::string_view ip : {
           "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
           "2001:db8::1",
           "::1",
           "::",
           "fe80::1ff:fe23:4567:890a",
           "::ffff:192.168.1.1",
           "64:ff9b::192.0.2.33",
           "2001:DB8::CADE",
       }) {
    EXPECT_TRUE(Ipv6Valid(ip)) << ip;
  }
}

TEST(Ipv6ValidTest, RejectsTheColonHexTrapsOfPiiRules) {
  for (const std::string_view text : {
           "2001::25de::cade",   // two "::"
           "aa:bb:cc:dd:ee:ff",  // a MAC
           "12:34:56",           // a time
           "std::cout",
           "MyClass::toString",
           "1:2:3:4",
           "1:2:3:4:5:6:7:8:9",
           "12345::1",
           "::ffff:192.168.1.300",
           "fe80::1%eth0",  // zone ids are out of the span
           "[::1]",
           "",
       }) {
    EXPECT_FALSE(Ipv6Valid(text)) << '"' << text << '"';
  }
}

TEST(Ipv6ValidTest, RejectsAnEmbeddedNulAndOverlongText) {
  EXPECT_FALSE(Ipv6Valid(std::string_view("::1\0junk", 8)));
  EXPECT_FALSE(Ipv6Valid(std::string(100, ':')));
  EXPECT_FALSE(Ipv6Valid("0000:0000:0000:0000:0000:ffff:255.255.255.255 "));
}

// ---- IBAN -----------------------------------------------------------------------------------

TEST(IbanValidTest, AcceptsRegistryExamples) {
  for (const std::string_view iban : {
           "GB82WEST12345698765432", "DE89370400440532013000", "BE71096123456769",
           "FR7630006000011234567890189", "NL91ABNA0417164300",
           "NO9386011117947",                    // shortest, 15
           "LC55HEMM000100010012001200023015",   // 32
           "RU0204452560040702810412345678901",  // longest, 33
           "MT84MALT011000012345MTLCAST001S", "PL61109010140000071219812874",
           "CH9300762011623852957", "BR1800360305000010009795493C1",
           "YE15CBYE0001018861234567891234",  // one of the newest registry entries
       }) {
    EXPECT_TRUE(IbanValid(iban)) << iban;
  }
}

TEST(IbanValidTest, RejectsAWrongCheckDigitOrCharacter) {
  EXPECT_FALSE(IbanValid("GB82WEST12345698765431"));
  EXPECT_FALSE(IbanValid("GB83WEST12345698765432"));
  EXPECT_FALSE(IbanValid("GB82WEST12345698765423"));  // transposed
  EXPECT_FALSE(IbanValid("GB8XWEST12345698765432"));
}

TEST(IbanValidTest, RejectsCheckDigitsOutsideTwoToNinetyEight) {
  // 99 and 00 are congruent to 02 and 97 modulo 97, so these pass the checksum itself.
  EXPECT_TRUE(IbanValid("DE02035557277847896872"));
  EXPECT_FALSE(IbanValid("DE99035557277847896872"));
  EXPECT_TRUE(IbanValid("DE97656732350924112535"));
  EXPECT_FALSE(IbanValid("DE00656732350924112535"));
}

TEST(IbanValidTest, RejectsCreditorReferencesUnknownCountriesAndWrongLengths) {
  EXPECT_FALSE(IbanValid("RF18539007547034"));  // passes mod-97: an ISO 11649 reference
  EXPECT_FALSE(IbanValid("XX82WEST12345698765432"));
  EXPECT_FALSE(IbanValid("GB82WEST1234569876543"));
  EXPECT_FALSE(IbanValid("GB82WEST123456987654321"));
  EXPECT_FALSE(IbanValid("BE7109612345676"));
}

TEST(IbanValidTest, RejectsLowercaseSeparatorsAndShortText) {
  EXPECT_FALSE(IbanValid("gb82west12345698765432"));
  EXPECT_FALSE(IbanValid("GB82west12345698765432"));
  EXPECT_FALSE(IbanValid("GB82 WEST 1234 5698 7654 32"));
  EXPECT_FALSE(IbanValid("GB82-WEST-1234-5698-7654-32"));
  EXPECT_FALSE(IbanValid("GB82"));
  EXPECT_FALSE(IbanValid("GB"));
  EXPECT_FALSE(IbanValid(""));
}

// ---- Bitcoin --------------------------------------------------------------------------------

TEST(BtcBase58AddressValidTest, AcceptsP2pkhAndP2shAddresses) {
  for (const std::string_view address : {
           "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  // the genesis block's
           "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "1K5tkGFFE41eDwnUFGnDDXQSnb8iem9Fzz",
           "15BZSVY3k8jNWUNxFBaF2yzPfhNguqh2fu", "3EkwVWBioi3Xe7MABZzPt4EUdZ7sFV5X7u",
           "34bQCzRsUycFZNZ8qP7yb9hrA4gBZQGnKr",
           "111X6kpetSVBdPPytXngzvMkGGwMaMncH",  // a hash with two leading zero bytes
       }) {
    EXPECT_TRUE(BtcBase58AddressValid(address)) << address;
  }
}

TEST(BtcBase58AddressValidTest, RejectsEveryOneCharacterChange) {
  constexpr std::string_view kAlphabet =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  const std::string address = "1K5tkGFFE41eDwnUFGnDDXQSnb8iem9Fzz";
  for (size_t i = 0; i < address.size(); ++i) {
    for (const char c : kAlphabet) {
      if (c == address[i]) continue;
      std::string changed = address;
      changed[i] = c;
      EXPECT_FALSE(BtcBase58AddressValid(changed)) << changed;
    }
  }
}

TEST(BtcBase58AddressValidTest, RejectsOtherVersionsLengthsAndAlphabets) {
  for (const std::string_view text : {
           "mnDftEZW7GEZUnwdz6XdSYEAmJQadWjTb5",   // testnet, version 0x6f
           "15dT75fytkjMcamaFf1gp8eWNch8NdNyH",    // 24 bytes with a valid checksum
           "11A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  // an extra leading zero byte
           "A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",    // the leading zero byte dropped
           "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0",   // '0' is not base58
           "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNl",   // nor 'l'
           "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  // a SHA-256
           "",
       }) {
    EXPECT_FALSE(BtcBase58AddressValid(text)) << text;
  }
}

TEST(BtcBech32AddressValidTest, AcceptsBip350MainnetVectors) {
  for (const std::string_view address : {
           "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
           "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
           "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
           "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
           "BC1SW50QGDZ25J",
           "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
           "bc1qgkkfsquvu80uq4049hzz0vz5t3yedmlsy5n76l",
           "bc1q6ay4sjhpyw0ft4hzh89hnmfgrfj82xtqhvyd8l6g0lw3nw2k59gqz5mfgz",
           "bc1p3sar0ry4hst2pprn37e2p203p9lchnkzz5htd6uw9m2kc8halkwqklfdag",
       }) {
    EXPECT_TRUE(BtcBech32AddressValid(address)) << address;
  }
}

TEST(BtcBech32AddressValidTest, RejectsBip350InvalidVectors) {
  for (const std::string_view text : {
           // Versions 1-16 with a bech32 checksum, version 0 with bech32m.
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
           "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
           "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
           "bc1qst4q32ecnp7uuffe6ujx2u8ys7umn4n4td7qhm",
           "bc1pluey58njxgl7lrtk5chg09qemfqk7arjxwetzyeyrjknkguxq97s4gdwuu",
           // Program lengths: 1 byte, 41 bytes, 16 bytes for version 0.
           "bc1rw5uspcuh",
           "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
           "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
           // More than 4 bits of padding, an empty data part, witness version 17.
           "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
           "bc1gmk9yu",
           "bc13nvmkyrqqn7gznj2kvwpfkxjja56ul92cjl5ft3",
       }) {
    EXPECT_FALSE(BtcBech32AddressValid(text)) << text;
  }
}

TEST(BtcBech32AddressValidTest, RejectsMixedCaseOtherNetworksAndOneCharacterChanges) {
  EXPECT_FALSE(BtcBech32AddressValid("bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
  EXPECT_FALSE(BtcBech32AddressValid("Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
  EXPECT_FALSE(
      BtcBech32AddressValid("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"));
  EXPECT_FALSE(BtcBech32AddressValid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
  EXPECT_FALSE(BtcBech32AddressValid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t"));
  EXPECT_FALSE(BtcBech32AddressValid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3tb"));  // 'b'
  EXPECT_FALSE(BtcBech32AddressValid(""));
  EXPECT_FALSE(BtcBech32AddressValid("bc1"));

  constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  const std::string address = "bc1qgkkfsquvu80uq4049hzz0vz5t3yedmlsy5n76l";
  for (size_t i = 3; i < address.size(); ++i) {
    for (const char c : kCharset) {
      if (c == address[i]) continue;
      std::string changed = address;
      changed[i] = c;
      EXPECT_FALSE(BtcBech32AddressValid(changed)) << changed;
    }
  }
}

// ---- GitHub tokens --------------------------------------------------------------------------

TEST(GithubTokenValidTest, AcceptsEveryPrefixWithItsChecksum) {
  for (const std::string_view token : {
           "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",  // Datadog's vector
           "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", "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",
           "ghu_pjAhsD156qxcaP7RxA9MNIAL7SCvEa2tKy5s", "ghs_Duqov6SIGVp8TyLAZVDvIVhWeayzF43f8Pa1",
           "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",
           "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",  // a checksum padded with '0'
       }) {
    EXPECT_TRUE(GithubTokenValid(token)) << token;
  }
}

TEST(GithubTokenValidTest, RejectsAWrongChecksum) {
  EXPECT_FALSE(GithubTokenValid("ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3"));
  const std::string token = "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";
  constexpr std::string_view kBase62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (size_t i = 4; i < token.size(); ++i) {
    for (const char c : kBase62) {
      if (c == token[i]) continue;
      std::string changed = token;
      changed[i] = c;
      EXPECT_FALSE(GithubTokenValid(changed)) << changed;
    }
  }
}

TEST(GithubTokenValidTest, RejectsPlaceholdersAndOtherShapes) {
  for (const std::string_view text : {
           "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
           "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
           "ghx_jxH4LmM3OIJ1muSPEhY3LCcLOJ3KSE2doODd",
           "GHP_jxH4LmM3OIJ1muSPEhY3LCcLOJ3KSE2doODd",
           "ghp-jxH4LmM3OIJ1muSPEhY3LCcLOJ3KSE2doODd",
           "ghp_jxH4LmM3OIJ1muSPEhY3LCcLOJ3KSE2doOD",
           "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A",
           "ghp_jxH4LmM3OIJ1muSPEhY3LCcL-J3KSE2doODd",
           "ghp_",
           "",
       }) {
    EXPECT_FALSE(GithubTokenValid(text)) << text;
  }
}

TEST(GithubTokenValidTest, AcceptsFineGrainedTokensByShape) {
  const std::string token =
      "github_pat_MLNZhaOq4JcqkdqEYd6l8l_"
      "Bkg5rvxPcxPEIVU6k3gpCd7Se1exkH6UPnwRQ9AjlBA6mpTUX39sMo3R3NK";
  EXPECT_TRUE(GithubTokenValid(token));
  EXPECT_FALSE(GithubTokenValid(token.substr(0, token.size() - 1)));
  EXPECT_FALSE(GithubTokenValid(token + "A"));
  std::string moved = token;  // the inner '_' one place left
  std::swap(moved[32], moved[33]);
  EXPECT_FALSE(GithubTokenValid(moved));
  std::string punctuated = token;
  punctuated[50] = '-';
  EXPECT_FALSE(GithubTokenValid(punctuated));
  EXPECT_FALSE(GithubTokenValid("github_pat_" + token.substr(11, 22) + "_"));
}

// ---- JWT ------------------------------------------------------------------------------------

std::string Jwt(std::string_view header, std::string_view payload, std::string_view signature) {
  return EncodeBase64Url(header) + "." + EncodeBase64Url(payload) + "." +
         EncodeBase64Url(signature);
}

TEST(JwtValidTest, AcceptsCompactJwsTokens) {
  // jwt.io's example token.
  EXPECT_TRUE(JwtValid(
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
      "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"));
  EXPECT_TRUE(JwtValid(Jwt(R"({"alg":"ES256","kid":"k1"})", R"({"sub":"agent-7","exp":1})",
                           std::string(64, '\x9c'))));
  EXPECT_TRUE(JwtValid(Jwt("{}", "{ }", "s")));
}

TEST(JwtValidTest, RejectsTwoSegmentJunkAndHeaderOnlyText) {
  EXPECT_FALSE(JwtValid("eyJAAAA.eyJBBB"));
  EXPECT_FALSE(JwtValid("eyJAAAA.eyJBBB.CCCC"));
  EXPECT_FALSE(JwtValid("eyJhbGciOiJIUzI1NiJ9"));
  EXPECT_FALSE(
      JwtValid(EncodeBase64Url(R"({"alg":"HS256"})") + "." + EncodeBase64Url(R"({"sub":"1"})")));
}

TEST(JwtValidTest, RejectsSegmentsThatAreNotJsonObjects) {
  EXPECT_FALSE(JwtValid(Jwt("[1,2]", R"({"sub":"1"})", "sig")));
  EXPECT_FALSE(JwtValid(Jwt(R"({"alg":"HS256"})", "\"text\"", "sig")));
  EXPECT_FALSE(JwtValid(Jwt(R"({"alg":"HS256"})", "not json", "sig")));
  EXPECT_FALSE(JwtValid(Jwt(R"({"alg":"HS256")", R"({"sub":"1"})", "sig")));
  EXPECT_FALSE(JwtValid(Jwt(R"({"alg":"HS256"} {})", R"({"sub":"1"})", "sig")));
}

TEST(JwtValidTest, RejectsEmptySegmentsExtraSegmentsAndForeignAlphabets) {
  const std::string header = EncodeBase64Url(R"({"alg":"HS256"})");
  const std::string payload = EncodeBase64Url(R"({"sub":"1"})");
  EXPECT_FALSE(JwtValid(header + "." + payload + "."));  // alg "none" leaves this out
  EXPECT_FALSE(JwtValid("." + payload + ".c2ln"));
  EXPECT_FALSE(JwtValid(header + "..c2ln"));
  EXPECT_FALSE(JwtValid(header + "." + payload + ".c2ln.c2ln"));
  EXPECT_FALSE(JwtValid(header + "." + payload + ".c2ln=="));  // padding
  EXPECT_FALSE(JwtValid(header + "." + payload + ".c2l+/w"));  // standard alphabet
  EXPECT_FALSE(JwtValid(header + "=." + payload + ".c2ln"));
  EXPECT_FALSE(JwtValid("data:application/json;base64," + header));
  EXPECT_FALSE(JwtValid("com.example.Main"));
  EXPECT_FALSE(JwtValid(""));
  EXPECT_FALSE(JwtValid(".."));
}

// ---- AWS and entropy ------------------------------------------------------------------------

TEST(ShannonEntropyTest, CountsBitsPerCharacter) {
  EXPECT_DOUBLE_EQ(ShannonEntropy(""), 0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("aaaa"), 0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("ab"), 1);
  EXPECT_DOUBLE_EQ(ShannonEntropy("aabb"), 1);
  EXPECT_DOUBLE_EQ(ShannonEntropy("abcd"), 2);
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  EXPECT_DOUBLE_EQ(ShannonEntropy(every_byte), 8);
  EXPECT_NEAR(ShannonEntropy("AKIAXXXXXXXXXXXXXXXX"), 1.022, 0.001);
}

TEST(AwsAccessKeyValidTest, AcceptsEveryPrefixAndTheDocumentationKey) {
  for (const std::string_view key : {
           "AKIAUJZDEGXDNCF32EPF", "ASIA3DHODZDOCIS2JHTL", "ABIAGMXGEDN73U55XTPL",
           "ACCAPFT7V4SEH2KVJ72C",
           "AKIAIOSFODNN7EXAMPLE",  // no EXAMPLE allow-list (pii-rules.md)
       }) {
    EXPECT_TRUE(AwsAccessKeyValid(key)) << key;
  }
}

TEST(AwsAccessKeyValidTest, RejectsPlaceholdersAndOtherShapes) {
  for (const std::string_view text : {
           "AKIAXXXXXXXXXXXXXXXX",
           "AKIAZZZZZZZZZZZZZZZZ",
           "AKIAAAAABBBBCCCCDDDD",  // right alphabet, 2.3 bits per character
           "AKIBUJZDEGXDNCF32EPF",  // unknown prefix
           "akiaujzdegxdncf32epf",  // lowercase
           "AKIAUJZDEGXDNCF32EP0",  // 0, 1, 8 and 9 are not base32
           "AKIAUJZDEGXDNCF32E1F",
           "AKIAUJZDEGXDNCF32EP",    // 19 characters
           "AKIAUJZDEGXDNCF32EPFA",  // 21
           "",
       }) {
    EXPECT_FALSE(AwsAccessKeyValid(text)) << text;
  }
}

// ---- Email ----------------------------------------------------------------------------------

TEST(EmailValidTest, AcceptsAddressesWithRealTopLevelDomains) {
  for (const std::string_view address : {
           "jane.doe@example.com",
           "o'brien+tag@mail.co.uk",
           "first_last%dept@sub.example.io",
           "a-b@x-y.dev",
           "USER@EXAMPLE.COM",
           "user@example.email",
           "ops@company.mov",
           "user@xn--80ak6aa92e.xn--p1ai",
           "x@y.de",
       }) {
    EXPECT_TRUE(EmailValid(address)) << address;
  }
}

TEST(EmailValidTest, RejectsTheAtSignTrapsOfPiiRules) {
  for (const std::string_view text : {
           "icon@2x.png",
           "lodash@4.17.21",
           "node@20.11.5",
           "@app.route",
           "user@host",
           "python@sha256:0a1b2c",
           "logo@3x.webp",
           "bundle@1.0.0.js",
       }) {
    EXPECT_FALSE(EmailValid(text)) << text;
  }
}

TEST(EmailValidTest, RejectsFileExtensionsEvenWhereTheyAreRealTopLevelDomains) {
  EXPECT_FALSE(EmailValid("backup@dataset.zip"));
  EXPECT_FALSE(EmailValid("readme@docs.md"));
  EXPECT_FALSE(EmailValid("script@tools.py"));
  EXPECT_FALSE(EmailValid("user@example.JSON"));
}

TEST(EmailValidTest, RejectsMalformedLocalPartsAndDomains) {
  for (const std::string_view text : {
           ".jane@example.com",
           "jane.@example.com",
           "ja..ne@example.com",
           "jane doe@example.com",
           "jane\"doe@example.com",
           "a@b@example.com",
           "jane@",
           "jane@-example.com",
           "jane@example-.com",
           "jane@example..com",
           "jane@.example.com",
           "jane@example.com.",
           "jane@exa_mple.com",
           "jane@example.c",
           "jane@example.c0m",
           "jane@example.notatld",
           "jane@example.xn--",
           "",
       }) {
    EXPECT_FALSE(EmailValid(text)) << text;
  }
  EXPECT_FALSE(EmailValid(std::string(65, 'a') + "@example.com"));
  EXPECT_TRUE(EmailValid(std::string(64, 'a') + "@example.com"));
  EXPECT_FALSE(EmailValid("jane@" + std::string(64, 'a') + ".com"));
}

// ---- Placeholders ---------------------------------------------------------------------------

TEST(IsPlaceholderTest, RecognizesTemplatesMasksAndMarkers) {
  for (const std::string_view text : {
           "",
           "${API_KEY}",
           "${}",
           "{{ secrets.token }}",
           "<token>",
           "xxxx",
           "XXXXXXXXXXXXXXXX",
           "********",
           "####",
           "your-api-key",
           "xoxb-your-bot-token",
           "YOUR_TOKEN_HERE",
           "changeme",
           "ChangeMe123",
           "api-key-placeholder",
           "[REDACTED]",
           "password",
           "Password",
           "user:password",
       }) {
    EXPECT_TRUE(IsPlaceholder(text)) << '"' << text << '"';
  }
}

TEST(IsPlaceholderTest, LeavesRealLookingValuesAlone) {
  for (const std::string_view text : {
           "AKIAIOSFODNN7EXAMPLE",
           "sk_live_example_4eC39HqLyjWDarjtT1zdp7dc",
           "p4ssw0rd2024",
           "correct-horse-battery-staple",
           "password123",
           "admin:password1",
           "${partial",
           "{{half}",
           "<open",
           "xxxy",
       }) {
    EXPECT_FALSE(IsPlaceholder(text)) << text;
  }
}

}  // namespace
}  // namespace chaukas::filters::pii_redaction
