"""Tests for shared.types: resident IDs, credit codes, money, periods, text."""

from __future__ import annotations

import calendar
import copy
import json
import math
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.types import (
    AwareDatetime,
    CreditCode,
    InvalidArea,
    InvalidCreditCode,
    InvalidMoney,
    InvalidPeriod,
    InvalidRate,
    InvalidResidentId,
    InvalidValueError,
    Money,
    NaiveDatetimeError,
    NonEmptyStr,
    NonNegativeMoney,
    Period,
    ResidentId,
    Sex,
    age_in_years,
    business_date,
    convert_legacy_resident_id,
    credit_code_check_char,
    format_centi_m2,
    format_fen,
    from_fen,
    mask_resident_id,
    org_code_check_char,
    parse_money,
    parse_resident_id,
    per_mille,
    registration_category,
    resident_id_check_digit,
    round_fen,
    round_money,
    to_centi_m2,
    to_fen,
    validate_credit_code,
)

# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def error_of(model: type[BaseModel], data: Any, *, json_input: bool = False) -> dict[str, Any]:
    """The single Pydantic error raised for ``data``."""
    validate = model.model_validate_json if json_input else model.model_validate
    with pytest.raises(ValidationError) as info:
        validate(data)
    errors = info.value.errors()
    assert len(errors) == 1, errors
    return dict(errors[0])


def assert_bilingual(error: InvalidValueError) -> None:
    assert error.message_en
    assert error.message_zh
    assert str(error) == f"{error.message_en} / {error.message_zh}"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message_zh)


# --------------------------------------------------------------------------------------
# 公民身份号码
# --------------------------------------------------------------------------------------

VALID_ID_FEMALE_1949 = "11010519491231002X"  # DOMAIN-RULES §8.1 vector
VALID_ID_MALE_1920 = "53010219200508011X"  # DOMAIN-RULES §8.1 vector
INVALID_CHECK_DIGIT = "530102192005080119"  # DOMAIN-RULES §8.1 vector (check should be X)
# Check digits below were computed with MOD 11-2 so only the named rule fails.
IMPOSSIBLE_DATE = "52010219490230001X"  # 1949-02-30
FUTURE_BIRTH = "52010220990101001X"  # 2099-01-01
TOO_EARLY_BIRTH = "520102180001010018"  # 1800-01-01
NO_PROVINCE = "990102198001010010"  # "99" is no province
LEAP_DAY_FEMALE = "520102199202290028"  # born 1992-02-29, sequence 002 (even)
MASK_EXAMPLE = "52010219800119123X"


