use super::*;
use chrono::TimeZone;
use proptest::prelude::*;
use rstest::rstest;
use std::fmt::Write as _;

// Published vector: alexrudd/cognito-srp `cognitosrp_test.go` (a port of warrant,
// "tested against equivalent values produced by warrant").
const GO_POOL: &str = "eu-west-1_myPool";
const GO_A_HEX: &str = "499602d2"; // 1234567890
const GO_BIG_A_DEC: &str = "2012821450179237266067414751941060928019817287314017835667297413615441680042015648893619512074574801551816908048875039310556108650595869145768432324376774060555385775073708569121688902158895642383219736852216366144529156744028151458424436810791218362729260005923018973559621869173270335133101064964177433161771074465994401225946602823489327809869650103314918749719145076380535976325009253493972634191523079035525341598366462733532137597586069288340594563327421244726332307232609401008335819089778907622323610696065668900966210610871808610884224270017149857647788822043386341947275701612494162630191389615660619561655481399573723311377577792260581174997618956152489507325218699555095233121100546572188701563979417701865276739418278601329844176326814813849675127887644523181751359470351143169066091784103404544366711287145804238613966547260918328728126017769114261057445005776403447691297001659393612551419207658913838531096191";
const GO_SECRET_BLOCK: &str = "c2VjcmV0c3NlY3Jlc3Rzc2VjcmV0cw=="; // "secretssecrestssecrets"

// Derived vector: independent stdlib-Python port of pycognito's aws_srp.py (reproduces
// the Go vector above); B is a genuine server value whose server-side S matched.
const V2_POOL: &str = "us-east-1_AbCdEf123";
const V2_USER: &str = "7d8e9f10-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
const V2_PASSWORD: &str = "pässwörd€ 1!";
const V2_SALT: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
const V2_TIMESTAMP: &str = "Tue Nov 3 07:05:09 UTC 2026";
const V2_SECRET_BLOCK: &str =
    "W4CKlcx9AjtuJuiP7etXJ09nEpu/i8ljWescCIiWqYA8sWHyGEowvjnCVr4CjbapJAFjSoTgHXkyKqcd2ZoIlgD/EA==";
const V2_A_HEX: &str = "43056c91b2cef24c0a4168cc696b51426b60a08b27c21d66f1bdd4b07ae4889bcec31410a745b11f525665d9e57811d4ab97cbadcaa4238960265bf040900082b2e78356e983af299bad50f10ae83cb0e900331b1dadd3482169347e191d49e85eec50ad924830ca335c5e763d1182952880aa19eaf7c2f2c89ee687f9f4d7f7";
const V2_BIG_A: &str = "846ab97106c6850afca994d43423efaba27cb68f223c44b2bb8e0d1208964fb08e2aa785a1c465210c693cdfd2a40cce12152e0ad98132b7ca044eea456c407695c9610b47b5dd841e61cf124034edd5a77a05735be69c025738670dd260724e047a993b1458ccb1d8486e1c8fd1ef03354261451b96a294f50f7ebb5545f9cd7b6100a24216790612fe6d33536a500238745d9a93c0abf4fd6ddc15fafcfbcba90ad5ba042eac2de87bd0189b7a84543bd14c352562eeed047082fe6945674e3f43dc7975e6a39ce965aca44a0d20d0d2bc2102beb96b1f0d0ee4a9ec27c58395f26fbf4f91825b0ece2dcc816aa56a31d1bdce33e7107917ef8b45acc34be9510394c81544ff9725b136e9ce5c479ef0a3b71e0618fbc8f19d9c47a88ed36b51530b2c1d2bfc020b937cbc466784685f1b3cd0a275de1cd9df9e3ce0b54b2e16d43f26b0dc0143c6790a89d4017409fb0cb99d1d27b485fe8ddb609dc7503b777e7accfa8993cfd67c70f0281d73292745f1bdcc82ca3db4810ad4b7fb855a";
const V2_BIG_B: &str = "a93d87383baa10fb1fec6920a79a0e642413f759353aabef33cdd0bbc091d5b9336660d9ff0a9a07a67939b8a4c4eda6e1de9966fe605501e2e10d01672e0821d43509083f17316a09b54a3c9f7151ed41a1700c75d8734b00ebd73a32da0cc18dfd99a92e01de489fc3caba5d39257fb31aac4a427396b778b0f24581b8e9bd1ef338958f05de13d6a1ab021501f13a076e52ce5581e946e134966df6711a0be7d2a0b998b5794ef660ef8147084a0adf0128bdff113a70f744c106ae28959a572c9830731986f195d5881905cbdb21ffb77bafa3f7e3142099e59e39cfc23869c639cd61d31ca5a0357394ed5e5486d6dbd67f5720607503b056b52257dd4442128e61b781604c5cdb61efd37bf74f076c8ef214e921bb12a67fb819166f6b0abaa9236bb4cf6ecff4e5b99fe2c5ccb8a8dff7b88c26524ec6329a9d09035953c6537468c36ccbd2595f381b43d175ed228586169df892f79bd701e680707efa78898b139947d83f9901aa6214d07f009032a6e7386bbe434209cee2c22c3e";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        write!(out, "{b:02x}").unwrap();
        out
    })
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn big(text: &str) -> BigUint {
    parse_hex(text, "test").unwrap()
}

