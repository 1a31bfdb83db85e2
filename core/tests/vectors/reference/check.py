"""Regenerates every vector the reference models write, into a scratch
folder, and fails if one differs from the committed file: a model that
drifted from its vectors no longer gives the second opinion it exists for.

    python3 core/tests/vectors/reference/check.py
"""
import filecmp
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.dirname(HERE)
MODELS = sorted(f for f in os.listdir(HERE) if f.endswith(".py") and f not in ("vector_file.py", "check.py"))


def main():
    with tempfile.TemporaryDirectory() as out:
        for model in MODELS:
            subprocess.run([sys.executable, os.path.join(HERE, model)], check=True,
                           env={**os.environ, "WEIR_VECTOR_OUT": out})
        written = sorted(os.listdir(out))
        drifted = [name for name in written
                   if not os.path.exists(os.path.join(VECTORS, name))
                   or not filecmp.cmp(os.path.join(out, name), os.path.join(VECTORS, name), shallow=False)]
    if drifted:
        print(f"reference models disagree with {len(drifted)} committed vector(s): {', '.join(drifted)}", file=sys.stderr)
        print("rerun the model that writes them and review the diff", file=sys.stderr)
        return 1
    print(f"{len(written)} vectors match their reference models ({', '.join(MODELS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