class TestResidentIdParsing:
    @pytest.mark.parametrize("value", [VALID_ID_FEMALE_1949, VALID_ID_MALE_1920])
    def test_domain_rule_vectors_are_valid(self, value: str) -> None:
        rid = parse_resident_id(value, today=date(2026, 1, 1))
        assert rid.value == value

    def test_wrong_check_digit_is_rejected_with_expected_digit(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(INVALID_CHECK_DIGIT)
        assert info.value.reason == "resident_id_check_digit"
        assert "expected X, got 9" in info.value.message_en
        assert "校验码" in info.value.message_zh
        assert_bilingual(info.value)

    def test_error_message_never_contains_the_number(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(INVALID_CHECK_DIGIT)
        assert INVALID_CHECK_DIGIT[:17] not in str(info.value)

    def test_lowercase_x_is_normalised(self) -> None:
        assert ResidentId("11010519491231002x").value == VALID_ID_FEMALE_1949

    def test_surrounding_whitespace_is_stripped(self) -> None:
        assert parse_resident_id(f"  {VALID_ID_FEMALE_1949}\t\n").value == VALID_ID_FEMALE_1949
        assert parse_resident_id(f"\u3000{VALID_ID_FEMALE_1949}").value == VALID_ID_FEMALE_1949

    def test_full_width_characters_are_normalised(self) -> None:
        full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in VALID_ID_FEMALE_1949)
        assert parse_resident_id(full_width).value == VALID_ID_FEMALE_1949

    @pytest.mark.parametrize("value", ["", "11010519491231002", "11010519491231002X0", "1101"])
    def test_wrong_length(self, value: str) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(value)
        assert info.value.reason == "resident_id_length"
        assert_bilingual(info.value)

    @pytest.mark.parametrize(
        ("value", "position"),
        [
            ("11010519491231002A", 18),
            ("1101051949123100X2", 17),
            ("110105-9491231002X", 7),
            ("X10105194912310020", 1),
        ],
    )
    def test_bad_characters_name_the_position(self, value: str, position: int) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(value)
        assert info.value.reason == "resident_id_chars"
        assert f"character {position} " in info.value.message_en

    def test_non_ascii_digits_are_not_digits(self) -> None:
        arabic_indic = "١" + VALID_ID_FEMALE_1949[1:]
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(arabic_indic)
        assert info.value.reason == "resident_id_chars"

    def test_impossible_birth_date(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(IMPOSSIBLE_DATE)
        assert info.value.reason == "resident_id_birth_date"

    def test_birth_year_before_1850(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(TOO_EARLY_BIRTH)
        assert info.value.reason == "resident_id_birth_date_too_early"

    def test_address_code_must_start_with_a_province(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(NO_PROVINCE)
        assert info.value.reason == "resident_id_province"

    def test_retired_county_codes_are_accepted(self) -> None:
        # 520114 (the former 小河区) is not a current code; the number is for life.
        body = "52011419800101001"
        rid = parse_resident_id(body + resident_id_check_digit(body))
        assert rid.address_code == "520114"

    def test_future_birth_date_is_rejected_only_when_today_is_given(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(FUTURE_BIRTH, today=date(2026, 1, 1))
        assert info.value.reason == "resident_id_birth_date_future"
        assert parse_resident_id(FUTURE_BIRTH).birth_date == date(2099, 1, 1)

    def test_born_today_is_not_future(self) -> None:
        assert parse_resident_id(FUTURE_BIRTH, today=date(2099, 1, 1)).birth_date == date(2099, 1, 1)

    def test_non_string_input(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id(110105194912310020)  # type: ignore[arg-type]
        assert info.value.reason == "resident_id_type"

    def test_check_digit_function_needs_17_digits(self) -> None:
        assert resident_id_check_digit(VALID_ID_MALE_1920[:17]) == "X"
        with pytest.raises(InvalidResidentId):
            resident_id_check_digit("1234")


class TestLegacyResidentId:
    def test_conversion_of_a_hand_computed_example(self) -> None:
        # 520102 800101 123 → insert "19" → body 52010219800101123.
        # Σ digit × weight = 5·7 + 2·9 + 0·10 + 1·5 + 0·8 + 2·4 + 1·2 + 9·1 + 8·6 + 0·3
        #                  + 0·7 + 1·9 + 0·10 + 1·5 + 1·8 + 2·4 + 3·2
        #                  = 35+18+0+5+0+8+2+9+48+0+0+9+0+5+8+8+6 = 161;
        # 161 mod 11 = 7 → "10X98765432"[7] = "5".
        rid = parse_resident_id("520102800101123", allow_legacy=True)
        assert rid.value == "520102198001011235"
        assert rid.birth_date == date(1980, 1, 1)
        assert rid.sex is Sex.MALE

    def test_conversion_matches_the_domain_rule_vector(self) -> None:
        assert convert_legacy_resident_id("110105491231002").value == VALID_ID_FEMALE_1949

    def test_legacy_is_rejected_unless_allowed(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            parse_resident_id("520102800101123")
        assert info.value.reason == "resident_id_legacy_not_allowed"

    @pytest.mark.parametrize("value", ["52010280010112", "52010280010112X", "5201028001011234"])
    def test_convert_needs_15_digits(self, value: str) -> None:
        with pytest.raises(InvalidResidentId) as info:
            convert_legacy_resident_id(value)
        assert info.value.reason == "resident_id_chars"


class TestResidentIdValue:
    def test_derived_fields(self) -> None:
        female = ResidentId(VALID_ID_FEMALE_1949)
        assert female.address_code == "110105"
        assert female.birth_date == date(1949, 12, 31)
        assert female.sex is Sex.FEMALE
        male = ResidentId(VALID_ID_MALE_1920)
        assert male.address_code == "530102"
        assert male.birth_date == date(1920, 5, 8)
        assert male.sex is Sex.MALE

    def test_masked(self) -> None:
        assert ResidentId(MASK_EXAMPLE).masked() == "5201**********123X"
        assert ResidentId(VALID_ID_FEMALE_1949).masked() == "1101**********002X"

    def test_the_mask_of_raw_text(self) -> None:
        assert mask_resident_id(VALID_ID_FEMALE_1949) == ResidentId(VALID_ID_FEMALE_1949).masked()
        assert mask_resident_id("110105491231002") == "1101*******1002"  # a legacy number
        assert mask_resident_id("12345678") == "********"
        assert mask_resident_id("") == ""

    def test_repr_str_and_formatting_do_not_leak(self) -> None:
        rid = ResidentId(VALID_ID_FEMALE_1949)
        rendered = [repr(rid), str(rid), f"{rid}", "%s" % rid, format(rid, ""), repr([rid])]  # noqa: UP031
        for text in rendered:
            assert VALID_ID_FEMALE_1949 not in text
            assert "1101**********002X" in text
        assert repr(rid) == "ResidentId('1101**********002X')"

    def test_immutable_hashable_and_equal_by_value(self) -> None:
        a = ResidentId(VALID_ID_FEMALE_1949)
        b = ResidentId("11010519491231002x")
        assert a == b
        assert hash(a) == hash(b)
        assert len({a, b}) == 1
        assert a != VALID_ID_FEMALE_1949
        with pytest.raises(AttributeError):
            a._value = VALID_ID_MALE_1920
        with pytest.raises(AttributeError):
            a.extra = 1

    def test_pickle_and_copy(self) -> None:
        rid = ResidentId(VALID_ID_FEMALE_1949)
        assert pickle.loads(pickle.dumps(rid)) == rid
        assert copy.deepcopy(rid) == rid


class TestAgeOn:
    def test_birthday_edge(self) -> None:
        rid = ResidentId(VALID_ID_FEMALE_1949)  # born 1949-12-31
        assert rid.age_on(date(2019, 12, 30)) == 69
        assert rid.age_on(date(2019, 12, 31)) == 70
        assert rid.age_on(date(2020, 1, 1)) == 70

    def test_on_birth_date_is_zero(self) -> None:
        assert ResidentId(VALID_ID_FEMALE_1949).age_on(date(1949, 12, 31)) == 0

    def test_leap_day_birthday_turns_older_on_1_march_in_common_years(self) -> None:
        rid = ResidentId(LEAP_DAY_FEMALE)
        assert rid.birth_date == date(1992, 2, 29)
        assert rid.sex is Sex.FEMALE
        assert rid.age_on(date(2026, 2, 28)) == 33
        assert rid.age_on(date(2026, 3, 1)) == 34
        assert rid.age_on(date(2028, 2, 28)) == 35
        assert rid.age_on(date(2028, 2, 29)) == 36

    def test_before_birth_is_an_error(self) -> None:
        with pytest.raises(InvalidResidentId) as info:
            ResidentId(VALID_ID_FEMALE_1949).age_on(date(1949, 12, 30))
        assert info.value.reason == "resident_id_before_birth"

    def test_datetime_is_refused(self) -> None:
        with pytest.raises(TypeError):
            ResidentId(VALID_ID_FEMALE_1949).age_on(datetime(2020, 1, 1, tzinfo=UTC))

    @given(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)), st.integers(0, 40_000))
    def test_age_in_years_counts_the_birthdays_passed(self, birth: date, days: int) -> None:
        # the unchecked function the rules use (and age_on calls): the birthdays after `birth` up
        # to and including `day`, a 29 February birthday falling on 1 March in common years
        day = birth + timedelta(days=days)

        def birthday(year: int) -> date:
            if (birth.month, birth.day) == (2, 29) and not calendar.isleap(year):
                return date(year, 3, 1)
            return birth.replace(year=year)

        passed = sum(birthday(year) <= day for year in range(birth.year + 1, day.year + 1))
        assert age_in_years(birth, day) == passed


class Applicant(BaseModel):
    resident_id: ResidentId


class TestResidentIdField:
    def test_accepts_and_normalises(self) -> None:
        applicant = Applicant.model_validate({"resident_id": " 11010519491231002x "})
        assert applicant.resident_id == ResidentId(VALID_ID_FEMALE_1949)

    def test_json_serialises_the_plain_string_and_round_trips(self) -> None:
        applicant = Applicant(resident_id=ResidentId(VALID_ID_FEMALE_1949))
        dumped = applicant.model_dump_json()
        assert json.loads(dumped) == {"resident_id": VALID_ID_FEMALE_1949}
        assert Applicant.model_validate_json(dumped) == applicant

    def test_python_dump_keeps_the_masked_instance(self) -> None:
        applicant = Applicant(resident_id=ResidentId(VALID_ID_FEMALE_1949))
        assert applicant.model_dump() == {"resident_id": ResidentId(VALID_ID_FEMALE_1949)}
        assert VALID_ID_FEMALE_1949 not in repr(applicant)
        assert VALID_ID_FEMALE_1949 not in str(applicant.model_dump())

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            (INVALID_CHECK_DIGIT, "resident_id_check_digit"),
            ("1101051949", "resident_id_length"),
            (IMPOSSIBLE_DATE, "resident_id_birth_date"),
            (FUTURE_BIRTH, "resident_id_birth_date_future"),
            ("520102800101123", "resident_id_legacy_not_allowed"),
            (110105, "resident_id_type"),
        ],
    )
    def test_errors_carry_a_stable_type_and_the_field(self, value: object, code: str) -> None:
        error = error_of(Applicant, {"resident_id": value})
        assert error["type"] == code
        assert error["loc"] == ("resident_id",)
        assert " / " in error["msg"]
        assert set(error["ctx"]) == {"en", "zh"}

    def test_hide_input_in_errors_keeps_the_number_out_of_the_error_text(self) -> None:
        class Hidden(BaseModel):
            model_config = ConfigDict(hide_input_in_errors=True)
            resident_id: ResidentId

        with pytest.raises(ValidationError) as info:
            Hidden.model_validate({"resident_id": INVALID_CHECK_DIGIT})
        assert INVALID_CHECK_DIGIT not in str(info.value)

    def test_json_schema(self) -> None:
        schema = Applicant.model_json_schema()["properties"]["resident_id"]
        assert schema["type"] == "string"
        assert schema["pattern"] == "^[0-9]{17}[0-9X]$"


PROVINCES = ["11", "31", "44", "52", "53", "65", "81", "82"]


@st.composite
def valid_resident_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(PROVINCES))
    rest_of_address = draw(st.text("0123456789", min_size=4, max_size=4))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    sequence = draw(st.text("0123456789", min_size=3, max_size=3))
    body = f"{province}{rest_of_address}{birth:%Y%m%d}{sequence}"
    return body + resident_id_check_digit(body)


class TestResidentIdProperties:
    @given(valid_resident_ids())
    def test_body_with_computed_check_digit_is_valid(self, value: str) -> None:
        rid = parse_resident_id(value, today=date(2026, 1, 1))
        assert rid.value == value
        assert rid.birth_date == date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        assert rid.sex is (Sex.MALE if int(value[16]) % 2 else Sex.FEMALE)

    @given(valid_resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
    def test_any_single_character_change_is_detected(self, value: str, position: int, new: str) -> None:
        if position < 17 and new == "X":
            new = "0"
        if value[position] == new:
            return
        mutated = value[:position] + new + value[position + 1 :]
        if position < 17:
            # MOD 11-2 detects every single-digit substitution in the body.
            assert resident_id_check_digit(mutated[:17]) != value[17]
        with pytest.raises(InvalidResidentId):
            ResidentId(mutated)


# --------------------------------------------------------------------------------------
# 统一社会信用代码
# --------------------------------------------------------------------------------------

VALID_CREDIT_CODES = ["91512081MA62K0260E", "91110000600037341L", "91350200MA2YJ1XR9G"]
WHITELISTED_BAD_CODE = "91350203M0001QAY9B"  # fails the check character (expected 9)
# Check characters below were computed with the GB 32100 rule so only the named rule fails.
BAD_ORG_CHECK = "91512081MA62K0261H"  # position 17 should be 0
UNKNOWN_PREFIX = "31110000600037341T"  # "31" is not in the DOMAIN-RULES table
OTHER_Y1 = "Y1110000600037341Y"  # letters in positions 1-2 (python-stdnum would reject)
LETTERS_IN_DIVISION = "91AB0000600037341A"


class TestCreditCode:
    @pytest.mark.parametrize("value", VALID_CREDIT_CODES)
    def test_domain_rule_vectors_are_valid(self, value: str) -> None:
        check = validate_credit_code(value)
        assert check.valid
        assert check.code == value
        assert check.problems == ()

    def test_check_char_functions(self) -> None:
        assert credit_code_check_char("91512081MA62K0260") == "E"
        assert org_code_check_char("MA62K026") == "0"
        assert org_code_check_char("60003734") == "1"

    def test_strict_rejects_bad_check_character(self) -> None:
        with pytest.raises(InvalidCreditCode) as info:
            validate_credit_code(WHITELISTED_BAD_CODE)
        assert info.value.reason == "credit_code_check_char"
        assert "expected 9, got B" in info.value.message_en
        assert_bilingual(info.value)

    def test_flag_mode_reports_instead_of_raising(self) -> None:
        check = validate_credit_code(WHITELISTED_BAD_CODE, mode="flag")
        assert not check.valid
        assert [p.reason for p in check.problems] == ["credit_code_check_char"]
        assert check.problems[0].severity == "error"

    def test_embedded_organisation_code_check(self) -> None:
        with pytest.raises(InvalidCreditCode) as info:
            validate_credit_code(BAD_ORG_CHECK)
        assert info.value.reason == "credit_code_org_check"
        assert "expected 0, got 1" in info.value.message_en
        assert not validate_credit_code(BAD_ORG_CHECK, mode="flag").valid

    def test_unknown_prefix_warns_but_is_valid(self) -> None:
        check = validate_credit_code(UNKNOWN_PREFIX)  # strict does not raise
        assert check.valid
        assert [w.reason for w in check.warnings] == ["credit_code_prefix_unknown"]
        assert check.category is None

    def test_letters_in_positions_1_and_2_are_allowed(self) -> None:
        check = validate_credit_code(OTHER_Y1)
        assert check.valid
        assert check.warnings == ()
        assert check.category is not None
        assert check.category.prefix == "Y1"

    def test_letters_in_the_division_code_warn(self) -> None:
        check = validate_credit_code(LETTERS_IN_DIVISION)
        assert check.valid
        assert [w.reason for w in check.warnings] == ["credit_code_division_format"]

    def test_lowercase_and_whitespace_are_normalised(self) -> None:
        assert validate_credit_code("  91512081ma62k0260e ").code == "91512081MA62K0260E"

    def test_letters_outside_the_charset_are_not_guessed(self) -> None:
        with pytest.raises(InvalidCreditCode) as info:
            validate_credit_code("91512081MA62K026OE")  # letter O instead of zero
        assert info.value.reason == "credit_code_chars"
        assert "'O' at 17" in info.value.message_en
        assert "O is usually 0" in info.value.message_en

    @pytest.mark.parametrize("value", ["", "91512081MA62K0260", "91512081MA62K0260E1"])
    def test_wrong_length_strict_and_flag(self, value: str) -> None:
        with pytest.raises(InvalidCreditCode) as info:
            validate_credit_code(value)
        assert info.value.reason == "credit_code_length"
        check = validate_credit_code(value, mode="flag")
        assert not check.valid
        assert [p.reason for p in check.problems] == ["credit_code_length"]

    def test_flag_mode_reports_bad_characters_without_checksums(self) -> None:
        check = validate_credit_code("91512081MA62K02-0E", mode="flag")
        assert [p.reason for p in check.problems] == ["credit_code_chars"]

    def test_non_string_is_a_type_error_in_both_modes(self) -> None:
        with pytest.raises(TypeError):
            validate_credit_code(None, mode="flag")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("code", "label"),
        [
            ("51", "民政·社会团体"),
            ("52", "民政·民办非企业单位（社会服务机构）"),
            ("53", "民政·基金会"),
            ("12", "机构编制·事业单位"),
            ("91", "工商/市场监管·企业"),
            ("93", "工商/市场监管·农民专业合作社"),
        ],
    )
    def test_registration_category(self, code: str, label: str) -> None:
        category = registration_category(code)
        assert category is not None
        assert category.label_zh == label
        assert category.label_en

    def test_registration_category_of_a_full_code(self) -> None:
        category = validate_credit_code("91512081MA62K0260E").category
        assert category is not None
        assert category.category_en == "Enterprise"
        assert registration_category("31110000600037341T") is None


class Supplier(BaseModel):
    credit_code: CreditCode


class TestCreditCodeField:
    def test_accepts_and_normalises(self) -> None:
        assert Supplier(credit_code="91512081ma62k0260e").credit_code == "91512081MA62K0260E"

    def test_unknown_prefix_is_accepted(self) -> None:
        assert Supplier(credit_code=UNKNOWN_PREFIX).credit_code == UNKNOWN_PREFIX

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            (WHITELISTED_BAD_CODE, "credit_code_check_char"),
            (BAD_ORG_CHECK, "credit_code_org_check"),
            ("915120", "credit_code_length"),
            ("91512081MA62K026OE", "credit_code_chars"),
            (915120, "string_type"),
        ],
    )
    def test_errors(self, value: object, code: str) -> None:
        error = error_of(Supplier, {"credit_code": value})
        assert error["type"] == code
        assert error["loc"] == ("credit_code",)


