"""The vendored NodeInfo schemas are the upstream files, unaltered, and valid for their draft."""

from __future__ import annotations

import jsonschema
import pytest

import schemas
from tests.schemas.test_schemas import git_blob_id

UPSTREAM_BLOBS = {
    "nodeinfo-2.0.schema.json": "da56bed13961e6ba85292f934ef83007e98e5c40",
    "nodeinfo-2.1.schema.json": "561e64479729974d6ac78c17b58f5b0e47511211",
}


@pytest.mark.parametrize(("name", "blob"), UPSTREAM_BLOBS.items())
def test_nodeinfo_schema_is_the_upstream_blob(name: str, blob: str) -> None:
    assert git_blob_id(schemas.load_bytes(name)) == blob
    assert blob in schemas.load_bytes("contexts/README.md").decode()


@pytest.mark.parametrize("name", UPSTREAM_BLOBS)
def test_nodeinfo_schema_is_valid_for_its_draft(name: str) -> None:
    schema = schemas.load_json(name)
    jsonschema.validators.validator_for(schema).check_schema(schema)
