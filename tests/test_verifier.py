"""The verifier on its own, with chains and checkpoints built by hand: odd and hostile input
gets a named problem, never an exception."""
import base64
import hashlib
import io
import json
import warnings
import zipfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from a10flow.evidence.verifier import canonical, check_chain, verify, verify_pack

KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _chain(n, instance_id=1):
    """n stored rows (seq, text, hash) of a genuine chain."""
    rows, prev = [], None
    for seq in range(1, n + 1):
        record = {"instance_id": instance_id, "seq": seq, "type": "task.completed", "data": {"n": seq},
                  "prev_hash": prev}
        text = canonical(record).decode()
        prev = hashlib.sha256(text.encode()).hexdigest()
        rows.append((seq, text, prev))
    return rows


def _stored(seq, record):
    text = canonical(record).decode() if not isinstance(record, str) else record
    return (seq, text, hashlib.sha256(text.encode()).hexdigest())


def _checkpoint(seq, prev, chains, key=KEY):
    key_id = hashlib.sha256(KEY.public_key().public_bytes_raw()).hexdigest()
    body = canonical({"seq": seq, "at": "2026-01-01T00:00:00+00:00", "chains": chains, "prev_hash": prev,
                      "key_id": key_id})
    return {"seq": seq, "record": body.decode(), "hash": hashlib.sha256(body).hexdigest(),
            "signature": base64.b64encode(key.sign(body)).decode()}


def test_a_genuine_chain_passes_and_odd_records_are_named_not_raised():
    rows = _chain(4)
    assert check_chain(1, rows) is None
    for odd in ([], None, {"instance_id": 1, "seq": "2", "prev_hash": rows[0][2]},
                {"instance_id": 1, "seq": 2, "prev_hash": [rows[0][2]]}):
        bad = rows[:1] + [_stored(2, odd if odd is not None else "null")] + rows[2:]
        problem = check_chain(1, bad)
        assert problem is not None and problem.seq == 2 and problem.kind in ("edited", "inserted"), (odd, problem)


def test_where_the_damage_is_named():
    rows = _chain(5)
    first = json.loads(rows[0][1]) | {"prev_hash": "0" * 64}
    problem = check_chain(1, [_stored(1, first)] + rows[1:])
    assert (problem.kind, problem.seq) == ("edited", 1)
    extra = json.loads(rows[0][1]) | {"seq": 0}
    assert check_chain(1, [_stored(0, extra)] + rows).kind == "inserted"
    edited_later = rows[:1] + rows[2:3] + [_stored(4, json.loads(rows[3][1]) | {"data": {"n": 99}})] + rows[4:]
    assert (check_chain(1, edited_later).kind, check_chain(1, edited_later).seq) == ("deleted", 2)
    assert check_chain(1, rows, [(5, None, "the instance row")]).kind == "edited"   # a head of None: no crash


def test_a_deleted_checkpoint_is_one_problem_and_a_foreign_key_is_refused():
    rows = _chain(3)
    checkpoints = [_checkpoint(1, None, [{"instance_id": 1, "length": 1, "head": rows[0][2]}])]
    for seq in (2, 3, 4):
        checkpoints.append(_checkpoint(seq, checkpoints[-1]["hash"], []))
    assert verify([(1, rows)], checkpoints, PEM).ok
    report = verify([(1, rows)], checkpoints[1:], PEM)
    assert [p.kind for p in report.problems] == ["checkpoint_missing"]
    broken = dict(checkpoints[0], record="not json")
    assert verify([(1, rows)], [broken] + checkpoints[1:], PEM).problems[0].kind == "checkpoint_forged"


def _pack(files):
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as z:
        warnings.simplefilter("ignore")   # a name twice is what one test wants
        for name, data in files:
            z.writestr(name, data)
    return out


def test_damaged_packs_get_a_problem_not_an_exception(tmp_path):
    rsa = generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    manifest = canonical({"files": {}, "instances": [], "scope": {}})
    signature = base64.b64encode(KEY.sign(manifest))
    cases = {
        "rsa-key": [("manifest.json", manifest), ("manifest.sig", signature), ("public-key.pem", rsa)],
        "twice": [("manifest.json", manifest), ("manifest.json", manifest), ("public-key.pem", PEM)],
        "no-records": [("manifest.json", manifest), ("manifest.sig", signature), ("public-key.pem", PEM)],
    }
    for name, files in cases.items():
        path = tmp_path / f"{name}.zip"
        path.write_bytes(_pack(files).getvalue())
        report = verify_pack(path)
        assert not report.ok and report.problems[0].kind == "file_changed", name
    report = verify_pack(tmp_path / "no-records.zip", trusted_key_pem=b"not a key")
    assert report.problems[0].kind == "file_changed"
    assert verify_pack(tmp_path / "missing.zip").problems[0].kind == "file_changed"