fn go_client() -> SrpClient {
    SrpClient::with_private_key(GO_POOL, GO_A_HEX).unwrap()
}

fn v2_client() -> SrpClient {
    SrpClient::with_private_key(V2_POOL, V2_A_HEX).unwrap()
}

fn v2_claim(salt: &str) -> Result<String, SrpError> {
    v2_client().password_claim(
        V2_USER,
        V2_PASSWORD,
        V2_BIG_B,
        salt,
        V2_SECRET_BLOCK,
        V2_TIMESTAMP,
    )
}

#[test]
fn group_constants_match_published_values() {
    assert_eq!(GROUP.n.bits(), 3072);
    assert_eq!(GROUP.n.to_str_radix(16).to_uppercase(), N_HEX);
    assert_eq!(
        GROUP.k.to_str_radix(16),
        "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
    );
    assert_eq!(
        GROUP.k.to_str_radix(10),
        "37772559067617796309459009502931177628717927509759535181635788491848250400486"
    );
}

#[test]
fn srp_a_for_fixed_private_key_matches_go_vector() {
    let expected = BigUint::parse_bytes(GO_BIG_A_DEC.as_bytes(), 10).unwrap();
    assert_eq!(go_client().srp_a_hex(), expected.to_str_radix(16));
    assert_eq!(v2_client().srp_a_hex(), V2_BIG_A);
}

#[test]
fn password_claim_matches_go_vector() {
    let claim = go_client()
        .password_claim(
            "test",
            "test",
            "499602d2",
            "499602d2",
            GO_SECRET_BLOCK,
            "Tue Jul 10 11:01:00 UTC 2018",
        )
        .unwrap();
    assert_eq!(claim, "tdvQu/Li/qWl8Nni0aFPs+MwY4rvKZm0kSMrGIMSUHk=");
}

#[test]
fn authentication_key_matches_go_vector() {
    let key = go_client()
        .authentication_key("test", "test", &big("499602d2"), &big("499602d2"))
        .unwrap();
    assert_eq!(hex(&key), "d96cde6c95dda17175c1293140c5a81f");
}

#[test]
fn hkdf_matches_go_vector() {
    let ikm = "00cf724779a05d41df17a315d188ce565d0bc7a70e6bc4199ad3959a531c6b4ca4b9ac31f639b96391a2f8d28c7d47d9759fc7a23a59bfb95691147b212b050116cf53fa1a7876ef179003dea92b246bc9584240d3e5a294a158b12cc92642bbe5c7d854338233f54fd66f10384b3d3e740280017773feb1104696bfe6e0a82ec5ef2fc23fad663f5e945e8644c872d05f4ab7961436d0602c961d1619e91b70e451f0769e80b0d6ae80052ed47c3c89f4caae02ff01917f195b8cbea78f895da7145646e64b63605a7ffd85de351c06a5a5ffb6eee8b392b4d137726468361bbcf7b4055600002ae7c8c1dd5c545862f1c4c725c01da795afab3221d322104aecd4d1ab74d5e81eb45cbdb52081b1413a9e8b08e76b961c74cdbdac017d8d22a24860a674a0cd526e8ff8403caac07c0c720636efd83291ae60ff15cbd0a881f8030495cae0327040855defba70625c78cf27ea50bcaf0322cac01cf753c5a34269e4e329c9cd388aada7781cf1c552754a0d2d3ce5fe58198a31b7b0ddc515ad";
    let salt = "0c98b195a479d1a7c70c99dd680f34f5805fe686d0bc716549ff2ed895aa9111";
    let key = hkdf_key(&unhex(ikm), &unhex(salt));
    assert_eq!(hex(&key), "d96cde6c95dda17175c1293140c5a81f");
}

#[test]
fn compute_u_matches_go_vector() {
    let u = compute_u(
        &big("6D797365637265746861736841"),
        &big("6D797365637265746861736842"),
    );
    assert_eq!(
        u.to_str_radix(10),
        "39743664823761398449876968619416475559594078623923024211668626611155104513539"
    );
}

