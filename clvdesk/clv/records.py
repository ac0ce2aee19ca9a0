"""Scores → customer-store records, serialised in bulk: Arrow builds each CustomerValue JSON text with
vectorised string kernels, since a pydantic model (or pandas' JSON writer) per row is the slow part of
loading a million customers."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clvdesk.defaults import CUSTOMER_IMPORT_BATCH

STORED_NUMBERS = ("residual_clv", "historical_spend", "total_clv", "p_alive", "expected_purchases_1y", "expected_spend",
                  "frequency", "recency", "T")  # the last three: for values at lookup time (clvdesk.clv.fresh)
STORED_LABELS = ("segment", "value_tier")
CHUNK_BATCHES = 20  # store batches serialised at a time: bounded memory, few kernel calls


def customer_records(scores: pd.DataFrame) -> Iterator[tuple[str | None, str | None, str]]:
    """(email, customer_id, CustomerValue JSON) per customer, for CustomerStore.replace_records.
    A customer known only by email (the orders had no id column) gets no customer id."""
    emails = scores["email"].astype(object).where(scores["email"].notna(), None)
    ids = pd.Series(scores.index.astype(str), index=scores.index).astype(object)
    ids = ids.where(ids != emails, None)
    step = CUSTOMER_IMPORT_BATCH * CHUNK_BATCHES
    for start in range(0, len(scores), step):
        part = slice(start, start + step)
        email, customer_id = emails.iloc[part].tolist(), ids.iloc[part].tolist()
        fields = [("email", _text(pa.array(email, pa.string()))), ("customer_id", _text(pa.array(customer_id, pa.string())))]
        fields += [(name, _number(scores[name].iloc[part])) for name in STORED_NUMBERS]
        fields += [(name, _labels(scores[name].iloc[part])) for name in STORED_LABELS]
        pieces = []
        for position, (name, values) in enumerate(fields):
            pieces += [("{" if position == 0 else ",") + f'"{name}":', values]
        text = pc.binary_join_element_wise(*pieces, "}", "")
        yield from zip(email, customer_id, text.to_pylist())


def _text(values: pa.Array) -> pa.Array:
    """JSON string literals (backslash and quote escaped, control characters dropped); null for missing."""
    escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    escaped = pc.replace_substring_regex(escaped, r"[\x00-\x1f]", "")
    return pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), "null")


def _labels(values: pd.Series) -> pa.Array:
    """JSON text of a categorical column: each category serialised once, then taken by code."""
    values = values.astype("category")
    codes = pa.array(values.cat.codes.to_numpy(), mask=values.isna().to_numpy())
    return pc.fill_null(pc.take(_text(pa.array([str(name) for name in values.cat.categories], pa.string())), codes), "null")


def _number(values: pd.Series) -> pa.Array:
    """Shortest round-trip decimal text of each float."""
    return pc.cast(pa.array(values.to_numpy(dtype="float64")), pa.string())
