"""One conformance vector file, written as the vector format requires
(integers above 2^53 as strings of digits), for every reference model here."""
import json
import os

# WEIR_VECTOR_OUT lets CI regenerate into a scratch folder and compare.
OUT = os.environ.get("WEIR_VECTOR_OUT") or os.path.join(os.path.dirname(__file__), "..")


def big(v):
    if isinstance(v, int) and not isinstance(v, bool) and v > 2**53:
        return str(v)
    if isinstance(v, dict):
        return {k: big(x) for k, x in v.items()}
    if isinstance(v, list):
        return [big(x) for x in v]
    return v


def write(name, primitive, description, config, steps=None, error_field=None):
    vector = {"primitive": primitive, "description": description, "config": config}
    if error_field:
        vector["expect_config_error"] = {"field": error_field}
    else:
        vector["steps"] = steps
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(big(vector), f, indent=1)
        f.write("\n")