# --------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------


class TestParseMoney:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("123.45", "123.45"),
            ("123.4", "123.40"),
            (" 7 ", "7.00"),
            ("-5", "-5.00"),
            ("+5.5", "5.50"),
            (5, "5.00"),
            (Decimal("1.230"), "1.23"),
            (Decimal("-0"), "0.00"),
            ("-0.00", "0.00"),
            ("999999999999999.99", "999999999999999.99"),
        ],
    )
    def test_accepted(self, value: Decimal | int | str, expected: str) -> None:
        parsed = parse_money(value)
        assert str(parsed) == expected
        assert parsed.as_tuple().exponent == -2

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            (1.5, "money_float"),
            (1.0, "money_float"),
            (True, "money_type"),
            (None, "money_type"),
            ([1], "money_type"),
            ("1.234", "money_precision"),
            (Decimal("0.001"), "money_precision"),
            ("1e3", "money_format"),
            ("1,234.00", "money_format"),
            ("12.", "money_format"),
            (".5", "money_format"),
            ("", "money_format"),
            ("NaN", "money_format"),
            ("１２３", "money_format"),
            (Decimal("NaN"), "money_not_finite"),
            (Decimal("Infinity"), "money_not_finite"),
            (10**15, "money_out_of_range"),
            ("-1000000000000000", "money_out_of_range"),
        ],
    )
    def test_rejected(self, value: Any, code: str) -> None:
        with pytest.raises(InvalidMoney) as info:
            parse_money(value)
        assert info.value.reason == code
        assert_bilingual(info.value)


