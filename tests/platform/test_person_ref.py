"""Person references (jiuzhu_platform.person_ref, shared.types.PersonRef) and their key setting."""

from __future__ import annotations

import base64
import hashlib

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsConfigDict

from jiuzhu_platform.person_ref import DEV_PERSON_REF_KEY, person_ref, person_ref_key_from_config
from jiuzhu_platform.pii import KeyRing, PiiConfigError, blind_index, generate_key
from jiuzhu_platform.settings import ServiceSettings
from shared.types import PERSON_REF_LENGTH, PersonRef, ResidentId, is_person_ref, mask_resident_id

KEY = hashlib.sha256(b"test person ref key one").digest()
OTHER_KEY = hashlib.sha256(b"test person ref key two").digest()
CLEAR_ID = "11010519491231002X"


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


class TestPersonRef:
    def test_is_deterministic(self) -> None:
        assert person_ref(ResidentId(CLEAR_ID), KEY) == person_ref(ResidentId(CLEAR_ID), KEY)

    def test_different_keys_give_different_refs(self) -> None:
        assert person_ref(ResidentId(CLEAR_ID), KEY).ref != person_ref(ResidentId(CLEAR_ID), OTHER_KEY).ref

    def test_different_people_give_different_refs(self) -> None:
        assert person_ref(ResidentId(CLEAR_ID), KEY).ref != person_ref(ResidentId("110105194912310038"), KEY).ref

    @pytest.mark.parametrize(
        "variant", ["11010519491231002x", " 11010519491231002X ", "１１０１０５１９４９１２３１００２Ｘ"]
    )
    def test_formatting_variants_of_one_id_give_one_ref(self, variant: str) -> None:
        assert person_ref(ResidentId(variant), KEY) == person_ref(ResidentId(CLEAR_ID), KEY)

    def test_never_contains_the_clear_id(self) -> None:
        ref = person_ref(ResidentId(CLEAR_ID), KEY)
        text = ref.model_dump_json()
        assert CLEAR_ID not in text
        assert CLEAR_ID.lower() not in text
        assert CLEAR_ID[4:14] not in text  # the masked middle (birth date) is not there either
        assert CLEAR_ID not in repr(ref)

    def test_has_the_documented_shape(self) -> None:
        ref = person_ref(ResidentId(CLEAR_ID), KEY)
        assert ref.ref.startswith("pr1_")
        assert len(ref.ref) == PERSON_REF_LENGTH
        assert is_person_ref(ref.ref)
        assert ref.masked_id == mask_resident_id(CLEAR_ID) == "1101**********002X"

    def test_is_not_the_blind_index_under_the_same_key(self) -> None:
        """Domain separation: even a misconfigured key (equal to an index key) gives another value."""
        ring = KeyRing({"k1": OTHER_KEY}, "k1", KEY)
        index = blind_index(ring, CLEAR_ID, kind="resident_id")
        assert index not in person_ref(ResidentId(CLEAR_ID), KEY).ref
        assert ring.uses_key(KEY)
        assert ring.uses_key(OTHER_KEY)
        assert not ring.uses_key(DEV_PERSON_REF_KEY)

    @pytest.mark.parametrize("key", [b"", b"short", KEY + b"x"])
    def test_refuses_keys_that_are_not_32_bytes(self, key: bytes) -> None:
        with pytest.raises(PiiConfigError, match="32 bytes"):
            person_ref(ResidentId(CLEAR_ID), key)

    def test_needs_a_resident_id_not_a_string(self) -> None:
        with pytest.raises(TypeError, match="ResidentId"):
            person_ref(CLEAR_ID, KEY)  # type: ignore[arg-type]

    def test_key_from_config(self) -> None:
        assert person_ref_key_from_config(b64(KEY)) == KEY
        assert person_ref_key_from_config(b64(KEY) + "=") == KEY
        with pytest.raises(PiiConfigError):
            person_ref_key_from_config("not base64 at all!")
        with pytest.raises(PiiConfigError, match="32 bytes"):
            person_ref_key_from_config(b64(b"too short"))


class Carrier(BaseModel):
    person: PersonRef


