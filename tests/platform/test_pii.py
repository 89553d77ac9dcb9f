"""Field encryption, blind indexes, masking and validation of personal data (jiuzhu_platform.pii)."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jiuzhu_platform.db import create_engine
from jiuzhu_platform.pii import (
    BLIND_INDEX_LENGTH,
    EncryptedString,
    InvalidBankAccount,
    InvalidPhoneNumber,
    KeyRing,
    PiiConfigError,
    PiiDecryptionError,
    PiiField,
    PiiQueryError,
    blind_index,
    decrypt,
    decryptor,
    encrypt,
    generate_key,
    install_key_ring,
    is_valid_bank_account,
    is_valid_phone,
    key_ring_of,
    luhn_valid,
    mask_bank_account,
    mask_phone,
    mask_resident_id,
    needs_rotation,
    normalise,
    rotate,
    token_key_id,
    validate_bank_account,
    validate_phone,
)
from shared.types import ResidentId

RID = "11010519491231002X"
PHONE = "13812345678"
CARD = "6222021234567890123"
CONTEXT = "eligibility.applicant.resident_id"


def key() -> bytes:
    return os.urandom(32)


def b64(data: bytes, *, pad: bool = False) -> str:
    encoded = base64.urlsafe_b64encode(data).decode()
    return encoded if pad else encoded.rstrip("=")


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate("k1")


def flip(token: str, index: int) -> str:
    """`token` with the base64url character at `index` replaced by another one."""
    char = token[index]
    return token[:index] + ("A" if char != "A" else "B") + token[index + 1 :]


class TestKeyRing:
    def test_from_config_accepts_padded_unpadded_and_secret_values(self) -> None:
        k1, k2, index = key(), key(), key()
        ring = KeyRing.from_config({"k1": b64(k1, pad=True), "k2": SecretStr(b64(k2))}, "k2", SecretStr(b64(index)))
        assert ring.active == "k2"
        assert ring.key_ids == ("k1", "k2")
        same = KeyRing({"k1": k1, "k2": k2}, "k2", index)
        token = encrypt(ring, PHONE, context="c")
        assert decrypt(same, token, context="c") == PHONE
        assert blind_index(ring, PHONE, kind="phone") == blind_index(same, PHONE, kind="phone")

    def test_generate_key_is_a_32_byte_base64url_key(self) -> None:
        generated = generate_key()
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", generated)
        assert generate_key() != generated
        assert KeyRing.from_config({"a": generated}, "a", generate_key()).active == "a"

    def test_generate_makes_distinct_random_rings(self) -> None:
        one, two = KeyRing.generate(), KeyRing.generate()
        assert one.active == "k1"
        assert blind_index(one, PHONE, kind="phone") != blind_index(two, PHONE, kind="phone")
        with pytest.raises(PiiDecryptionError):
            decrypt(two, encrypt(one, PHONE, context="c"), context="c")

    @pytest.mark.parametrize(
        ("keys", "active", "index", "message"),
        [
            ({"k1": b64(b"x" * 16)}, "k1", b64(b"i" * 32), "must be 32 bytes"),
            ({"k1": b64(b"x" * 33)}, "k1", b64(b"i" * 32), "must be 32 bytes"),
            ({"k1": b64(b"x" * 32)}, "k1", b64(b"i" * 31), "blind-index key must be 32 bytes"),
            ({"k1": b64(b"x" * 32)}, "k2", b64(b"i" * 32), "active key id 'k2' is not in the key ring"),
            ({}, "k1", b64(b"i" * 32), "no encryption keys"),
            ({"k1": "not base64!"}, "k1", b64(b"i" * 32), "not base64url"),
            ({"k1": b64(b"x" * 32)}, "k1", "a+b/" * 11, "not base64url"),
            ({"k.1": b64(b"x" * 32)}, "k.1", b64(b"i" * 32), "key id 'k.1'"),
            ({"k1": b64(b"x" * 32)}, "k1", b64(b"x" * 32), "must differ from every encryption key"),
        ],
    )
    def test_from_config_errors_are_clear(self, keys: dict[str, str], active: str, index: str, message: str) -> None:
        with pytest.raises(PiiConfigError, match=re.escape(message)):
            KeyRing.from_config(keys, active, index)

    def test_config_error_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            KeyRing({"k1": b"short"}, "k1", key())

    def test_repr_shows_ids_but_no_key_material(self) -> None:
        k1, index = key(), key()
        ring = KeyRing({"k1": k1}, "k1", index)
        shown = repr(ring)
        assert shown == "KeyRing(active='k1', key_ids=('k1',))"
        for secret in (k1, index):
            assert b64(secret) not in shown
            assert secret.hex() not in shown

    def test_immutable(self, ring: KeyRing) -> None:
        with pytest.raises(AttributeError):
            ring._active = "k2"

    def test_with_and_without_key(self, ring: KeyRing) -> None:
        inactive = ring.with_key("k2", key(), activate=False)
        assert inactive.active == "k1"
        assert inactive.key_ids == ("k1", "k2")
        active = ring.with_key("k2", key())
        assert active.active == "k2"
        assert active.without_key("k1").key_ids == ("k2",)
        with pytest.raises(PiiConfigError, match="already"):
            active.with_key("k2", key())
        with pytest.raises(PiiConfigError, match="active"):
            active.without_key("k2")
        with pytest.raises(PiiConfigError, match="not in the key ring"):
            active.without_key("k9")

    def test_a_ring_belongs_to_its_engine_and_there_is_no_default(self, ring: KeyRing, tmp_path: Path) -> None:
        """Two runtimes in one process (the embedded mode, tests) keep their own rings."""
        first = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
        second = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'two.db'}")
        with pytest.raises(PiiConfigError, match="no key ring is installed"):
            key_ring_of(first.sync_engine.dialect)
        other = KeyRing.generate("k2")
        install_key_ring(first, ring)
        install_key_ring(second, other)
        assert key_ring_of(first.sync_engine.dialect) is ring
        assert key_ring_of(second.sync_engine.dialect) is other
        reader = first.execution_options(isolation_level="AUTOCOMMIT")
        assert key_ring_of(reader.sync_engine.dialect) is ring  # engines made from it share it


Opener = Callable[..., str]
"""A token's plaintext: `decrypt(ring, token, context=...)` or what `decryptor` makes."""