class Payment(BaseModel):
    amount: Money


class Grant(BaseModel):
    amount: NonNegativeMoney


class TestMoneyField:
    @pytest.mark.parametrize(
        ("value", "expected"), [("123.4", "123.40"), (123, "123.00"), (Decimal("123.40"), "123.40")]
    )
    def test_python_input(self, value: Any, expected: str) -> None:
        assert str(Payment(amount=value).amount) == expected

    def test_json_string_and_integer_input(self) -> None:
        assert Payment.model_validate_json('{"amount": "123.45"}').amount == Decimal("123.45")
        assert Payment.model_validate_json('{"amount": 12}').amount == Decimal("12.00")

    def test_json_number_with_a_fraction_is_a_float_and_rejected(self) -> None:
        error = error_of(Payment, '{"amount": 12.5}', json_input=True)
        assert error["type"] == "money_float"
        assert error["loc"] == ("amount",)
        assert "float" in error["msg"]
        assert "浮点数" in error["msg"]

    @pytest.mark.parametrize(
        ("value", "code"), [(1.25, "money_float"), ("1.234", "money_precision"), ("abc", "money_format")]
    )
    def test_python_errors(self, value: Any, code: str) -> None:
        assert error_of(Payment, {"amount": value})["type"] == code

    def test_serialises_to_a_two_place_string_in_json(self) -> None:
        payment = Payment(amount=Decimal("5"))
        assert payment.model_dump_json() == '{"amount":"5.00"}'
        assert payment.model_dump() == {"amount": Decimal("5.00")}
        assert Payment.model_validate_json(payment.model_dump_json()) == payment

    def test_non_negative(self) -> None:
        assert Grant(amount="0").amount == Decimal("0.00")
        assert error_of(Grant, {"amount": "-0.01"})["type"] == "money_negative"
        assert error_of(Grant, {"amount": 0.5})["type"] == "money_float"

    def test_json_schema(self) -> None:
        validation = Payment.model_json_schema()["properties"]["amount"]
        serialization = Payment.model_json_schema(mode="serialization")["properties"]["amount"]
        assert {"type": "integer"} in validation["anyOf"]
        assert serialization["type"] == "string"