#[test]
fn password_claim_matches_high_bit_vector() {
    // Every input here has its top bit set, so each needs padHex's leading 00.
    assert_eq!(
        v2_claim(V2_SALT).unwrap(),
        "4uMh6tg9qtHH6JqHbr0HDQk6uaYIw3frQmZxTujQlQs="
    );
    let key = v2_client()
        .authentication_key(V2_USER, V2_PASSWORD, &big(V2_BIG_B), &big(V2_SALT))
        .unwrap();
    assert_eq!(hex(&key), "a6da3eaf1e1886b0b36bc078a1e79ca4");
}

#[rstest]
#[case::leading_zeros("000123abcd")]
#[case::odd_length("123abcd")]
#[case::upper_case("123ABCD")]
fn salt_is_parsed_as_a_number_like_cognito_identity_js(#[case] salt: &str) {
    assert_eq!(
        v2_claim(salt).unwrap(),
        "TNe53fquwiWDAv89OumXWP4vxEoQeOPdsiZggWtGcdE="
    );
}

#[rstest]
#[case::zero("0")]
#[case::n(N_HEX)]
#[case::two_n(&(&GROUP.n * 2u32).to_str_radix(16))]
fn server_b_divisible_by_n_is_rejected(#[case] b: &str) {
    let result = go_client().password_claim("u", "p", b, "ab", GO_SECRET_BLOCK, "t");
    assert_eq!(result, Err(SrpError::InvalidServerB));
}

#[rstest]
#[case::empty("", "ab")]
#[case::not_hex("xyz", "ab")]
#[case::underscore("12_34", "ab")]
#[case::sign("+1234", "ab")]
#[case::space("12 34", "ab")]
#[case::bad_salt("499602d2", "0x12")]
fn malformed_hex_is_rejected(#[case] b: &str, #[case] salt: &str) {
    let result = go_client().password_claim("u", "p", b, salt, GO_SECRET_BLOCK, "t");
    assert!(
        matches!(result, Err(SrpError::InvalidHex { .. })),
        "{result:?}"
    );
}

#[test]
fn oversized_hex_is_rejected() {
    let b = "1".repeat(MAX_HEX_DIGITS + 1);
    let result = go_client().password_claim("u", "p", &b, "ab", GO_SECRET_BLOCK, "t");
    assert_eq!(result, Err(SrpError::InvalidHex { field: "SRP_B" }));
}

#[test]
fn secret_block_must_be_base64() {
    let result = go_client().password_claim("u", "p", "499602d2", "ab", "not base64!", "t");
    assert_eq!(result, Err(SrpError::InvalidSecretBlock));
}

#[test]
fn secret_block_padding_is_optional() {
    let claim = |block: &str| {
        go_client().password_claim("test", "test", "499602d2", "499602d2", block, "ts")
    };
    assert_eq!(
        claim(GO_SECRET_BLOCK).unwrap(),
        claim(GO_SECRET_BLOCK.trim_end_matches('=')).unwrap()
    );
}

#[rstest]
#[case::no_underscore("myPool")]
#[case::empty_name("eu-west-1_")]
#[case::empty_region("_myPool")]
#[case::second_underscore("eu-west-1_my_Pool")]
#[case::empty("")]
fn malformed_pool_id_is_rejected(#[case] pool_id: &str) {
    assert!(matches!(
        SrpClient::with_private_key(pool_id, "1234"),
        Err(SrpError::InvalidPoolId(_))
    ));
}

#[test]
fn pool_name_is_the_part_after_underscore() {
    assert_eq!(go_client().pool_name(), "myPool");
}

#[rstest]
#[case::zero("0")]
#[case::n(N_HEX)]
fn degenerate_private_key_is_rejected(#[case] a: &str) {
    assert_eq!(
        SrpClient::with_private_key(GO_POOL, a).unwrap_err(),
        SrpError::InvalidPrivateKey
    );
}

#[test]
fn random_clients_are_distinct_and_in_range() {
    let one = SrpClient::new(GO_POOL).unwrap();
    let two = SrpClient::new(GO_POOL).unwrap();
    assert_ne!(one.srp_a_hex(), two.srp_a_hex());
    for client in [&one, &two] {
        let a_hex = client.srp_a_hex();
        assert!(!a_hex.starts_with('0'));
        assert_eq!(a_hex, a_hex.to_lowercase());
        assert!(big(&a_hex) < GROUP.n);
        assert!(client.a.bits() > 512);
    }
}

#[test]
fn debug_never_shows_private_key() {
    let text = format!("{:?}", v2_client());
    assert!(!text.contains(&V2_A_HEX[..16]), "{text}");
    assert!(
        !text.contains(&v2_client().a.to_str_radix(10)[..16]),
        "{text}"
    );
    assert!(text.contains("<redacted>") && text.contains("AbCdEf123"));
}

