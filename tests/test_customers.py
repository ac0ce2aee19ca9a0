"""Customer files are checked whole before the store changes, and the store swaps atomically."""

from __future__ import annotations

import pytest

from clvdesk.customers import CorruptCustomerRecord, CustomerImportError, CustomerStore, CustomerValue, read_customer_csv


def write(tmp_path, text):
    path = tmp_path / "customers.csv"
    path.write_text(text)
    return path


def test_reads_and_normalises(tmp_path):
    path = write(tmp_path, "Email,residual_clv,historical_spend,tier,customer_id\n Ana@Example.COM ,12.5,100,,C-1\n")
    [ana] = read_customer_csv(path)
    assert ana == CustomerValue(email="ana@example.com", customer_id="C-1", residual_clv=12.5, historical_spend=100)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("email,residual_clv\n", "missing column(s) historical_spend"),
        ("email,residual_clv,historical_spend\n", "no customer rows below the header"),
        ("email,residual_clv,historical_spend\na@x.com,1,2\nnot-an-email,1,2\n", "line 3: email 'not-an-email' is not an email address"),
        ("email,residual_clv,historical_spend\na@x.com,lots,2\n", "line 2: residual_clv 'lots' is not a number"),
        ("email,residual_clv,historical_spend\na@x.com,nan,2\n", "line 2: residual_clv 'nan' is not a finite number"),
        ("email,residual_clv,historical_spend\na@x.com,1,2\nA@x.com,3,4\n", "line 3: email a@x.com repeats line 2"),
        ("email,residual_clv,historical_spend,tier\na@x.com,1,2,gold\n", "line 2: tier 'gold' is not one of new, champions"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, message):
    with pytest.raises(CustomerImportError) as info:
        read_customer_csv(write(tmp_path, text), tiers=["new", "champions"])
    assert message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CustomerImportError, match="no such file"):
        read_customer_csv(tmp_path / "nope.csv")


def test_replace_swaps_whole_versions(redis):
    store = CustomerStore(redis)
    store.replace_all([CustomerValue(email="a@x.com", customer_id="1", residual_clv=1, historical_spend=1)])
    assert store.find(email="A@X.com").residual_clv == 1
    assert store.find(customer_id="1").email == "a@x.com"

    store.replace_all([CustomerValue(email="b@x.com", residual_clv=2, historical_spend=2)])
    assert store.find(email="a@x.com") is None
    assert store.find(email="b@x.com").residual_clv == 2
    assert store.count() == 1
    assert len(redis.keys("clvdesk:customers:*:email")) == 1  # the old version is gone


def test_failed_load_keeps_the_previous_version(redis):
    store = CustomerStore(redis)
    store.replace_all([CustomerValue(email="a@x.com", residual_clv=1, historical_spend=1)])

    def rows_then_crash():
        yield CustomerValue(email="b@x.com", residual_clv=2, historical_spend=2)
        raise RuntimeError("the import died half-way")

    with pytest.raises(RuntimeError):
        store.replace_all(rows_then_crash())
    assert store.find(email="a@x.com").residual_clv == 1
    assert store.find(email="b@x.com") is None
    assert len(redis.keys("clvdesk:customers:*:email")) == 1


def test_empty_store_finds_nobody(redis):
    assert CustomerStore(redis).find(email="a@x.com") is None
    assert CustomerStore(redis).count() == 0


def write_record(redis, index: str, key: str, text: str) -> None:
    """Put a record into the current version by hand, as a broken writer or a damaged Redis would."""
    version = redis.get("clvdesk:customers:current").decode()
    redis.hset(f"clvdesk:customers:{version}:{index}", key, text)


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"email": "ana@x.com", "residual_clv": NaN, "historical_spend": 1}', "residual_clv: Input should be a finite number"),
        ('{"email": "ana@x.com", "residual_clv": 1, "historical_spend": 1, "p_alive": Infinity}', "p_alive: Input should be a finite number"),
        ('{"email": "ana@x.com", "residual_clv": nan, "historical_spend": 1}', "record: Invalid JSON"),
        ("not json at all", "record: Invalid JSON"),
        ('{"email": "ana@x.com", "residual_clv": 1}', "historical_spend: Field required"),
    ],
)
def test_a_corrupt_record_is_a_clear_error(redis, caplog, text, problem):
    store = CustomerStore(redis)
    store.replace_all([CustomerValue(email="ana@x.com", customer_id="C-1", residual_clv=1, historical_spend=1),
                       CustomerValue(email="ben@x.com", residual_clv=2, historical_spend=2)])
    write_record(redis, "email", "ana@x.com", text)
    with pytest.raises(CorruptCustomerRecord) as info:
        store.find(email="Ana@x.com")
    assert str(info.value).startswith("the stored record for 'ana@x.com' is corrupt (")
    assert problem in str(info.value) and "reload the store with `clvdesk clv fit` or `clvdesk customers import`" in str(info.value)
    assert store.find(customer_id="C-1").residual_clv == 1  # the id index still has the good record

    found = store.find_many(["ana@x.com", "ben@x.com"])  # the simulation: the corrupt one counts as unknown
    assert list(found) == ["ben@x.com"]
    assert any("counted as an unknown customer" in record.getMessage() for record in caplog.records)


def test_nothing_non_finite_is_stored():
    with pytest.raises(ValueError, match="finite number"):
        CustomerValue(email="a@x.com", residual_clv=float("nan"), historical_spend=1)


@pytest.mark.parametrize("text", ["inf", "-Infinity", "NaN"])
def test_import_refuses_non_finite_amounts_by_line(tmp_path, text):
    path = write(tmp_path, f"email,residual_clv,historical_spend\na@x.com,1,2\nb@x.com,3,{text}\n")
    with pytest.raises(CustomerImportError, match=f"line 3: historical_spend '{text}' is not a finite number"):
        read_customer_csv(path)