AMOUNTS = st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False)
ROUNDING_UNITS = st.sampled_from(["fen", "jiao", "yuan"])
ROUNDING_MODES = st.sampled_from(["half_up", "up", "down"])


class TestRoundMoney:
    @pytest.mark.parametrize(
        ("value", "unit", "mode", "expected"),
        [
            # fen
            ("1.005", "fen", "half_up", "1.01"),
            ("1.0049", "fen", "half_up", "1.00"),
            ("-1.005", "fen", "half_up", "-1.01"),
            ("1.001", "fen", "up", "1.01"),
            ("-1.009", "fen", "up", "-1.00"),
            ("1.009", "fen", "down", "1.00"),
            ("-1.001", "fen", "down", "-1.01"),
            # jiao
            ("1.25", "jiao", "half_up", "1.30"),
            ("1.24", "jiao", "half_up", "1.20"),
            ("-1.25", "jiao", "half_up", "-1.30"),
            ("1.21", "jiao", "up", "1.30"),
            ("1.29", "jiao", "down", "1.20"),
            ("-1.21", "jiao", "up", "-1.20"),
            ("-1.21", "jiao", "down", "-1.30"),
            # yuan
            ("2.5", "yuan", "half_up", "3.00"),
            ("2.49", "yuan", "half_up", "2.00"),
            ("-2.5", "yuan", "half_up", "-3.00"),
            ("2.01", "yuan", "up", "3.00"),
            ("2.00", "yuan", "up", "2.00"),
            ("-2.99", "yuan", "up", "-2.00"),
            ("-0.5", "yuan", "up", "0.00"),
            ("2.99", "yuan", "down", "2.00"),
            ("-2.01", "yuan", "down", "-3.00"),
            ("0.3333333333", "fen", "half_up", "0.33"),
        ],
    )
    def test_units_and_modes(self, value: str, unit: Any, mode: Any, expected: str) -> None:
        result = round_money(Decimal(value), unit=unit, mode=mode)
        assert str(result) == expected

    def test_default_is_half_up_to_the_fen(self) -> None:
        assert round_money(Decimal("0.125")) == Decimal("0.13")

    def test_dibao_benefit_example_rounds_up_to_the_yuan(self) -> None:
        # POLICY-DEFAULTS: ⌈(standard − per-capita income) × members⌉, exact until the end.
        standard, income, members = Decimal(850), Decimal("1536.90"), 3
        assert round_money(standard * members - income, unit="yuan", mode="up") == Decimal("1014.00")

    def test_int_input(self) -> None:
        assert str(round_money(3, unit="yuan")) == "3.00"

    @pytest.mark.parametrize("value", [1.5, True, "1.5"])
    def test_non_decimal_input_is_a_type_error(self, value: Any) -> None:
        with pytest.raises(TypeError):
            round_money(value)

    def test_non_finite(self) -> None:
        with pytest.raises(InvalidMoney):
            round_money(Decimal("NaN"))

    def test_unknown_unit_or_mode(self) -> None:
        with pytest.raises(ValueError, match="unknown rounding"):
            round_money(Decimal(1), unit="cent")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="unknown rounding"):
            round_money(Decimal(1), mode="banker")  # type: ignore[arg-type]

    @given(AMOUNTS, ROUNDING_UNITS, ROUNDING_MODES)
    def test_idempotent_two_places_and_directional(self, value: Decimal, unit: Any, mode: Any) -> None:
        once = round_money(value, unit=unit, mode=mode)
        assert round_money(once, unit=unit, mode=mode) == once
        assert once.as_tuple().exponent == -2
        step = {"fen": Decimal("0.01"), "jiao": Decimal("0.1"), "yuan": Decimal(1)}[unit]
        assert abs(once - value) <= step
        if mode == "up":
            assert once >= value
        if mode == "down":
            assert once <= value