#[rstest]
#[case::single_digit_day(2026, 11, 3, 7, 5, 9, "Tue Nov 3 07:05:09 UTC 2026")]
#[case::afternoon(2018, 7, 10, 15, 1, 0, "Tue Jul 10 15:01:00 UTC 2018")]
#[case::midnight(2024, 2, 29, 0, 0, 0, "Thu Feb 29 00:00:00 UTC 2024")]
#[case::first_of_year(2025, 1, 1, 23, 59, 59, "Wed Jan 1 23:59:59 UTC 2025")]
fn cognito_timestamp_format(
    #[case] y: i32,
    #[case] mo: u32,
    #[case] d: u32,
    #[case] h: u32,
    #[case] mi: u32,
    #[case] s: u32,
    #[case] expected: &str,
) {
    let t = Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
    assert_eq!(cognito_timestamp(t), expected);
}

// First row from cognito-srp's tests; the rest from Python's hmac module.
#[rstest]
#[case::go_vector(
    "test",
    "123abd",
    "clientSecret",
    "LoIX/oPJWZzFYv8liJYRo+CHv16FNDY10JlZEDjL3Vg="
)]
#[case::block_sized_key("jöhn@example.com", "3n4b5urk1ft4fl3mg5e62d9ado", &"x".repeat(64), "9ccKmZm7tJNVbXcYLPMfZgdWeu6soHVHTxlP4ukRf+M=")]
#[case::long_key("jöhn@example.com", "3n4b5urk1ft4fl3mg5e62d9ado", &"y".repeat(65), "2qQEzXSmPhasnbtv+WLy3tYOfIOqikxbFuG2Ud0MuRw=")]
#[case::unicode_key("jöhn@example.com", "3n4b5urk1ft4fl3mg5e62d9ado", &"clé-secrète-ü".repeat(6), "z1SMRtSdK+pL2JmBQWhRPv7w1mpz4iXINTffvlPeJ7U=")]
fn secret_hash_vectors(
    #[case] username: &str,
    #[case] client_id: &str,
    #[case] secret: &str,
    #[case] expected: &str,
) {
    assert_eq!(secret_hash(username, client_id, secret), expected);
}

#[rstest]
#[case::even("123abc", "123abc")]
#[case::odd("123abcd", "0123abcd")]
#[case::high_bit("8123abcd", "008123abcd")]
#[case::zero("0", "00")]
#[case::byte_7f("7f", "7f")]
#[case::byte_80("80", "0080")]
fn padded_follows_pad_hex(#[case] input: &str, #[case] expected: &str) {
    assert_eq!(hex(&padded(&big(input))), expected);
}

proptest! {
    #[test]
    fn padded_is_minimal_and_non_negative(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let n = BigUint::from_bytes_be(&bytes);
        let p = padded(&n);
        prop_assert!(p[0] < 0x80);
        prop_assert_eq!(BigUint::from_bytes_be(&p), n);
        prop_assert!(p.len() == 1 || p[0] != 0 || p[1] >= 0x80);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn password_claim_never_panics(
        b in "[0-9a-fA-F]{0,12}|.{0,12}",
        salt in "[0-9a-f]{0,8}|.{0,8}",
        block in ".{0,16}",
    ) {
        let _ = go_client().password_claim("u", "p", &b, &salt, &block, "t");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    /// Plays the Cognito side of SRP-6a and checks both ends derive the same key.
    #[test]
    fn client_and_server_agree(
        password in "\\PC{0,20}",
        username in "[a-z0-9-]{1,36}",
        salt in proptest::collection::vec(any::<u8>(), 16),
        b_bytes in proptest::collection::vec(any::<u8>(), 32),
    ) {
        let group = &*GROUP;
        let client = SrpClient::new(V2_POOL).unwrap();
        let salt = BigUint::from_bytes_be(&salt);
        let identity = Sha256::digest(format!("AbCdEf123{username}:{password}"));
        let x = hash_to_int(&[&padded(&salt), &identity]);
        let v = group.g.modpow(&x, &group.n);
        let b = BigUint::from_bytes_be(&b_bytes);
        let big_b = (&group.k * &v + group.g.modpow(&b, &group.n)) % &group.n;
        let u = compute_u(&client.big_a, &big_b);
        let server_s = (&client.big_a * v.modpow(&u, &group.n)).modpow(&b, &group.n);
        let server_key = hkdf_key(&padded(&server_s), &padded(&u));
        let client_key = client.authentication_key(&username, &password, &big_b, &salt).unwrap();
        prop_assert_eq!(client_key, server_key);
    }
}