class TestEncryption:
    """`decrypt`, and `decryptor` (the same for the tokens of one column), alike."""

    @pytest.fixture(params=["decrypt", "decryptor"])
    def opened(self, request: pytest.FixtureRequest) -> Opener:
        if request.param == "decrypt":
            return decrypt
        return lambda ring, token, *, context: decryptor(ring, context=context)(token)

    @pytest.mark.parametrize("plaintext", [RID, PHONE, CARD, "", "张三 13812345678 ✓"])
    def test_round_trip(self, ring: KeyRing, opened: Opener, plaintext: str) -> None:
        assert opened(ring, encrypt(ring, plaintext, context=CONTEXT), context=CONTEXT) == plaintext

    def test_token_format(self, ring: KeyRing) -> None:
        token = encrypt(ring, RID, context=CONTEXT)
        version, kid, payload = token.split(".")
        assert (version, kid) == ("v1", "k1")
        assert token_key_id(token) == "k1"
        assert re.fullmatch(r"[A-Za-z0-9_-]+", payload)
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        assert len(raw) == 12 + len(RID) + 16  # nonce + ciphertext + tag

    def test_random_nonce_and_no_plaintext_in_the_token(self, ring: KeyRing) -> None:
        tokens = {encrypt(ring, RID, context=CONTEXT) for _ in range(20)}
        assert len(tokens) == 20
        nonces = set()
        for token in tokens:
            payload = token.split(".")[2]
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            nonces.add(raw[:12])
            assert RID not in token
            assert RID[:12] not in token
            assert RID.encode() not in raw
            assert b"1101051949" not in raw
        assert len(nonces) == 20

    def test_every_byte_of_the_payload_is_authenticated(self, ring: KeyRing, opened: Opener) -> None:
        token = encrypt(ring, PHONE, context=CONTEXT)
        start = len("v1.k1.")
        for index in range(start, len(token)):
            tampered = flip(token, index)
            if tampered == token:
                continue
            with pytest.raises(PiiDecryptionError):
                opened(ring, tampered, context=CONTEXT)

    def test_wrong_context_fails(self, ring: KeyRing, opened: Opener) -> None:
        token = encrypt(ring, RID, context="eligibility.applicant.resident_id")
        with pytest.raises(PiiDecryptionError, match=r"eligibility\.member\.resident_id"):
            opened(ring, token, context="eligibility.member.resident_id")

    def test_wrong_key_under_the_same_id_fails(self, ring: KeyRing, opened: Opener) -> None:
        other = KeyRing.generate("k1")
        with pytest.raises(PiiDecryptionError, match="failed authentication"):
            opened(other, encrypt(ring, RID, context=CONTEXT), context=CONTEXT)

    def test_relabelled_key_id_fails(self, ring: KeyRing, opened: Opener) -> None:
        # Even with the same key under both ids, the kid is bound into the associated data.
        same_key = KeyRing({"k1": b"k" * 32, "k2": b"k" * 32}, "k1", key())
        token = encrypt(same_key, RID, context=CONTEXT)
        with pytest.raises(PiiDecryptionError, match="failed authentication"):
            opened(same_key, token.replace("v1.k1.", "v1.k2.", 1), context=CONTEXT)

    def test_unknown_key_id(self, ring: KeyRing, opened: Opener) -> None:
        token = encrypt(KeyRing.generate("gone"), RID, context=CONTEXT)
        with pytest.raises(PiiDecryptionError, match="key id 'gone' is not in the key ring"):
            opened(ring, token, context=CONTEXT)

    @pytest.mark.parametrize(
        "token",
        [
            "",
            RID,
            "v1.k1",
            "v2.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "v1.k1.AAAA.AAAA",
            "v1.k 1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "v1.k1.AAAA",
            "v1.k1.!!!!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "v1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
            # the standard alphabet, whitespace, non-ASCII and a length no base64 has
            "v1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+/",
            "v1.k1.AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAA",
            "v1.k1.AAAAAAAAAAAAAAAAAAAA\nAAAAAAAAAAAAAAAAAAAAA",
            "v1.k1.AAAAAAAAAAAAAAAAAAAAＡAAAAAAAAAAAAAAAAAAAA",
            "v1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ],
    )
    def test_malformed_tokens(self, ring: KeyRing, opened: Opener, token: str) -> None:
        with pytest.raises(PiiDecryptionError):
            opened(ring, token, context=CONTEXT)

    def test_errors_never_contain_the_token_or_plaintext(self, ring: KeyRing, opened: Opener) -> None:
        token = encrypt(ring, RID, context=CONTEXT)
        with pytest.raises(PiiDecryptionError) as caught:
            opened(ring, token, context="elsewhere")
        assert token.split(".")[2] not in str(caught.value)
        assert RID not in str(caught.value)
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__

    def test_arguments_are_checked(self, ring: KeyRing) -> None:
        with pytest.raises(ValueError, match="context"):
            encrypt(ring, RID, context="")
        with pytest.raises(TypeError, match="str"):
            encrypt(ring, 13812345678, context=CONTEXT)  # type: ignore[arg-type]

    def test_rotation(self) -> None:
        old = KeyRing.generate("a")
        token_a = encrypt(old, RID, context=CONTEXT)
        rotated_ring = old.with_key("b", key())  # b is now active, a still decrypts
        assert rotated_ring.active == "b"
        assert decrypt(rotated_ring, token_a, context=CONTEXT) == RID
        assert needs_rotation(rotated_ring, token_a)
        assert token_key_id(encrypt(rotated_ring, RID, context=CONTEXT)) == "b"

        token_b = rotate(rotated_ring, token_a, context=CONTEXT)
        assert token_key_id(token_b) == "b"
        assert not needs_rotation(rotated_ring, token_b)
        assert decrypt(rotated_ring, token_b, context=CONTEXT) == RID

        retired = rotated_ring.without_key("a")
        assert decrypt(retired, token_b, context=CONTEXT) == RID
        with pytest.raises(PiiDecryptionError, match="'a' is not in the key ring"):
            decrypt(retired, token_a, context=CONTEXT)

    def test_rotate_refuses_tampered_or_foreign_tokens(self, ring: KeyRing) -> None:
        token = encrypt(ring, RID, context=CONTEXT)
        with pytest.raises(PiiDecryptionError):
            rotate(ring, token, context="another.column")
        with pytest.raises(PiiDecryptionError):
            rotate(ring, flip(token, len(token) - 3), context=CONTEXT)


class TestBlindIndex:
    def test_deterministic_hex(self, ring: KeyRing) -> None:
        value = blind_index(ring, RID, kind="resident_id")
        assert value == blind_index(ring, RID, kind="resident_id")
        assert re.fullmatch(rf"[0-9a-f]{{{BLIND_INDEX_LENGTH}}}", value)
        assert RID not in value

    @pytest.mark.parametrize(
        ("kind", "canonical", "variants"),
        [
            (
                "resident_id",
                RID,
                [
                    "11010519491231002x",
                    " 11010519491231002X ",
                    "110105 19491231 002X",
                    "１１０１０５１９４９１２３１００２ｘ",
                ],
            ),
            (
                "phone",
                PHONE,
                ["+86 138 1234 5678", "8613812345678", "+8613812345678", "0086-138-1234-5678", "138-1234-5678"],
            ),
            ("bank_account", CARD, ["6222 0212 3456 7890 123", "6222-0212-3456-7890-123", " 6222021234567890123\n"]),
        ],
    )
    def test_equal_across_formatting_variants(
        self, ring: KeyRing, kind: str, canonical: str, variants: list[str]
    ) -> None:
        expected = blind_index(ring, canonical, kind=kind)  # type: ignore[arg-type]
        for variant in variants:
            assert blind_index(ring, variant, kind=kind) == expected, variant  # type: ignore[arg-type]

    def test_different_values_differ(self, ring: KeyRing) -> None:
        assert blind_index(ring, "13812345678", kind="phone") != blind_index(ring, "13812345679", kind="phone")

    def test_domain_separated_by_kind(self, ring: KeyRing) -> None:
        digits = "1381234567812"
        assert blind_index(ring, digits, kind="phone") != blind_index(ring, digits, kind="bank_account")
        assert blind_index(ring, CARD[:18], kind="resident_id") != blind_index(ring, CARD[:18], kind="bank_account")

    def test_depends_on_the_index_key_only(self, ring: KeyRing) -> None:
        rekeyed = ring.with_index_key(key())
        assert blind_index(rekeyed, PHONE, kind="phone") != blind_index(ring, PHONE, kind="phone")
        # Rotating the encryption keys keeps the index (no re-index needed for that).
        assert blind_index(ring.with_key("k2", key()), PHONE, kind="phone") == blind_index(ring, PHONE, kind="phone")

    def test_empty_and_unknown_kind_are_refused(self, ring: KeyRing) -> None:
        with pytest.raises(ValueError, match="empty"):
            blind_index(ring, " - ", kind="phone")
        with pytest.raises(ValueError, match="unknown PII kind"):
            blind_index(ring, PHONE, kind="email")  # type: ignore[arg-type]

    def test_normalise(self) -> None:
        assert normalise(" 11010519491231002x ", kind="resident_id") == RID
        assert normalise("+86 (138) 1234-5678", kind="phone") == PHONE
        assert normalise("0086 13812345678", kind="phone") == PHONE
        assert normalise("86123", kind="phone") == "86123"  # only a full-length prefix is removed
        assert normalise("6222 0212", kind="bank_account") == "62220212"


class TestMasking:
    def test_examples(self) -> None:
        assert mask_resident_id(RID) == "1101**********002X"
        assert mask_phone(PHONE) == "138****5678"
        assert mask_bank_account(CARD) == "6222***********0123"

    def test_resident_id_mask_matches_shared_type(self) -> None:
        rid = "11010519491231002X"
        assert mask_resident_id(rid) == ResidentId(rid).masked()

    def test_normalises_first(self) -> None:
        assert mask_resident_id(" 11010519491231002x") == "1101**********002X"
        assert mask_resident_id("110105491231002") == "1101*******1002"
        assert mask_phone("+86 138-1234-5678") == "138****5678"
        assert mask_bank_account("6222 0212 3456 7890 123") == "6222***********0123"
        assert mask_bank_account("622202123456") == "6222****3456"

    @pytest.mark.parametrize("func", [mask_resident_id, mask_phone, mask_bank_account])
    def test_short_values_are_fully_hidden(self, func: Callable[[str], str]) -> None:
        assert func("") == ""
        assert set(func("1234567")) == {"*"}

    def test_masks_keep_the_length(self) -> None:
        assert len(mask_resident_id(RID)) == len(RID)
        assert len(mask_phone(PHONE)) == len(PHONE)
        assert len(mask_bank_account(CARD)) == len(CARD)


def with_luhn(body: str) -> str:
    """`body` with its Luhn check digit appended."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


class TestValidation:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (PHONE, PHONE),
            ("19912345678", "19912345678"),
            ("+86 138 1234 5678", PHONE),
            ("86-138-1234-5678", PHONE),
            ("0086 13812345678", PHONE),
            ("(138)1234-5678", PHONE),
            ("１３８１２３４５６７８", PHONE),
        ],
    )
    def test_valid_phones(self, value: str, expected: str) -> None:
        assert validate_phone(value) == expected
        assert is_valid_phone(value)

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "1381234567",
            "138123456789",
            "12812345678",
            "23812345678",
            "010-12345678",
            "1381234567a",
            "+1 13812345678",
        ],
    )
    def test_invalid_phones(self, value: str) -> None:
        with pytest.raises(InvalidPhoneNumber) as caught:
            validate_phone(value)
        assert caught.value.reason == "phone_format"
        assert caught.value.to_pydantic().type == "phone_format"
        assert not is_valid_phone(value)
        if value:
            assert value not in str(caught.value)

    def test_phone_type(self) -> None:
        with pytest.raises(InvalidPhoneNumber) as caught:
            validate_phone(13812345678)  # type: ignore[arg-type]
        assert caught.value.reason == "phone_type"
        assert "13812345678" not in str(caught.value)

    @pytest.mark.parametrize("value", ["622202123456", CARD, "6222 0212 3456 7890 123", "6222-0212-3456-7890"])
    def test_valid_bank_accounts(self, value: str) -> None:
        assert validate_bank_account(value) == value.replace(" ", "").replace("-", "")
        assert is_valid_bank_account(value)

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("62220212345", "bank_account_length"),
            ("62220212345678901234", "bank_account_length"),
            ("", "bank_account_length"),
            ("6222O21234567890", "bank_account_chars"),
            ("6222.0212.3456.7890", "bank_account_chars"),
        ],
    )
    def test_invalid_bank_accounts(self, value: str, code: str) -> None:
        with pytest.raises(InvalidBankAccount) as caught:
            validate_bank_account(value)
        assert caught.value.reason == code
        assert not is_valid_bank_account(value)
        if value:
            assert value not in str(caught.value)

    def test_luhn_is_opt_in(self) -> None:
        card = with_luhn("622202123456789012")
        wrong = card[:-1] + str((int(card[-1]) + 1) % 10)
        assert validate_bank_account(wrong) == wrong  # passbook/corporate accounts have no check digit
        assert validate_bank_account(card, luhn=True) == card
        with pytest.raises(InvalidBankAccount) as caught:
            validate_bank_account(wrong, luhn=True)
        assert caught.value.reason == "bank_account_luhn"
        assert not is_valid_bank_account(wrong, luhn=True)

    @pytest.mark.parametrize(
        ("digits", "valid"),
        [("79927398713", True), ("79927398710", False), ("4111111111111111", True), ("", False), ("12a4", False)],
    )
    def test_luhn(self, digits: str, valid: bool) -> None:
        assert luhn_valid(digits) is valid


# --------------------------------------------------------------------------------------
# SQLAlchemy, through a real SQLite database (aiosqlite)
# --------------------------------------------------------------------------------------

APPLICANT_ID = PiiField("applicant_resident_id", kind="resident_id", context="test.applicant.applicant_resident_id")
PHONE_FIELD = PiiField("phone", kind="phone", context="test.applicant.phone")
metadata = MetaData()
applicant = Table(
    "applicant",
    metadata,
    Column("id", Integer, primary_key=True),
    *APPLICANT_ID.columns(),
    *PHONE_FIELD.columns(nullable=True),
    Column("note", EncryptedString("test.applicant.note"), nullable=True),
    Column("plain", String(50), nullable=True),
)


class Base(DeclarativeBase):
    pass


class Contact(Base):
    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(EncryptedString("test.contact.phone"))
    phone_bidx: Mapped[str] = mapped_column(String(BLIND_INDEX_LENGTH), index=True)


KEYS = KeyRing.generate("k1")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pii.db'}")
    install_key_ring(engine, KEYS)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(Base.metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


async def add(
    engine: AsyncEngine, row_id: int, rid: str, phone: str | None, note: str | None = None, ring: KeyRing = KEYS
) -> None:
    indexed = APPLICANT_ID.values(ring, rid) | PHONE_FIELD.values(ring, phone)
    async with engine.begin() as conn:
        await conn.execute(insert(applicant).values(id=row_id, note=note, **indexed))


class TestEncryptedString:
    async def test_round_trip_and_raw_value_is_ciphertext(self, engine: AsyncEngine) -> None:
        await add(engine, 1, RID, PHONE, note="lives with 张三")
        async with engine.connect() as conn:
            row = (await conn.execute(select(applicant).where(applicant.c.id == 1))).one()
            raw = (await conn.execute(text("SELECT applicant_resident_id, phone, note FROM applicant"))).one()
        assert row.applicant_resident_id == RID
        assert row.phone == PHONE
        assert row.note == "lives with 张三"
        for stored, plain in zip(raw, (RID, PHONE, "lives with 张三"), strict=True):
            assert stored != plain
            assert stored.startswith("v1.k1.")
            assert plain not in stored
        assert row.applicant_resident_id_bidx == blind_index(KEYS, RID, kind="resident_id")
        assert row.phone_bidx == blind_index(KEYS, PHONE, kind="phone")

    async def test_lookup_by_blind_index(self, engine: AsyncEngine) -> None:
        await add(engine, 1, RID, PHONE)
        await add(engine, 2, "11010519491231003X", "13912345678")
        async with engine.connect() as conn:
            by_phone = select(applicant.c.id).where(
                applicant.c[PHONE_FIELD.index_name] == PHONE_FIELD.index(KEYS, "+86 138 1234 5678")
            )
            assert (await conn.execute(by_phone)).scalars().all() == [1]
            by_rid = select(applicant.c.id).where(
                applicant.c.applicant_resident_id_bidx == APPLICANT_ID.index(KEYS, "11010519491231003x")
            )
            assert (await conn.execute(by_rid)).scalars().all() == [2]

    async def test_null_stays_null(self, engine: AsyncEngine) -> None:
        await add(engine, 1, RID, None)
        async with engine.connect() as conn:
            row = (await conn.execute(select(applicant.c.phone, applicant.c.phone_bidx, applicant.c.note))).one()
            assert tuple(row) == (None, None, None)
            found = await conn.execute(select(applicant.c.id).where(applicant.c.phone.is_(None)))
            assert found.scalars().all() == [1]

    async def test_value_copied_to_another_column_does_not_decrypt(self, engine: AsyncEngine) -> None:
        await add(engine, 1, RID, PHONE)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE applicant SET note = applicant_resident_id"))
        async with engine.connect() as conn:
            result = await conn.execute(select(applicant.c.note))
            with pytest.raises(PiiDecryptionError, match=r"test\.applicant\.note"):
                result.all()

    async def test_tampered_value_does_not_decrypt(self, engine: AsyncEngine) -> None:
        await add(engine, 1, RID, PHONE)
        async with engine.begin() as conn:
            raw = (await conn.execute(text("SELECT phone FROM applicant"))).scalar_one()
            await conn.execute(text("UPDATE applicant SET phone = :v"), {"v": flip(raw, len(raw) - 5)})
        async with engine.connect() as conn:
            with pytest.raises(PiiDecryptionError):
                (await conn.execute(select(applicant.c.phone))).all()

    async def test_key_rotation_on_a_running_engine(self, engine: AsyncEngine) -> None:
        await add(engine, 1, RID, PHONE)
        rotated = KEYS.with_key("k2", key())
        install_key_ring(engine, rotated)  # the ring is read at use time
        await add(engine, 2, "11010519491231003X", "13912345678", ring=rotated)
        async with engine.connect() as conn:
            raw = {r.id: r.phone for r in (await conn.execute(text("SELECT id, phone FROM applicant"))).all()}
            assert token_key_id(raw[1]) == "k1"
            assert token_key_id(raw[2]) == "k2"
            rows = (await conn.execute(select(applicant.c.id, applicant.c.phone).order_by(applicant.c.id))).all()
            assert [tuple(r) for r in rows] == [(1, PHONE), (2, "13912345678")]
        # A rotation job: re-encrypt what is under an old key, then retire that key.
        async with engine.begin() as conn:
            for row_id, token in raw.items():
                if needs_rotation(rotated, token):
                    await conn.execute(
                        text("UPDATE applicant SET phone = :v WHERE id = :id"),
                        {"v": rotate(rotated, token, context=PHONE_FIELD.context), "id": row_id},
                    )
        retired = rotated.without_key("k1")
        install_key_ring(engine, retired)
        async with engine.connect() as conn:
            phones = (await conn.execute(select(applicant.c.phone).order_by(applicant.c.id))).scalars().all()
            assert phones == [PHONE, "13912345678"]
            by_phone = select(applicant.c.id).where(applicant.c.phone_bidx == PHONE_FIELD.index(retired, PHONE))
            assert (await conn.execute(by_phone)).scalars().all() == [1]

    async def test_orm_mapping(self, engine: AsyncEngine) -> None:
        async with AsyncSession(engine, expire_on_commit=True) as session:
            session.add(Contact(id=1, phone=PHONE, phone_bidx=blind_index(KEYS, PHONE, kind="phone")))
            await session.commit()
            found = await session.scalar(
                select(Contact).where(Contact.phone_bidx == blind_index(KEYS, "+8613812345678", kind="phone"))
            )
            assert found is not None
            assert found.phone == PHONE
            raw = await session.scalar(text("SELECT phone FROM contact"))
            assert raw is not None
            assert PHONE not in raw

    async def test_only_strings_are_stored(self, engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            with pytest.raises(StatementError, match="takes str"):
                await conn.execute(
                    insert(applicant).values(id=1, note=ResidentId(RID), **APPLICANT_ID.values(KEYS, RID))
                )

    async def test_an_engine_without_a_ring_fails_at_use_not_at_definition(self, tmp_path: Path) -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-ring.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with engine.begin() as conn:
            with pytest.raises(StatementError, match="no key ring is installed"):
                await conn.execute(
                    insert(applicant).values(id=1, applicant_resident_id=RID, applicant_resident_id_bidx="x")
                )

    def test_comparisons_are_refused(self) -> None:
        column = applicant.c.phone
        for compare in (
            lambda: column == PHONE,
            lambda: column != PHONE,
            lambda: column.in_([PHONE]),
            lambda: column.like("138%"),
            lambda: column.startswith("138"),
            lambda: column > "1",
            lambda: "+86" + column,
        ):
            with pytest.raises(PiiQueryError, match="blind-index column"):
                compare()
        assert str(column.is_(None)) == "applicant.phone IS NULL"
        assert str(column.is_not(None)) == "applicant.phone IS NOT NULL"

    def test_column_helpers(self) -> None:
        assert APPLICANT_ID.index_name == "applicant_resident_id_bidx"
        encrypted, index = PHONE_FIELD.columns(unique=True)
        assert isinstance(encrypted.type, EncryptedString)
        assert encrypted.type.context == "test.applicant.phone"
        assert isinstance(index.type, String)
        assert index.type.length == BLIND_INDEX_LENGTH
        assert index.unique
        assert not applicant.c.applicant_resident_id.nullable
        assert applicant.c.applicant_resident_id_bidx.index
        assert PHONE_FIELD.values(KEYS, None) == {"phone": None, "phone_bidx": None}
        with pytest.raises(ValueError, match="unknown PII kind"):
            PiiField("x", kind="email", context="c")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="context"):
            EncryptedString("")
        assert repr(encrypted.type) == "EncryptedString('test.applicant.phone')"