class TestFen:
    @pytest.mark.parametrize(
        ("yuan", "fen"),
        [("123.45", 12345), ("0.01", 1), ("-0.01", -1), ("0", 0), ("100", 10000)],
    )
    def test_round_trip(self, yuan: str, fen: int) -> None:
        assert to_fen(Decimal(yuan)) == fen
        assert from_fen(fen) == Decimal(yuan)

    def test_from_fen_has_two_places(self) -> None:
        assert str(from_fen(12345)) == "123.45"
        assert str(from_fen(0)) == "0.00"
        assert str(from_fen(-150)) == "-1.50"
        assert str(from_fen(100)) == "1.00"

    def test_to_fen_never_rounds(self) -> None:
        with pytest.raises(InvalidMoney) as info:
            to_fen(Decimal("1.234"))
        assert info.value.reason == "money_precision"

    @pytest.mark.parametrize("value", [1.5, True, "1.00"])
    def test_to_fen_type_errors(self, value: Any) -> None:
        with pytest.raises(TypeError):
            to_fen(value)

    @pytest.mark.parametrize("value", [1.0, True, "100"])
    def test_from_fen_type_errors(self, value: Any) -> None:
        with pytest.raises(TypeError):
            from_fen(value)

    @given(st.integers(min_value=-(10**16), max_value=10**16))
    def test_from_fen_to_fen_round_trip(self, fen: int) -> None:
        assert to_fen(from_fen(fen)) == fen

    @given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
    def test_agrees_with_truncation_on_every_money_value(self, yuan: Decimal) -> None:
        # Money fields hold at most two places, so the strict conversion and the truncating one
        # it replaced (eligibility's `int(amount * 100)`) give the same fen on every valid input.
        assert to_fen(parse_money(yuan)) == int(yuan * 100)

    @pytest.mark.parametrize(("fen", "text"), [(12345, "123.45"), (0, "0.00"), (5, "0.05"), (-150, "-1.50")])
    def test_format_fen(self, fen: int, text: str) -> None:
        assert format_fen(fen) == text

    @given(st.integers(min_value=-(10**16), max_value=10**16))
    def test_format_fen_is_the_json_form_of_from_fen(self, fen: int) -> None:
        assert format_fen(fen) == format(from_fen(fen), "f")
        assert to_fen(Decimal(format_fen(fen))) == fen


def fraction_rounded(value: Fraction, mode: str) -> int:
    """An independent oracle for the roundings, on exact fractions."""
    if mode == "up":
        return math.ceil(value)
    if mode == "down":
        return math.floor(value)
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


class TestRoundFen:
    @given(
        st.integers(min_value=-(10**12), max_value=10**12),
        st.integers(min_value=1, max_value=10**6),
        ROUNDING_UNITS,
        ROUNDING_MODES,
    )
    def test_matches_exact_fractions(self, numerator: int, denominator: int, unit: Any, mode: Any) -> None:
        step = {"fen": 1, "jiao": 10, "yuan": 100}[unit]
        expected = fraction_rounded(Fraction(numerator, denominator * step), mode) * step
        assert round_fen(numerator, denominator, unit=unit, mode=mode) == expected

    def test_the_policy_rounding_examples(self) -> None:
        assert round_fen(7875, unit="yuan", mode="up") == 7900  # 78.75 → 79
        assert round_fen(85_000 * 150, 1000, unit="yuan", mode="up") == 12_800  # 850 × 15% = 127.5 → 128
        assert round_fen(-250, unit="yuan", mode="half_up") == -300
        assert round_fen(125, 10, unit="fen", mode="half_up") == 13

    def test_refuses_a_non_positive_denominator_and_unknown_names(self) -> None:
        with pytest.raises(ValueError, match="denominator"):
            round_fen(1, 0, unit="yuan", mode="up")
        with pytest.raises(ValueError, match="unknown rounding"):
            round_fen(1, unit="cent", mode="up")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="unknown rounding"):
            round_fen(1, unit="fen", mode="banker")  # type: ignore[arg-type]

    @given(AMOUNTS, ROUNDING_UNITS, ROUNDING_MODES)
    def test_round_money_is_its_decimal_face(self, value: Decimal, unit: Any, mode: Any) -> None:
        numerator, denominator = value.as_integer_ratio()
        expected = round_fen(numerator * 100, denominator, unit=unit, mode=mode)
        assert to_fen(round_money(value, unit=unit, mode=mode)) == expected