class TestPersonRefType:
    def test_round_trips_through_json(self) -> None:
        carrier = Carrier(person=person_ref(ResidentId(CLEAR_ID), KEY))
        assert Carrier.model_validate_json(carrier.model_dump_json()) == carrier

    @pytest.mark.parametrize(
        "ref",
        [
            "pr1_" + "a" * 51,  # too short
            "pr1_" + "A" * 52,  # upper case
            "pr1_" + "1" * 52,  # not base32
            "pr2_" + "a" * 52,  # another scheme
            CLEAR_ID,
        ],
    )
    def test_refuses_a_malformed_ref(self, ref: str) -> None:
        with pytest.raises(ValidationError):
            PersonRef(ref=ref, masked_id="1101**********002X")

    @pytest.mark.parametrize("masked", [CLEAR_ID, "1101*********002X", "1101**********002x", ""])
    def test_refuses_anything_but_a_masked_id(self, masked: str) -> None:
        """A clear resident ID in the human-readable field is refused by the type itself."""
        with pytest.raises(ValidationError):
            PersonRef(ref="pr1_" + "a" * 52, masked_id=masked)


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore")


def settings(**values: object) -> ExampleSettings:
    return ExampleSettings(database_url="sqlite+aiosqlite:///x.db", bus="inprocess", **values)  # type: ignore[arg-type]


class TestPersonRefKeySetting:
    def test_read_from_the_prefixed_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("EXAMPLE_DATABASE_URL", "sqlite+aiosqlite:///x.db")
        monkeypatch.setenv("EXAMPLE_BUS", "inprocess")
        monkeypatch.setenv("EXAMPLE_ENV", "prod")
        monkeypatch.setenv("EXAMPLE_PERSON_REF_KEY", b64(KEY))
        loaded = ExampleSettings()  # type: ignore[call-arg]
        assert loaded.person_ref_secret() == KEY
        assert b64(KEY) not in repr(loaded)

    def test_dev_without_a_key_uses_the_deterministic_dev_key(self) -> None:
        assert settings(env="dev").person_ref_secret() == DEV_PERSON_REF_KEY
        assert settings(env="dev", person_ref_key="").person_ref_secret() == DEV_PERSON_REF_KEY
        assert hashlib.sha256(b"jiuzhu.person-ref.dev-key.v1 (DEV ONLY, public)").digest() == DEV_PERSON_REF_KEY

    @pytest.mark.parametrize("env", ["test", "prod"])
    def test_missing_key_is_refused_outside_dev_when_asked_for(self, env: str) -> None:
        loaded = settings(env=env)  # services that compute no references still start
        with pytest.raises(ValueError, match="EXAMPLE_PERSON_REF_KEY is required"):
            loaded.person_ref_secret()

    @pytest.mark.parametrize("value", ["", "  ", "changethis", "CHANGE_ME"])
    def test_empty_or_placeholder_key_is_refused_outside_dev(self, value: str) -> None:
        with pytest.raises(ValidationError, match="EXAMPLE_PERSON_REF_KEY is empty or a placeholder"):
            settings(env="prod", person_ref_key=value)

    def test_the_public_dev_key_is_refused_outside_dev(self) -> None:
        with pytest.raises(ValueError, match="public dev key"):
            settings(env="prod", person_ref_key=b64(DEV_PERSON_REF_KEY)).person_ref_secret()
        assert settings(env="dev", person_ref_key=b64(DEV_PERSON_REF_KEY)).person_ref_secret() == DEV_PERSON_REF_KEY

    def test_a_malformed_key_names_the_setting(self) -> None:
        with pytest.raises(ValueError, match=r"EXAMPLE_PERSON_REF_KEY: .*32 bytes"):
            settings(env="prod", person_ref_key=b64(b"short")).person_ref_secret()

    @pytest.mark.parametrize("which", ["index", "encryption"])
    def test_must_differ_from_the_services_pii_keys(self, which: str) -> None:
        shared_key = b64(KEY)
        pii = {
            "pii_keys": {"k1": shared_key if which == "encryption" else generate_key()},
            "pii_active_key": "k1",
            "pii_index_key": shared_key if which == "index" else generate_key(),
        }
        with pytest.raises(ValueError, match="must differ"):
            settings(env="prod", person_ref_key=shared_key, **pii).person_ref_secret()