class TestPerMille:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [("0.20", 200), ("1.3", 1300), ("0.125", 125), ("3.5", 3500), ("-0.5", -500), ("0", 0), (2, 2000)],
    )
    def test_examples(self, value: str | int, expected: int) -> None:
        assert per_mille(Decimal(value)) == expected

    @pytest.mark.parametrize("value", ["0.1525", "NaN", "Infinity"])
    def test_refuses_what_it_would_have_to_truncate(self, value: str) -> None:
        with pytest.raises(InvalidRate, match="three decimals") as info:
            per_mille(Decimal(value))
        assert info.value.reason == "rate_precision"

    @given(st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False))
    def test_agrees_with_truncation_on_every_money_value(self, percent: Decimal) -> None:
        # eligibility's CPI rises are Money (two places): the truncating `int(percent * 1000)`
        # this replaced gave the same result on every valid input.
        assert per_mille(percent) == int(percent * 1000)

    @pytest.mark.parametrize("value", [0.2, True, "0.2"])
    def test_type_errors(self, value: Any) -> None:
        with pytest.raises(TypeError):
            per_mille(value)


class TestFloorArea:
    @pytest.mark.parametrize(("m2", "centi"), [("61.37", 6137), ("60", 6000), ("0.5", 50), ("30.00", 3000)])
    def test_round_trip(self, m2: str, centi: int) -> None:
        assert to_centi_m2(Decimal(m2)) == centi
        assert Decimal(format_centi_m2(centi)) == Decimal(m2)

    def test_format_has_two_places(self) -> None:
        assert format_centi_m2(6000) == "60.00"
        assert format_centi_m2(5) == "0.05"

    def test_refuses_what_it_would_have_to_truncate(self) -> None:
        with pytest.raises(InvalidArea) as info:
            to_centi_m2(Decimal("60.005"))
        assert info.value.reason == "area_precision"


# --------------------------------------------------------------------------------------
# Period and business dates
# --------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


class TestPeriod:
    def test_parse_and_format(self) -> None:
        period = Period.parse("2026-01")
        assert (period.year, period.month) == (2026, 1)
        assert str(period) == "2026-01"
        assert repr(period) == "Period('2026-01')"
        assert Period.parse(" 2026-12 ") == Period(2026, 12)
        assert str(Period(987, 3)) == "0987-03"

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("2026-13", "period_month"),
            ("2026-00", "period_month"),
            ("2026-1", "period_format"),
            ("26-01", "period_format"),
            ("2026/01", "period_format"),
            ("2026-01-01", "period_format"),
            ("0000-01", "period_year"),
            ("", "period_format"),
        ],
    )
    def test_parse_rejects(self, value: str, code: str) -> None:
        with pytest.raises(InvalidPeriod) as info:
            Period.parse(value)
        assert info.value.reason == code
        assert_bilingual(info.value)

    @pytest.mark.parametrize(("year", "month"), [(2026, 13), (2026, 0), (0, 1), (10000, 1)])
    def test_constructor_rejects(self, year: int, month: int) -> None:
        with pytest.raises(InvalidPeriod):
            Period(year, month)

    def test_constructor_rejects_non_int(self) -> None:
        with pytest.raises(InvalidPeriod) as info:
            Period(True, 1)
        assert info.value.reason == "period_type"
        with pytest.raises(InvalidPeriod):
            Period.parse(202601)  # type: ignore[arg-type]

    def test_ordering_and_hashing(self) -> None:
        periods = [Period(2026, 1), Period(2025, 12), Period(2026, 2), Period(2025, 1)]
        assert sorted(periods) == [Period(2025, 1), Period(2025, 12), Period(2026, 1), Period(2026, 2)]
        assert Period(2025, 12) < Period(2026, 1) <= Period(2026, 1) < Period(2026, 2)
        assert Period(2026, 2) > Period(2025, 12)
        assert max(periods) == Period(2026, 2)
        assert len({Period(2026, 1), Period.parse("2026-01")}) == 1
        assert Period(2026, 1) != "2026-01"

    def test_immutable(self) -> None:
        with pytest.raises(AttributeError):
            Period(2026, 1).month = 2  # type: ignore[misc]

    def test_pickle(self) -> None:
        assert pickle.loads(pickle.dumps(Period(2026, 1))) == Period(2026, 1)

    def test_next_prev_across_year_end(self) -> None:
        assert Period(2025, 12).next() == Period(2026, 1)
        assert Period(2026, 1).prev() == Period(2025, 12)
        assert Period(2026, 5).next() == Period(2026, 6)
        assert Period(2026, 1).shift(-13) == Period(2024, 12)
        assert Period(2026, 7).shift(6) == Period(2027, 1)
        assert Period(2026, 7).shift(0) == Period(2026, 7)

    @pytest.mark.parametrize(
        ("period", "first", "last"),
        [
            (Period(2024, 2), date(2024, 2, 1), date(2024, 2, 29)),
            (Period(2026, 2), date(2026, 2, 1), date(2026, 2, 28)),
            (Period(2026, 4), date(2026, 4, 1), date(2026, 4, 30)),
            (Period(2026, 12), date(2026, 12, 1), date(2026, 12, 31)),
        ],
    )
    def test_first_and_last_day(self, period: Period, first: date, last: date) -> None:
        assert period.first_day == first
        assert period.last_day == last

    def test_from_date_and_contains(self) -> None:
        assert Period.from_date(date(2026, 3, 31)) == Period(2026, 3)
        assert Period(2026, 3).contains(date(2026, 3, 1))
        assert not Period(2026, 3).contains(date(2026, 4, 1))
        with pytest.raises(TypeError):
            Period.from_date(datetime(2026, 3, 31, tzinfo=UTC))

    def test_containing_uses_the_shanghai_business_date(self) -> None:
        # 2026-01-31T16:30Z is 2026-02-01 00:30 in Shanghai.
        assert Period.containing(datetime(2026, 1, 31, 16, 30, tzinfo=UTC)) == Period(2026, 2)
        assert Period.containing(datetime(2026, 1, 31, 15, 59, 59, tzinfo=UTC)) == Period(2026, 1)
        assert Period.containing(datetime(2026, 1, 31, 16, 0, tzinfo=UTC)) == Period(2026, 2)
        new_york = ZoneInfo("America/New_York")  # 12:00 EST = 17:00Z = 01:00 next day in Shanghai
        assert Period.containing(datetime(2026, 1, 31, 12, 0, tzinfo=new_york)) == Period(2026, 2)

    def test_containing_across_year_end(self) -> None:
        assert Period.containing(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == Period(2026, 1)

    def test_containing_rejects_naive(self) -> None:
        with pytest.raises(NaiveDatetimeError) as info:
            Period.containing(datetime(2026, 1, 31, 16, 30))
        assert info.value.reason == "datetime_naive"

    @given(st.integers(1900, 2100), st.integers(1, 12), st.integers(-600, 600))
    def test_shift_inverse(self, year: int, month: int, months: int) -> None:
        period = Period(year, month)
        assert period.shift(months).shift(-months) == period
        assert period.next().prev() == period
        assert period.first_day <= period.last_day
        assert period.last_day + timedelta(days=1) == period.next().first_day


class TestBusinessDate:
    def test_utc_to_shanghai(self) -> None:
        assert business_date(datetime(2026, 1, 31, 16, 30, tzinfo=UTC)) == date(2026, 2, 1)
        assert business_date(datetime(2026, 1, 31, 15, 30, tzinfo=UTC)) == date(2026, 1, 31)

    def test_fixed_offset_and_shanghai_input(self) -> None:
        plus_eight = timezone(timedelta(hours=8))
        assert business_date(datetime(2026, 2, 1, 0, 30, tzinfo=plus_eight)) == date(2026, 2, 1)
        assert business_date(datetime(2026, 2, 1, 0, 30, tzinfo=SHANGHAI)) == date(2026, 2, 1)

    def test_naive_and_non_datetime(self) -> None:
        with pytest.raises(NaiveDatetimeError):
            business_date(datetime(2026, 1, 1))
        with pytest.raises(TypeError):
            business_date(date(2026, 1, 1))  # type: ignore[arg-type]


class Payroll(BaseModel):
    period: Period


class TestPeriodField:
    def test_json_round_trip(self) -> None:
        payroll = Payroll.model_validate_json('{"period": "2026-01"}')
        assert payroll.period == Period(2026, 1)
        assert payroll.model_dump_json() == '{"period":"2026-01"}'
        assert payroll.model_dump() == {"period": Period(2026, 1)}
        assert Payroll(period=Period(2026, 2)).period == Period(2026, 2)

    @pytest.mark.parametrize(
        ("value", "code"),
        [("2026-13", "period_month"), ("2026-1", "period_format"), (202601, "period_type")],
    )
    def test_errors(self, value: object, code: str) -> None:
        error = error_of(Payroll, {"period": value})
        assert error["type"] == code
        assert error["loc"] == ("period",)

    def test_json_schema(self) -> None:
        schema = Payroll.model_json_schema()["properties"]["period"]
        assert schema["type"] == "string"
        assert schema["pattern"] == "^[0-9]{4}-(0[1-9]|1[0-2])$"


# --------------------------------------------------------------------------------------
# Text and datetimes
# --------------------------------------------------------------------------------------


class Named(BaseModel):
    name: NonEmptyStr


class Stamped(BaseModel):
    at: AwareDatetime


class TestNonEmptyStr:
    def test_strips(self) -> None:
        assert Named(name="  南明区民政局 ").name == "南明区民政局"

    def test_max_length_is_inclusive(self) -> None:
        assert len(Named(name="a" * 255).name) == 255

    def test_newlines_and_tabs_are_allowed(self) -> None:
        assert Named(name="line 1\nline 2\tend").name == "line 1\nline 2\tend"

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("", "text_empty"),
            ("   \t\n", "text_empty"),
            ("a" * 256, "text_too_long"),
            ("a\x00b", "text_control_char"),
            ("a\x1bb", "text_control_char"),
            (5, "string_type"),
        ],
    )
    def test_errors(self, value: object, code: str) -> None:
        error = error_of(Named, {"name": value})
        assert error["type"] == code
        assert error["loc"] == ("name",)


class TestAwareDatetime:
    def test_naive_rejected(self) -> None:
        assert error_of(Stamped, {"at": "2026-01-01T00:00:00"})["type"] == "timezone_aware"

    def test_aware_accepted(self) -> None:
        assert Stamped.model_validate({"at": "2026-01-01T00:00:00Z"}).at.tzinfo is not None
